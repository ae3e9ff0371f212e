import { sql, type Kysely } from 'kysely';

/**
 * Turnaround you can see: a reading centre's service level per priority (`service_level`;
 * without a row, stat 1 h, urgent 24 h, routine 72 h), the escalations of a consult that has
 * used 80 % and 100 % of its time (`consult.escalated_80_at`, `escalated_100_at`, set once each),
 * and in-app notifications per user (`notification`). Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('service_level')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id').onDelete('cascade'))
    .addColumn('priority', 'text', (c) => c.notNull().check(sql`priority in ('routine', 'urgent', 'stat')`))
    .addColumn('minutes', 'integer', (c) => c.notNull().check(sql`minutes between 5 and 43200`))
    .addPrimaryKeyConstraint('service_level_pkey', ['tenant_id', 'priority'])
    .execute();
  await db.schema.alterTable('consult').addColumn('escalated_80_at', 'timestamptz').addColumn('escalated_100_at', 'timestamptz').execute();
  await db.schema
    .createIndex('consult_open_due_idx')
    .on('consult')
    .column('due_at')
    .where(sql.ref('status'), 'in', sql`('new', 'in_progress')`)
    .execute();

  await db.schema
    .createTable('notification')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('app_user.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('consult-due-soon', 'consult-overdue')`))
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('read_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('notification_user_idx').on('notification').columns(['user_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notification').execute();
  await db.schema.dropIndex('consult_open_due_idx').execute();
  await db.schema.alterTable('consult').dropColumn('escalated_100_at').dropColumn('escalated_80_at').execute();
  await db.schema.dropTable('service_level').execute();
}
