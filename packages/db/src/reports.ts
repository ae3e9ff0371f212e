import { sql, type Kysely } from 'kysely';

import type { Database, ReportStatusValue } from './schema.js';

export interface ReportWrite {
  status: ReportStatusValue;
  version: number;
  document: unknown;
  event: string;
  savedBy: string;
}

/**
 * Reports and what hangs off them. Every write is a new version kept forever (the history is
 * readable); a write against a stale version is refused, never merged.
 */
export function createReportRepository(db: Kysely<Database>) {
  return {
    getByConsult(consultId: string) {
      return db.selectFrom('report').selectAll().where('consult_id', '=', consultId).executeTakeFirst();
    },

    /** The report status of each of `consultIds` that has a report. */
    async statusByConsult(consultIds: string[]) {
      if (consultIds.length === 0) return new Map<string, ReportStatusValue>();
      const rows = await db.selectFrom('report').select(['consult_id', 'status']).where('consult_id', 'in', consultIds).execute();
      return new Map(rows.map((row) => [row.consult_id, row.status]));
    },

    /** Creates the consult's report, or returns false when one exists already. */
    async create(report: { id: string; consultId: string; createdBy: string } & ReportWrite): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const inserted = await tx
          .insertInto('report')
          .values({ id: report.id, consult_id: report.consultId, status: report.status, version: report.version, document: JSON.stringify(report.document), created_by: report.createdBy })
          .onConflict((oc) => oc.column('consult_id').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return false;
        await tx
          .insertInto('report_version')
          .values({ report_id: report.id, version: report.version, event: report.event, document: JSON.stringify(report.document), saved_by: report.savedBy })
          .execute();
        return true;
      });
    },

    /** Writes the next version if the stored one is still `expectedVersion`; false otherwise. */
    async write(reportId: string, expectedVersion: number, next: ReportWrite & { srSopInstanceUid?: string }, now: Date): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const updated = await tx
          .updateTable('report')
          .set({
            status: next.status,
            version: next.version,
            document: JSON.stringify(next.document),
            updated_at: now,
            ...(next.srSopInstanceUid !== undefined && { sr_sop_instance_uid: next.srSopInstanceUid }),
          })
          .where('id', '=', reportId)
          .where('version', '=', expectedVersion)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return false;
        await tx
          .insertInto('report_version')
          .values({ report_id: reportId, version: next.version, event: next.event, document: JSON.stringify(next.document), saved_by: next.savedBy })
          .execute();
        return true;
      });
    },

    /**
     * The signed RECIST reports of the same pseudonymous patient at the same reading centre,
     * other than `consultId`'s own, oldest study first: where a follow-up takes its baseline
     * and nadir from. "Same patient" is the patient row of the consult's studies (one sending
     * hospital's pseudonym); the reading centre sees only its own consults.
     */
    async signedRecistOfSamePatient(readingTenantId: string, consultId: string) {
      const patients = db
        .selectFrom('consult_study as cs')
        .innerJoin('study as s', 's.id', 'cs.study_id')
        .select('s.patient_id')
        .where('cs.consult_id', '=', consultId);
      return db
        .selectFrom('report as r')
        .innerJoin('consult as c', 'c.id', 'r.consult_id')
        .select(['r.consult_id', 'r.document'])
        .where('c.reading_tenant_id', '=', readingTenantId)
        .where('c.id', '<>', consultId)
        .where('r.status', 'in', ['final', 'amended'])
        .where(sql<string>`r.document->'template'->>'id'`, '=', 'recist')
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('consult_study as pcs')
              .innerJoin('study as ps', 'ps.id', 'pcs.study_id')
              .select('pcs.study_id')
              .whereRef('pcs.consult_id', '=', 'c.id')
              .where('ps.patient_id', 'in', patients),
          ),
        )
        .orderBy('r.created_at')
        .execute();
    },

    setSrInstance(reportId: string, sopInstanceUid: string) {
      return db.updateTable('report').set({ sr_sop_instance_uid: sopInstanceUid }).where('id', '=', reportId).execute();
    },

    history(reportId: string) {
      return db
        .selectFrom('report_version as v')
        .innerJoin('app_user as u', 'u.id', 'v.saved_by')
        .select(['v.version', 'v.event', 'v.saved_at', 'u.display_name as saved_by_name', 'v.document'])
        .where('v.report_id', '=', reportId)
        .orderBy('v.version')
        .execute();
    },

    async inviteReader(reader: { consultId: string; userId: string; kind: 'second-opinion' | 'tumour-board'; invitedBy: string }) {
      await db
        .insertInto('consult_reader')
        .values({ consult_id: reader.consultId, user_id: reader.userId, kind: reader.kind, invited_by: reader.invitedBy })
        .onConflict((oc) => oc.columns(['consult_id', 'user_id']).doUpdateSet({ kind: reader.kind }))
        .execute();
    },

    readers(consultId: string) {
      return db
        .selectFrom('consult_reader as r')
        .innerJoin('app_user as u', 'u.id', 'r.user_id')
        .select(['r.user_id', 'r.kind', 'r.invited_at', 'u.display_name', 'u.licensed'])
        .where('r.consult_id', '=', consultId)
        .orderBy('r.invited_at')
        .execute();
    },

    async addKeyImage(image: { id: string; consultId: string; objectKey: string; sizeBytes: number; createdBy: string }) {
      await db.insertInto('key_image').values({ id: image.id, consult_id: image.consultId, object_key: image.objectKey, size_bytes: image.sizeBytes, created_by: image.createdBy }).execute();
    },

    keyImage(consultId: string, id: string) {
      return db.selectFrom('key_image').selectAll().where('consult_id', '=', consultId).where('id', '=', id).executeTakeFirst();
    },
  };
}

export type ReportRepository = ReturnType<typeof createReportRepository>;
