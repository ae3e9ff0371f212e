import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';

import { referredTo } from './referrals.js';
import type { ConsultPriority, Database } from './schema.js';

export interface NewConsult {
  sendingTenantId: string;
  readingTenantId: string;
  createdBy: string;
  clinicalQuestion: string;
  clinicalHistory?: string | null;
  priority: ConsultPriority;
  dueAt: Date;
  studyIds: string[];
  /** The app's clock, so due time and creation come from one clock. */
  createdAt: Date;
  /** Before an international patient arrives: their language and arrival date (YYYY-MM-DD). */
  preArrival?: { patientLanguage: 'zh-CN' | 'en'; arrivalDate: string | null } | null;
}

/**
 * Consults: a sending hospital asks a reading centre to read some of its studies. Reads are
 * scoped to a tenant that is either side of the consult; anything else is not found.
 */
/** `rows` as lists of `value` per consult, in row order. */
function groupByConsult<R extends { consult_id: string }>(rows: R[], value: (row: R) => string): Map<string, string[]> {
  const byConsult = new Map<string, string[]>();
  for (const row of rows) {
    const list = byConsult.get(row.consult_id) ?? [];
    list.push(value(row));
    byConsult.set(row.consult_id, list);
  }
  return byConsult;
}

/** Inserts a consult with its studies, inside the caller's transaction. */
export async function insertConsult(tx: Transaction<Database>, consult: NewConsult) {
  const row = await tx
    .insertInto('consult')
    .values({
      sending_tenant_id: consult.sendingTenantId,
      reading_tenant_id: consult.readingTenantId,
      created_by: consult.createdBy,
      clinical_question: consult.clinicalQuestion,
      clinical_history: consult.clinicalHistory || null,
      priority: consult.priority,
      due_at: consult.dueAt,
      created_at: consult.createdAt,
      updated_at: consult.createdAt,
      ...(consult.preArrival && { pre_arrival: true, patient_language: consult.preArrival.patientLanguage, arrival_date: consult.preArrival.arrivalDate }),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await tx
    .insertInto('consult_study')
    .values(consult.studyIds.map((studyId) => ({ consult_id: row.id, study_id: studyId })))
    .execute();
  return row;
}

export function createConsultRepository(db: Kysely<Database>) {
  /** The study ids of each of `consultIds` (one query for a whole worklist). */
  const studyIdsByConsult = async (consultIds: string[]): Promise<Map<string, string[]>> => {
    if (consultIds.length === 0) return new Map();
    const rows = await db.selectFrom('consult_study').select(['consult_id', 'study_id']).where('consult_id', 'in', consultIds).execute();
    return groupByConsult(rows, (row) => row.study_id);
  };

  const visibleTo = (tenantId: string) =>
    db
      .selectFrom('consult as c')
      .innerJoin('tenant as sender', 'sender.id', 'c.sending_tenant_id')
      .innerJoin('tenant as reader', 'reader.id', 'c.reading_tenant_id')
      .leftJoin('app_user as claimer', 'claimer.id', 'c.claimed_by')
      .selectAll('c')
      .select(['sender.name as sending_tenant_name', 'reader.name as reading_tenant_name', 'claimer.display_name as claimed_by_name'])
      // A partner centre sees the consults referred to it once the sending hospital consented.
      .where((eb) => eb.or([eb('c.sending_tenant_id', '=', tenantId), eb('c.reading_tenant_id', '=', tenantId), eb('c.id', 'in', referredTo(eb, tenantId))]));

  return {
    create(consult: NewConsult) {
      return db.transaction().execute((tx) => insertConsult(tx, consult));
    },

    /** Consults the tenant sent or must read, stat first then by due time. */
    /**
     * A hospital's consults for its worklist: every open one first (stat, urgent, routine, then
     * by due time), then the most recently created closed ones, up to `limit` in all. Ordered
     * by due time alone, a year of reported consults filled the list and pushed new ones out.
     */
    list(tenantId: string, options: { limit?: number } = {}) {
      const open = (eb: ExpressionBuilder<any, any>) => eb('c.status', 'in', ['new', 'in_progress']);
      return visibleTo(tenantId)
        .orderBy((eb) => eb.case().when(open(eb)).then(0).else(1).end())
        .orderBy((eb) => eb.case().when(eb.not(open(eb))).then(0).when('c.priority', '=', 'stat').then(0).when('c.priority', '=', 'urgent').then(1).else(2).end())
        .orderBy((eb) => eb.case().when(open(eb)).then(eb.ref('c.due_at')).end())
        .orderBy('c.created_at', 'desc')
        .limit(options.limit ?? 500)
        .execute();
    },

    get(tenantId: string, id: string) {
      return visibleTo(tenantId).where('c.id', '=', id).executeTakeFirst();
    },

    async studyIds(consultId: string): Promise<string[]> {
      return (await studyIdsByConsult([consultId])).get(consultId) ?? [];
    },

    studyIdsByConsult,

    /** Study ids already attached to any consult, among `studyIds`. */
    /** Which of these studies are part of a consult that was not cancelled. */
    async studiesInConsults(studyIds: string[]): Promise<Set<string>> {
      if (studyIds.length === 0) return new Set();
      const rows = await db
        .selectFrom('consult_study as cs')
        .innerJoin('consult as c', 'c.id', 'cs.consult_id')
        .select('cs.study_id')
        .where('cs.study_id', 'in', studyIds)
        .where('c.status', '!=', 'cancelled')
        .execute();
      return new Set(rows.map((r) => r.study_id));
    },

    /** Adds studies to an open consult; the consult row is locked so a signature or a cancellation cannot slip in between. */
    addStudies(consultId: string, studyIds: string[]): Promise<'added' | 'closed'> {
      return db.transaction().execute(async (tx) => {
        const consult = await tx.selectFrom('consult').select('status').where('id', '=', consultId).forUpdate().executeTakeFirstOrThrow();
        if (consult.status === 'reported' || consult.status === 'cancelled') return 'closed';
        await tx
          .insertInto('consult_study')
          .values(studyIds.map((studyId) => ({ consult_id: consultId, study_id: studyId })))
          .onConflict((oc) => oc.doNothing())
          .execute();
        return 'added';
      });
    },

    addAttachment(attachment: { consultId: string; tenantId: string; objectKey: string; mediaType: string; sizeBytes: number; label: string; checkResult: unknown }) {
      return db
        .insertInto('consult_attachment')
        .values({
          consult_id: attachment.consultId,
          tenant_id: attachment.tenantId,
          object_key: attachment.objectKey,
          media_type: attachment.mediaType,
          size_bytes: attachment.sizeBytes,
          label: attachment.label,
          check_result: attachment.checkResult === null ? null : JSON.stringify(attachment.checkResult),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /**
     * Assigns the consult to a reader, or fails when another reader holds it. Reported and
     * cancelled consults cannot be claimed.
     */
    async claim(readingTenantId: string, consultId: string, userId: string, now: Date): Promise<'claimed' | 'held-by-other' | 'closed'> {
      const updated = await db
        .updateTable('consult')
        .set({ claimed_by: userId, claimed_at: now, status: 'in_progress', updated_at: now })
        .where('id', '=', consultId)
        .where('reading_tenant_id', '=', readingTenantId)
        .where('status', 'in', ['new', 'in_progress'])
        .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claimed_by', '=', userId)]))
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 1) return 'claimed';
      const current = await db.selectFrom('consult').select(['status', 'claimed_by']).where('id', '=', consultId).executeTakeFirst();
      return current && (current.status === 'new' || current.status === 'in_progress') ? 'held-by-other' : 'closed';
    },

    /** Gives an open consult to a specialist, or back to the worklist (null), whoever held it. */
    async assign(readingTenantId: string, consultId: string, userId: string | null, now: Date): Promise<boolean> {
      const updated = await db
        .updateTable('consult')
        .set({ claimed_by: userId, claimed_at: userId ? now : null, status: userId ? 'in_progress' : 'new', updated_at: now })
        .where('id', '=', consultId)
        .where('reading_tenant_id', '=', readingTenantId)
        .where('status', 'in', ['new', 'in_progress'])
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) === 1;
    },

    /** Gives a claimed consult back to the worklist (only its holder can). */
    async release(readingTenantId: string, consultId: string, userId: string, now: Date): Promise<boolean> {
      const updated = await db
        .updateTable('consult')
        .set({ claimed_by: null, claimed_at: null, status: 'new', updated_at: now })
        .where('id', '=', consultId)
        .where('reading_tenant_id', '=', readingTenantId)
        .where('status', '=', 'in_progress')
        .where('claimed_by', '=', userId)
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) === 1;
    },

    /** Records a turnaround milestone once (the first time it happens). */
    async mark(consultId: string, milestone: 'preliminary' | 'signed' | 'acknowledged', now: Date, userId?: string): Promise<void> {
      const column = milestone === 'preliminary' ? 'preliminary_at' : milestone === 'signed' ? 'signed_at' : 'acknowledged_at';
      await db
        .updateTable('consult')
        .set({
          [column]: now,
          updated_at: now,
          ...(milestone === 'signed' && { status: 'reported' as const }),
          ...(milestone === 'acknowledged' && userId && { acknowledged_by: userId }),
        })
        .where('id', '=', consultId)
        .where(column, 'is', null)
        .execute();
    },

    /** Body parts over the consult's series (for the worklist). */
    /** The body parts examined in each of `consultIds`' series, sorted. */
    async bodyPartsByConsult(consultIds: string[]): Promise<Map<string, string[]>> {
      if (consultIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('consult_study as cs')
        .innerJoin('series as se', 'se.study_id', 'cs.study_id')
        .select(['cs.consult_id', 'se.body_part'])
        .distinct()
        .where('cs.consult_id', 'in', consultIds)
        .where('se.body_part', 'is not', null)
        .orderBy('se.body_part')
        .execute();
      return groupByConsult(rows, (row) => row.body_part!);
    },

    /** The latest annotation version of each author on a consult. */
    async latestAnnotations(consultId: string) {
      return db
        .selectFrom('consult_annotation as a')
        .innerJoin('app_user as u', 'u.id', 'a.author_id')
        .select(['a.author_id', 'u.display_name', 'a.version', 'a.data', 'a.created_at'])
        .where('a.consult_id', '=', consultId)
        .where((eb) =>
          eb(
            'a.version',
            '=',
            eb.selectFrom('consult_annotation as b').select((b) => b.fn.max('b.version').as('v')).whereRef('b.consult_id', '=', 'a.consult_id').whereRef('b.author_id', '=', 'a.author_id'),
          ),
        )
        .execute();
    },

    /**
     * Saves the next version of an author's annotations if `expectedVersion` is still the
     * latest; returns the new version, or null when someone saved in between (a lost update
     * is refused, never silently merged).
     */
    async saveAnnotations(consultId: string, authorId: string, expectedVersion: number, data: unknown): Promise<number | null> {
      try {
        return await db.transaction().execute(async (tx) => {
          const latest = await tx
            .selectFrom('consult_annotation')
            .select((eb) => eb.fn.max('version').as('v'))
            .where('consult_id', '=', consultId)
            .where('author_id', '=', authorId)
            .executeTakeFirst();
          if (Number(latest?.v ?? 0) !== expectedVersion) return null;
          await tx
            .insertInto('consult_annotation')
            .values({ consult_id: consultId, author_id: authorId, version: expectedVersion + 1, data: JSON.stringify(data) })
            .execute();
          return expectedVersion + 1;
        });
      } catch (error) {
        // Two saves of the same version race on the primary key: the second one lost.
        if ((error as { code?: string }).code === '23505') return null;
        throw error;
      }
    },

    async releaseAttachment(consultId: string, attachmentId: string, userId: string, reason: string | null, now: Date): Promise<boolean> {
      const result = await db
        .updateTable('consult_attachment')
        .set({ review: 'released', reviewed_by: userId, reviewed_at: now, review_reason: reason })
        .where('consult_id', '=', consultId)
        .where('id', '=', attachmentId)
        .where('review', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Releases a pending document as its redacted copy: the reading centre gets that one, the sender keeps both. */
    async releaseRedactedAttachment(
      consultId: string,
      attachmentId: string,
      userId: string,
      redacted: { objectKey: string; sizeBytes: number; redaction: unknown },
      now: Date,
    ): Promise<boolean> {
      const result = await db
        .updateTable('consult_attachment')
        .set({
          review: 'released',
          reviewed_by: userId,
          reviewed_at: now,
          review_reason: null,
          redacted_object_key: redacted.objectKey,
          redacted_size_bytes: redacted.sizeBytes,
          redaction: JSON.stringify(redacted.redaction),
        })
        .where('consult_id', '=', consultId)
        .where('id', '=', attachmentId)
        .where('review', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Removes an attachment's row; the caller deletes its objects (the original and any redacted copy). */
    async removeAttachment(consultId: string, attachmentId: string) {
      return db
        .deleteFrom('consult_attachment')
        .where('consult_id', '=', consultId)
        .where('id', '=', attachmentId)
        .returning(['object_key', 'redacted_object_key'])
        .executeTakeFirst();
    },

    attachments(consultId: string) {
      return db.selectFrom('consult_attachment').selectAll().where('consult_id', '=', consultId).orderBy('created_at').execute();
    },
  };
}

export type ConsultRepository = ReturnType<typeof createConsultRepository>;
