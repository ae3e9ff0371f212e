import { type Kysely } from 'kysely';

/**
 * The webhook delivery log an admin reads: test events belong to no consult (so `consult_id`
 * may be empty), each attempt records when it happened and how long it took, and the log is
 * paged newest first per hospital. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('webhook_delivery')
    .alterColumn('consult_id', (c) => c.dropNotNull())
    .execute();
  await db.schema.alterTable('webhook_delivery').addColumn('last_attempt_at', 'timestamptz').execute();
  await db.schema.alterTable('webhook_delivery').addColumn('last_duration_ms', 'integer').execute();
  await db.schema.createIndex('webhook_delivery_log_idx').on('webhook_delivery').columns(['tenant_id', 'created_at', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_delivery_log_idx').execute();
  await db.schema.alterTable('webhook_delivery').dropColumn('last_duration_ms').execute();
  await db.schema.alterTable('webhook_delivery').dropColumn('last_attempt_at').execute();
  await db.deleteFrom('webhook_delivery').where('consult_id', 'is', null).execute();
  await db.schema
    .alterTable('webhook_delivery')
    .alterColumn('consult_id', (c) => c.setNotNull())
    .execute();
}
