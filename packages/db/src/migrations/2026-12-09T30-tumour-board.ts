import { sql, type Kysely } from 'kysely';

/**
 * Tumour board sessions: a chair of the reading centre schedules a session (`board_session`)
 * with a case list (`board_case`, consults the centre reads, each with the consensus the chair
 * signs) and participants (`board_participant`, with the moment each joined: attendance). The
 * session row keeps the presenter and the presenter's viewport (`viewport`, bumped `viewport_seq`)
 * so a participant who joins late, or a replica that missed a notification, reads where the
 * board is; changes are announced with `NOTIFY yunzhen_board, '<session id>'` at commit.
 *
 * Row-level security: a session is visible to the hospitals it involves (`tenant_ids`: the
 * chair's and each participant's), its cases and participants with it. The list of tenants is
 * on the session row so the policies never refer back to one another. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = (c: any) => c.notNull().defaultTo(sql`now()`);
  await db.schema
    .createTable('board_session')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('tenant_ids', sql`uuid[]`, (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('scheduled_at', 'timestamptz', (c) => c.notNull())
    .addColumn('chair_id', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('presenter_id', 'uuid', (c) => c.references('app_user.id'))
    .addColumn('viewport', 'jsonb')
    .addColumn('viewport_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('board_session_tenants_idx').on('board_session').using('gin').column('tenant_ids').execute();

  await db.schema
    .createTable('board_case')
    .addColumn('session_id', 'uuid', (c) => c.notNull().references('board_session.id').onDelete('cascade'))
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('recommendation', 'jsonb')
    .addColumn('signed_by', 'uuid', (c) => c.references('app_user.id'))
    .addColumn('signed_at', 'timestamptz')
    .addPrimaryKeyConstraint('board_case_pkey', ['session_id', 'consult_id'])
    .execute();
  await db.schema.createIndex('board_case_consult_idx').on('board_case').column('consult_id').execute();

  await db.schema
    .createTable('board_participant')
    .addColumn('session_id', 'uuid', (c) => c.notNull().references('board_session.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('joined_at', 'timestamptz')
    .addPrimaryKeyConstraint('board_participant_pkey', ['session_id', 'user_id'])
    .execute();
  await db.schema.createIndex('board_participant_user_idx').on('board_participant').column('user_id').execute();

  const visible: Record<string, string> = {
    board_session: 'yunzhen_tenant() = any (tenant_ids)',
    board_case: 'session_id in (select id from board_session)',
    board_participant: 'session_id in (select id from board_session)',
  };
  for (const [table, condition] of Object.entries(visible)) {
    const name = sql.id(table);
    await sql`alter table ${name} enable row level security`.execute(db);
    await sql`create policy tenant_isolation on ${name} using (yunzhen_system() or ${sql.raw(condition)}) with check (yunzhen_system() or ${sql.raw(condition)})`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('board_participant').execute();
  await db.schema.dropTable('board_case').execute();
  await db.schema.dropTable('board_session').execute();
}
