import { type Kysely } from 'kysely';

/**
 * Login throttling shared by every replica: one row per counter (an account from one source,
 * a source across accounts, an account from anywhere, a source trusted for an account), keyed
 * by a keyed hash so no email or address is stored. Rows past `expires_at` mean nothing and
 * are swept. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_throttle')
    .addColumn('key_hash', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'double precision', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('blocked_until', 'timestamptz')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_throttle_expires_idx').on('login_throttle').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_throttle').execute();
}
