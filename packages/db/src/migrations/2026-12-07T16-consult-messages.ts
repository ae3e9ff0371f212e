import { sql, type Kysely } from 'kysely';

/**
 * The conversation of a consult between the sending hospital and the reading centre
 * (`consult_message`: questions, requests, answers; text per language), how far each user has
 * read it (`consult_message_read`), and the e-mail outbox that tells the other side (`email_outbox`:
 * notices without patient identity, sent by a pass with retries, claimed so replicas send once). Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = (c: any) => c.notNull().defaultTo(sql`now()`);
  await db.schema
    .createTable('consult_message')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id').onDelete('cascade'))
    .addColumn('author_id', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('side', 'text', (c) => c.notNull().check(sql`side in ('sender', 'reader')`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('question', 'request', 'answer', 'note')`))
    .addColumn('text', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('consult_message_consult_idx').on('consult_message').columns(['consult_id', 'created_at']).execute();

  await db.schema
    .createTable('consult_message_read')
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('app_user.id').onDelete('cascade'))
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id').onDelete('cascade'))
    .addColumn('read_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('consult_message_read_pkey', ['user_id', 'consult_id'])
    .execute();

  await db.schema
    .createTable('email_outbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', now)
    .addColumn('last_error', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('sent_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('email_outbox_due_idx').on('email_outbox').columns(['status', 'next_attempt_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('email_outbox').execute();
  await db.schema.dropTable('consult_message_read').execute();
  await db.schema.dropTable('consult_message').execute();
}
