import { sql, type Kysely } from 'kysely';

/**
 * DICOM TLS per device (PS3.15 Annex B) and the per-device rule that creates the consult.
 *
 * `tls`: a sending device must connect to the TLS listener; a receiving PACS is reached over
 * TLS. `certificate_sha256` pins the device's certificate (hospitals run self-signed ones):
 * the client certificate a sender presents, or the certificate a receiving PACS answers with.
 *
 * `auto_consult_*`: when a study from the device has had no new instance for `quiet_seconds`,
 * a consult is created to the reading centre in the name of a licensed radiographer of the
 * hospital (only licensed staff send patients). `device_study` remembers which device sent
 * which study, when its last instance came and which consult the rule created. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('dicom_device')
    .addColumn('tls', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('certificate_sha256', 'text', (c) => c.check(sql`certificate_sha256 ~ '^[0-9a-f]{64}$'`))
    .addColumn('auto_consult_centre_id', 'uuid', (c) => c.references('tenant.id'))
    .addColumn('auto_consult_priority', 'text', (c) => c.check(sql`auto_consult_priority in ('routine', 'urgent', 'stat')`))
    .addColumn('auto_consult_quiet_seconds', 'integer')
    .addColumn('auto_consult_question', 'text')
    .addColumn('auto_consult_by', 'uuid', (c) => c.references('app_user.id'))
    .execute();
  await db.schema
    .alterTable('dicom_device')
    .addCheckConstraint(
      'dicom_device_auto_consult_whole',
      sql`(auto_consult_centre_id is null) = (auto_consult_priority is null)
        and (auto_consult_centre_id is null) = (auto_consult_quiet_seconds is null)
        and (auto_consult_centre_id is null) = (auto_consult_question is null)
        and (auto_consult_centre_id is null) = (auto_consult_by is null)`,
    )
    .execute();

  await db.schema
    .createTable('device_study')
    .addColumn('device_id', 'uuid', (c) => c.notNull().references('dicom_device.id').onDelete('cascade'))
    .addColumn('study_id', 'uuid', (c) => c.notNull().references('study.id').onDelete('cascade'))
    .addColumn('last_instance_at', 'timestamptz', (c) => c.notNull())
    .addColumn('consult_id', 'uuid', (c) => c.references('consult.id'))
    .addPrimaryKeyConstraint('device_study_pkey', ['device_id', 'study_id'])
    .execute();
  await db.schema.createIndex('device_study_waiting_idx').on('device_study').column('last_instance_at').where(sql.ref('consult_id'), 'is', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('device_study').execute();
  await db.schema
    .alterTable('dicom_device')
    .dropConstraint('dicom_device_auto_consult_whole')
    .execute();
  for (const column of ['auto_consult_by', 'auto_consult_question', 'auto_consult_quiet_seconds', 'auto_consult_priority', 'auto_consult_centre_id', 'certificate_sha256', 'tls']) {
    await db.schema.alterTable('dicom_device').dropColumn(column).execute();
  }
}
