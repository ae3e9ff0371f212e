import type { Kysely } from 'kysely';

/**
 * Audit events recorded once per key and time window across every replica (110103 Instances
 * Accessed: once per user and study per ten minutes): the first insert of a key and window
 * wins, and the audit event is written in the same statement. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_window')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_window_pkey', ['key', 'window_start'])
    .execute();
  await db.schema.createIndex('audit_window_start_idx').on('audit_window').column('window_start').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_window').execute();
}
