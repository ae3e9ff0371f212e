import type { ExpressionBuilder, Kysely } from 'kysely';

import { activeReferralStatuses, type CentreRelationshipKind, type Database, type ReferralStatus } from './schema.js';

/** Statuses in which the partner centre sees the consult (the sender consented, nobody withdrew it). */
export const partnerVisibleStatuses: readonly ReferralStatus[] = ['open', 'submitted', 'returned', 'countersigned'];

/**
 * Ids of the consults referred to `tenantId` that it may see: the same rule as the
 * `referral_partner` policies (migration `2026-12-09T50-referral`), so queries and the database agree.
 */
export function referredTo(eb: ExpressionBuilder<any, any>, tenantId: string) {
  return eb
    .selectFrom('consult_referral as r')
    .select('r.consult_id')
    .where('r.to_tenant_id', '=', tenantId)
    .where('r.consent_at', 'is not', null)
    .where('r.status', 'in', [...partnerVisibleStatuses]);
}

/** Centre relationships (configuration) and the referrals of consults along them. */
export function createReferralRepository(db: Kysely<Database>) {
  const withNames = () =>
    db
      .selectFrom('consult_referral as r')
      .innerJoin('tenant as from_centre', 'from_centre.id', 'r.from_tenant_id')
      .innerJoin('tenant as to_centre', 'to_centre.id', 'r.to_tenant_id')
      .innerJoin('app_user as requester', 'requester.id', 'r.requested_by')
      .leftJoin('app_user as consenter', 'consenter.id', 'r.consent_by')
      .leftJoin('app_user as reader', 'reader.id', 'r.partner_reader_id')
      .leftJoin('app_user as countersigner', 'countersigner.id', 'r.countersigned_by')
      .selectAll('r')
      .select([
        'from_centre.name as from_tenant_name',
        'to_centre.name as to_tenant_name',
        'requester.display_name as requested_by_name',
        'consenter.display_name as consent_by_name',
        'reader.display_name as partner_reader_name',
        'countersigner.display_name as countersigned_by_name',
      ]);

  return {
    relationships: {
      list() {
        return db
          .selectFrom('centre_relationship as cr')
          .innerJoin('tenant as f', 'f.id', 'cr.from_tenant_id')
          .innerJoin('tenant as t', 't.id', 'cr.to_tenant_id')
          .selectAll('cr')
          .select(['f.name as from_tenant_name', 't.name as to_tenant_name'])
          .orderBy('f.name')
          .orderBy('t.name')
          .execute();
      },
      /** The centres `tenantId` may refer to. */
      from(tenantId: string) {
        return db
          .selectFrom('centre_relationship as cr')
          .innerJoin('tenant as t', 't.id', 'cr.to_tenant_id')
          .select(['cr.to_tenant_id', 'cr.kind', 't.name as to_tenant_name'])
          .where('cr.from_tenant_id', '=', tenantId)
          .orderBy('t.name')
          .execute();
      },
      /** Null when the pair exists already. */
      async create(input: { fromTenantId: string; toTenantId: string; kind: CentreRelationshipKind; createdBy: string | null }) {
        return db
          .insertInto('centre_relationship')
          .values({ from_tenant_id: input.fromTenantId, to_tenant_id: input.toTenantId, kind: input.kind, created_by: input.createdBy })
          .onConflict((oc) => oc.columns(['from_tenant_id', 'to_tenant_id']).doNothing())
          .returningAll()
          .executeTakeFirst();
      },
      async remove(id: string): Promise<boolean> {
        const result = await db.deleteFrom('centre_relationship').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      },
    },

    /** Null when the consult already has a referral under way. */
    async create(input: { consultId: string; fromTenantId: string; toTenantId: string; kind: CentreRelationshipKind; reason: string; requestedBy: string; now: Date }) {
      return db
        .insertInto('consult_referral')
        .values({
          consult_id: input.consultId,
          from_tenant_id: input.fromTenantId,
          to_tenant_id: input.toTenantId,
          kind: input.kind,
          reason: input.reason,
          requested_by: input.requestedBy,
          requested_at: input.now,
          updated_at: input.now,
        } as never)
        .onConflict((oc) => oc.column('consult_id').where('status', 'in', [...activeReferralStatuses]).doNothing())
        .returning('id')
        .executeTakeFirst();
    },

    /** The consult's latest referral as the caller's hospital may see it, with the names of the people and centres. */
    latest(consultId: string) {
      return withNames().where('r.consult_id', '=', consultId).orderBy('r.requested_at', 'desc').limit(1).executeTakeFirst();
    },

    /** The latest referral of each consult (for worklists). */
    async latestByConsult(consultIds: string[]) {
      const rows = consultIds.length ? await withNames().where('r.consult_id', 'in', consultIds).orderBy('r.requested_at', 'asc').execute() : [];
      return new Map(rows.map((row) => [row.consult_id, row]));
    },

    /**
     * Moves a referral from one of `from` to `to`, with the columns that go with it; false when
     * it was not in one of `from` (someone else moved it first).
     */
    async transition(
      id: string,
      from: readonly ReferralStatus[],
      to: ReferralStatus,
      changes: Partial<{ consent_by: string; consent_at: Date; submitted_at: Date; submitted_version: number; countersigned_by: string; countersigned_at: Date; comment: string | null }>,
      now: Date,
    ): Promise<boolean> {
      const result = await db
        .updateTable('consult_referral')
        .set({ ...changes, status: to, updated_at: now })
        .where('id', '=', id)
        .where('status', 'in', [...from])
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** The partner's reader: the first of its specialists to write the report holds it. False when another holds it. */
    async holdForReader(id: string, userId: string): Promise<boolean> {
      await db.updateTable('consult_referral').set({ partner_reader_id: userId }).where('id', '=', id).where('partner_reader_id', 'is', null).execute();
      const row = await db.selectFrom('consult_referral').select('partner_reader_id').where('id', '=', id).executeTakeFirst();
      return row?.partner_reader_id === userId;
    },
  };
}

export type ReferralRepository = ReturnType<typeof createReferralRepository>;
export type ReferralRow = NonNullable<Awaited<ReturnType<ReferralRepository['latest']>>>;
