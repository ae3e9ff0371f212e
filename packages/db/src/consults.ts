import type { Kysely } from 'kysely';

import type { ConsultPriority, Database } from './schema.js';

export interface NewConsult {
  sendingTenantId: string;
  readingTenantId: string;
  createdBy: string;
  clinicalQuestion: string;
  priority: ConsultPriority;
  dueAt: Date;
  studyIds: string[];
}

/**
 * Consults: a sending hospital asks a reading centre to read some of its studies. Reads are
 * scoped to a tenant that is either side of the consult; anything else is not found.
 */
export function createConsultRepository(db: Kysely<Database>) {
  const visibleTo = (tenantId: string) =>
    db
      .selectFrom('consult as c')
      .innerJoin('tenant as sender', 'sender.id', 'c.sending_tenant_id')
      .innerJoin('tenant as reader', 'reader.id', 'c.reading_tenant_id')
      .selectAll('c')
      .select(['sender.name as sending_tenant_name', 'reader.name as reading_tenant_name'])
      .where((eb) => eb.or([eb('c.sending_tenant_id', '=', tenantId), eb('c.reading_tenant_id', '=', tenantId)]));

  return {
    create(consult: NewConsult) {
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('consult')
          .values({
            sending_tenant_id: consult.sendingTenantId,
            reading_tenant_id: consult.readingTenantId,
            created_by: consult.createdBy,
            clinical_question: consult.clinicalQuestion,
            priority: consult.priority,
            due_at: consult.dueAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await tx
          .insertInto('consult_study')
          .values(consult.studyIds.map((studyId) => ({ consult_id: row.id, study_id: studyId })))
          .execute();
        return row;
      });
    },

    /** Consults the tenant sent or must read, stat first then by due time. */
    list(tenantId: string, options: { limit?: number } = {}) {
      return visibleTo(tenantId)
        .orderBy((eb) => eb.case().when('c.priority', '=', 'stat').then(0).when('c.priority', '=', 'urgent').then(1).else(2).end())
        .orderBy('c.due_at')
        .limit(options.limit ?? 200)
        .execute();
    },

    get(tenantId: string, id: string) {
      return visibleTo(tenantId).where('c.id', '=', id).executeTakeFirst();
    },

    studyIds(consultId: string): Promise<string[]> {
      return db
        .selectFrom('consult_study')
        .select('study_id')
        .where('consult_id', '=', consultId)
        .execute()
        .then((rows) => rows.map((r) => r.study_id));
    },

    /** Study ids already attached to any consult, among `studyIds`. */
    async studiesInConsults(studyIds: string[]): Promise<Set<string>> {
      if (studyIds.length === 0) return new Set();
      const rows = await db.selectFrom('consult_study').select('study_id').where('study_id', 'in', studyIds).execute();
      return new Set(rows.map((r) => r.study_id));
    },

    addAttachment(attachment: { consultId: string; tenantId: string; objectKey: string; mediaType: string; sizeBytes: number; label: string }) {
      return db
        .insertInto('consult_attachment')
        .values({
          consult_id: attachment.consultId,
          tenant_id: attachment.tenantId,
          object_key: attachment.objectKey,
          media_type: attachment.mediaType,
          size_bytes: attachment.sizeBytes,
          label: attachment.label,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    attachments(consultId: string) {
      return db.selectFrom('consult_attachment').selectAll().where('consult_id', '=', consultId).orderBy('created_at').execute();
    },
  };
}

export type ConsultRepository = ReturnType<typeof createConsultRepository>;
