import { sql, type Kysely } from 'kysely';

/**
 * Row-level security on the tables that belong to a hospital, so that a query which forgets
 * its `where` returns nothing instead of another hospital's rows. The application sets, per
 * pooled connection, whom it acts for (`yunzhen.tenant_id`, `yunzhen.user_id`) or that it runs
 * a named system job (`yunzhen.system`); with neither, these tables look empty.
 *
 * What a hospital sees: its own rows; as a reading centre, the consults sent to it, their
 * studies (with series, instances and patients) and everything hanging off those consults.
 * Inserts into the outboxes and the audit trail are open (a reading centre queues the sending
 * hospital's webhook and PACS delivery; a failed login is audited before anyone is known);
 * reading them is not. The table owner (who migrates) is not subject to the policies.
 * Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function yunzhen_tenant() returns uuid language sql stable
    as $$ select nullif(current_setting('yunzhen.tenant_id', true), '')::uuid $$`.execute(db);
  await sql`
    create function yunzhen_system() returns boolean language sql stable
    as $$ select coalesce(current_setting('yunzhen.system', true), '') <> '' $$`.execute(db);

  // Studies of consults sent to the acting reading centre (consult_study and consult are themselves filtered).
  const consulted = 'select cs.study_id from consult_study cs join consult c on c.id = cs.consult_id where c.reading_tenant_id = yunzhen_tenant()';
  const visible: Record<string, string> = {
    consult: 'sending_tenant_id = yunzhen_tenant() or reading_tenant_id = yunzhen_tenant()',
    study: `tenant_id = yunzhen_tenant() or id in (${consulted})`,
    series: `tenant_id = yunzhen_tenant() or study_id in (${consulted})`,
    instance: `tenant_id = yunzhen_tenant() or study_id in (${consulted})`,
    patient: 'tenant_id = yunzhen_tenant() or id in (select patient_id from study)',
    vault_entry: 'tenant_id = yunzhen_tenant()',
    consult_study: 'consult_id in (select id from consult)',
    consult_attachment: 'consult_id in (select id from consult)',
    consult_annotation: 'consult_id in (select id from consult)',
    consult_reader: 'consult_id in (select id from consult)',
    consult_message: 'consult_id in (select id from consult)',
    consult_message_read: 'consult_id in (select id from consult)',
    key_image: 'consult_id in (select id from consult)',
    report: 'consult_id in (select id from consult)',
    report_version: 'report_id in (select id from report)',
    notification: 'consult_id in (select id from consult)',
    hospital_webhook: 'tenant_id = yunzhen_tenant()',
    dicom_device: 'tenant_id = yunzhen_tenant()',
    device_study: 'device_id in (select id from dicom_device)',
    webhook_delivery: 'tenant_id = yunzhen_tenant()',
    pacs_delivery: 'tenant_id = yunzhen_tenant()',
    email_outbox: 'tenant_id = yunzhen_tenant()',
    audit_event: 'tenant_id = yunzhen_tenant()',
  };
  const openInsert = new Set(['webhook_delivery', 'pacs_delivery', 'email_outbox', 'audit_event', 'notification']);

  for (const [table, condition] of Object.entries(visible)) {
    const name = sql.id(table);
    await sql`alter table ${name} enable row level security`.execute(db);
    await sql`create policy tenant_isolation on ${name} using (yunzhen_system() or ${sql.raw(condition)}) with check (yunzhen_system() or ${sql.raw(condition)})`.execute(db);
    if (openInsert.has(table)) await sql`create policy queue_for_others on ${name} for insert with check (true)`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const tables = ['consult', 'study', 'series', 'instance', 'patient', 'vault_entry', 'consult_study', 'consult_attachment', 'consult_annotation', 'consult_reader', 'consult_message', 'consult_message_read', 'key_image', 'report', 'report_version', 'notification', 'hospital_webhook', 'dicom_device', 'device_study', 'webhook_delivery', 'pacs_delivery', 'email_outbox', 'audit_event'];
  for (const table of tables) {
    await sql`drop policy if exists queue_for_others on ${sql.id(table)}`.execute(db);
    await sql`drop policy tenant_isolation on ${sql.id(table)}`.execute(db);
    await sql`alter table ${sql.id(table)} disable row level security`.execute(db);
  }
  await sql`drop function yunzhen_system()`.execute(db);
  await sql`drop function yunzhen_tenant()`.execute(db);
}
