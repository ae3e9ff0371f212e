import { sql, type Kysely } from 'kysely';

/**
 * What several replicas on one database need. Frozen.
 *
 * - `claimed_by` on both outboxes (webhooks, PACS returns): which process holds a delivery's
 *   lease. The lease itself is `next_attempt_at`, pushed out when a delivery is claimed, so a
 *   crashed replica's claim simply falls due again.
 * - `pending_object`: the key of every object is written here before the object is put and
 *   removed with its index row, so the orphan sweep reads this table instead of listing the
 *   bucket.
 * - `notify_cache_change()`: revoked sessions and tokens, changed users and consults are
 *   announced on the `yunzhen_cache` channel (LISTEN/NOTIFY, delivered at commit), so every
 *   replica drops what it cached about them at once, whichever code path or replica changed them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_delivery').addColumn('claimed_by', 'text').execute();
  await db.schema.alterTable('pacs_delivery').addColumn('claimed_by', 'text').execute();

  await db.schema
    .createTable('pending_object')
    .addColumn('object_key', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('pending_object_age_idx').on('pending_object').column('created_at').execute();

  await sql`
    create function notify_cache_change() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'user_session' then
        perform pg_notify('yunzhen_cache', 'credential:' || old.id_hash);
      elsif tg_table_name = 'api_token' then
        perform pg_notify('yunzhen_cache', 'credential:' || old.token_hash);
      elsif tg_table_name = 'app_user' then
        perform pg_notify('yunzhen_cache', 'user:' || old.id);
      else
        perform pg_notify('yunzhen_cache', 'visibility');
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger user_session_cache after update of revoked_at, expires_at or delete on user_session for each row execute function notify_cache_change()`.execute(db);
  await sql`create trigger api_token_cache after update of revoked_at, expires_at or delete on api_token for each row execute function notify_cache_change()`.execute(db);
  await sql`create trigger app_user_cache after update or delete on app_user for each row execute function notify_cache_change()`.execute(db);
  await sql`create trigger consult_cache after update of status, reading_tenant_id or delete on consult for each statement execute function notify_cache_change()`.execute(db);
  await sql`create trigger consult_study_cache after insert or update or delete on consult_study for each statement execute function notify_cache_change()`.execute(db);
  await sql`create trigger consult_reader_cache after insert or update or delete on consult_reader for each statement execute function notify_cache_change()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [trigger, table] of [
    ['consult_reader_cache', 'consult_reader'],
    ['consult_study_cache', 'consult_study'],
    ['consult_cache', 'consult'],
    ['app_user_cache', 'app_user'],
    ['api_token_cache', 'api_token'],
    ['user_session_cache', 'user_session'],
  ] as const) {
    await sql`drop trigger ${sql.id(trigger)} on ${sql.id(table)}`.execute(db);
  }
  await sql`drop function notify_cache_change()`.execute(db);
  await db.schema.dropTable('pending_object').execute();
  await db.schema.alterTable('pacs_delivery').dropColumn('claimed_by').execute();
  await db.schema.alterTable('webhook_delivery').dropColumn('claimed_by').execute();
}
