import { sql, type Kysely } from 'kysely';

/**
 * Referral between centres. `centre_relationship` is configuration (which reading centre may
 * refer to which, `union` or `partner`), kept by deployment administrators (`app_user.deployment_admin`);
 * like tenants it is read before a hospital is known and is not under the policies.
 * `consult_referral` is one referral of a consult from its reading centre to another centre:
 * asked for with a reason, consented to by the sending hospital, read and submitted by the
 * partner, countersigned (or returned with a comment) by the first centre.
 *
 * Row-level security: the partner centre sees exactly the consults referred to it once the
 * sending hospital has consented (and not after a withdrawal or a refusal), and through them
 * their studies, series, instances and everything hanging off the consult. The set of those
 * consults comes from a SECURITY DEFINER function (run as the tables' owner, so not itself
 * filtered): a policy on `consult` that read `consult_referral`, whose own policy reads
 * `consult`, would recurse. The partner's policies are for reading only; its writes go to
 * rows whose policies already follow the visible consults (report, annotations). The vault
 * stays the sending hospital's alone, and the consult's conversation and documents stay
 * between the sender and the first centre (restrictive policies). Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = (c: any) => c.notNull().defaultTo(sql`now()`);
  await db.schema.alterTable('app_user').addColumn('deployment_admin', 'boolean', (c) => c.notNull().defaultTo(false)).execute();

  await db.schema
    .createTable('centre_relationship')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('from_tenant_id', 'uuid', (c) => c.notNull().references('tenant.id').onDelete('cascade'))
    .addColumn('to_tenant_id', 'uuid', (c) => c.notNull().references('tenant.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('union', 'partner')`))
    .addColumn('created_by', 'uuid', (c) => c.references('app_user.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', now)
    .addUniqueConstraint('centre_relationship_pair', ['from_tenant_id', 'to_tenant_id'])
    .addCheckConstraint('centre_relationship_not_self', sql`from_tenant_id <> to_tenant_id`)
    .execute();

  await db.schema
    .createTable('consult_referral')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id').onDelete('cascade'))
    .addColumn('from_tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('to_tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('union', 'partner')`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('awaiting-consent').check(sql`status in ('awaiting-consent', 'declined', 'open', 'submitted', 'returned', 'countersigned')`),
    )
    .addColumn('requested_by', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('requested_at', 'timestamptz', now)
    .addColumn('consent_by', 'uuid', (c) => c.references('app_user.id'))
    .addColumn('consent_at', 'timestamptz')
    .addColumn('partner_reader_id', 'uuid', (c) => c.references('app_user.id'))
    .addColumn('submitted_at', 'timestamptz')
    .addColumn('submitted_version', 'integer')
    .addColumn('countersigned_by', 'uuid', (c) => c.references('app_user.id'))
    .addColumn('countersigned_at', 'timestamptz')
    .addColumn('comment', 'text')
    .addColumn('updated_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('consult_referral_consult_idx').on('consult_referral').column('consult_id').execute();
  await db.schema.createIndex('consult_referral_partner_idx').on('consult_referral').columns(['to_tenant_id', 'consult_id']).execute();
  // One referral under way per consult.
  await sql`create unique index consult_referral_one_active on consult_referral (consult_id) where status in ('awaiting-consent', 'open', 'submitted', 'returned')`.execute(db);

  await sql`
    create function yunzhen_referred_consults() returns setof uuid language sql stable security definer
    set search_path = public, pg_catalog
    as $$ select consult_id from consult_referral
          where to_tenant_id = yunzhen_tenant() and consent_at is not null and status in ('open', 'submitted', 'returned', 'countersigned') $$`.execute(db);

  await sql`alter table consult_referral enable row level security`.execute(db);
  await sql`create policy tenant_isolation on consult_referral using (yunzhen_system() or from_tenant_id = yunzhen_tenant() or consult_id in (select id from consult)) with check (yunzhen_system() or from_tenant_id = yunzhen_tenant() or consult_id in (select id from consult))`.execute(db);

  const referred = 'select cs.study_id from consult_study cs where cs.consult_id in (select yunzhen_referred_consults())';
  const partnerReads: Record<string, string> = {
    consult: 'id in (select yunzhen_referred_consults())',
    study: `id in (${referred})`,
    series: `study_id in (${referred})`,
    instance: `study_id in (${referred})`,
  };
  for (const [table, condition] of Object.entries(partnerReads)) {
    await sql`create policy referral_partner on ${sql.id(table)} for select using (${sql.raw(condition)})`.execute(db);
  }
  // The conversation and the documents stay between the sender and its reading centre: a
  // restrictive policy hides them from a partner (documents released with a reason may name the patient).
  const ownSide = 'select id from consult where sending_tenant_id = yunzhen_tenant() or reading_tenant_id = yunzhen_tenant()';
  for (const table of partnerHidden) {
    await sql`create policy referral_partner_hidden on ${sql.id(table)} as restrictive using (yunzhen_system() or consult_id not in (select yunzhen_referred_consults()) or consult_id in (${sql.raw(ownSide)}))`.execute(db);
  }
}

const partnerHidden = ['consult_message', 'consult_message_read', 'consult_attachment'];

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of partnerHidden) await sql`drop policy referral_partner_hidden on ${sql.id(table)}`.execute(db);
  for (const table of ['consult', 'study', 'series', 'instance']) await sql`drop policy referral_partner on ${sql.id(table)}`.execute(db);
  await db.schema.dropTable('consult_referral').execute();
  await sql`drop function yunzhen_referred_consults()`.execute(db);
  await db.schema.dropTable('centre_relationship').execute();
  await db.schema.alterTable('app_user').dropColumn('deployment_admin').execute();
}
