import { sql, type Kysely } from 'kysely';

/**
 * Reports (one per consult, every version kept), second readers, key images, the consult's
 * turnaround timestamps, and per-hospital webhooks with their delivery log. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = (c: any) => c.notNull().defaultTo(sql`now()`);

  await db.schema
    .createTable('report')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('consult_id', 'uuid', (c) => c.notNull().unique().references('consult.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('draft', 'preliminary', 'final', 'amended')`))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'jsonb', (c) => c.notNull())
    .addColumn('sr_sop_instance_uid', 'text')
    .addColumn('created_by', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('updated_at', 'timestamptz', now)
    .execute();

  await db.schema
    .createTable('report_version')
    .addColumn('report_id', 'uuid', (c) => c.notNull().references('report.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('document', 'jsonb', (c) => c.notNull())
    .addColumn('saved_by', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('saved_at', 'timestamptz', now)
    .addPrimaryKeyConstraint('report_version_pkey', ['report_id', 'version'])
    .execute();

  await db.schema
    .createTable('consult_reader')
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('second-opinion', 'tumour-board')`))
    .addColumn('invited_by', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('invited_at', 'timestamptz', now)
    .addPrimaryKeyConstraint('consult_reader_pkey', ['consult_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('key_image')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id'))
    .addColumn('object_key', 'text', (c) => c.notNull().unique())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'timestamptz', now)
    .execute();

  await db.schema
    .alterTable('consult')
    .addColumn('preliminary_at', 'timestamptz')
    .addColumn('signed_at', 'timestamptz')
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('acknowledged_by', 'uuid', (c) => c.references('app_user.id'))
    .execute();

  await db.schema
    .createTable('hospital_webhook')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenant.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    // The signing secret, encrypted with the hospital's vault key.
    .addColumn('secret_ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('updated_at', 'timestamptz', now)
    .execute();

  await db.schema
    .createTable('webhook_delivery')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'delivered', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', now)
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('webhook_delivery_due_idx').on('webhook_delivery').columns(['status', 'next_attempt_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['webhook_delivery', 'hospital_webhook', 'key_image', 'consult_reader', 'report_version', 'report']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('consult').dropColumn('preliminary_at').dropColumn('signed_at').dropColumn('acknowledged_at').dropColumn('acknowledged_by').execute();
}
