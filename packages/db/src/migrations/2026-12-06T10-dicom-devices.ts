import { sql, type Kysely } from 'kysely';

/**
 * A hospital's DICOM devices (PACS, modalities): the AE title and source addresses Yunzhen
 * accepts associations from, whether the device may send to us and/or receive from us, and
 * for a receiving PACS where to reach it. `pacs_delivery` is the outbox that returns signed
 * reports (SR + Encapsulated PDF) to the receiving devices by C-STORE, with retries. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = (c: any) => c.notNull().defaultTo(sql`now()`);
  await db.schema
    .createTable('dicom_device')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ae_title', 'text', (c) => c.notNull())
    .addColumn('allowed_cidrs', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('may_send', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('may_receive', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('host', 'text')
    .addColumn('port', 'integer')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('updated_at', 'timestamptz', now)
    .addUniqueConstraint('dicom_device_tenant_ae_key', ['tenant_id', 'ae_title'])
    .addCheckConstraint('dicom_device_receiver_address', sql`not may_receive or (host is not null and port is not null)`)
    .execute();
  await db.schema.createIndex('dicom_device_ae_idx').on('dicom_device').column('ae_title').execute();

  await db.schema
    .createTable('pacs_delivery')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id'))
    .addColumn('device_id', 'uuid', (c) => c.notNull().references('dicom_device.id').onDelete('cascade'))
    .addColumn('report_version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'delivered', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', now)
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('delivered_at', 'timestamptz')
    .addUniqueConstraint('pacs_delivery_once_key', ['consult_id', 'device_id', 'report_version'])
    .execute();
  await db.schema.createIndex('pacs_delivery_due_idx').on('pacs_delivery').columns(['status', 'next_attempt_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pacs_delivery').execute();
  await db.schema.dropTable('dicom_device').execute();
}
