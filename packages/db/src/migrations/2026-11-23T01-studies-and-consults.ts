import { sql, type Kysely } from 'kysely';

/**
 * The image index (patient → study → series → instance, holding only de-identified values),
 * the encrypted pseudonym vault, and consults. Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const id = (c: any) => c.primaryKey().defaultTo(sql`gen_random_uuid()`);
  const now = (c: any) => c.notNull().defaultTo(sql`now()`);

  // Patients by pseudonym, per owning (sending) hospital.
  await db.schema
    .createTable('patient')
    .addColumn('id', 'uuid', id)
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('pseudonym_id', 'text', (c) => c.notNull())
    .addColumn('pseudonym_name', 'text', (c) => c.notNull())
    .addColumn('sex', 'text')
    .addColumn('birth_date', 'text')
    .addColumn('created_at', 'timestamptz', now)
    .addUniqueConstraint('patient_tenant_pseudonym_key', ['tenant_id', 'pseudonym_id'])
    .execute();

  await db.schema
    .createTable('study')
    .addColumn('id', 'uuid', id)
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('patient_id', 'uuid', (c) => c.notNull().references('patient.id'))
    .addColumn('study_uid', 'text', (c) => c.notNull().unique())
    .addColumn('study_date', 'date')
    .addColumn('study_time', 'text')
    .addColumn('accession_number', 'text')
    .addColumn('study_description', 'text')
    .addColumn('study_id', 'text')
    .addColumn('patient_age', 'text')
    .addColumn('uploaded_by', 'uuid', (c) => c.references('app_user.id'))
    .addColumn('created_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('study_tenant_created_idx').on('study').columns(['tenant_id', 'created_at']).execute();
  await db.schema.createIndex('study_date_idx').on('study').column('study_date').execute();
  await db.schema.createIndex('study_patient_idx').on('study').column('patient_id').execute();

  await db.schema
    .createTable('series')
    .addColumn('id', 'uuid', id)
    .addColumn('study_id', 'uuid', (c) => c.notNull().references('study.id'))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('series_uid', 'text', (c) => c.notNull().unique())
    .addColumn('modality', 'text')
    .addColumn('series_number', 'integer')
    .addColumn('series_description', 'text')
    .addColumn('body_part', 'text')
    .addColumn('created_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('series_study_idx').on('series').column('study_id').execute();

  // pixel_review: 'none' (nothing to check), 'pending' (held back from the reading centre
  // until a radiographer of the sending hospital looks), 'released', 'removed'.
  await db.schema
    .createTable('instance')
    .addColumn('id', 'uuid', id)
    .addColumn('series_id', 'uuid', (c) => c.notNull().references('series.id'))
    .addColumn('study_id', 'uuid', (c) => c.notNull().references('study.id'))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('sop_instance_uid', 'text', (c) => c.notNull().unique())
    .addColumn('sop_class_uid', 'text', (c) => c.notNull())
    .addColumn('instance_number', 'integer')
    .addColumn('transfer_syntax_uid', 'text', (c) => c.notNull())
    .addColumn('rows', 'integer')
    .addColumn('columns', 'integer')
    .addColumn('number_of_frames', 'integer')
    .addColumn('bits_allocated', 'integer')
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull().unique())
    .addColumn('pixel_review', 'text', (c) =>
      c.notNull().defaultTo('none').check(sql`pixel_review in ('none', 'pending', 'released', 'removed')`),
    )
    .addColumn('pixel_review_reasons', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('uploaded_by', 'uuid', (c) => c.references('app_user.id'))
    .addColumn('created_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('instance_series_idx').on('instance').column('series_id').execute();
  await db.schema.createIndex('instance_study_idx').on('instance').column('study_id').execute();

  // Original identifiers, encrypted per sending hospital (AES-256-GCM), found by the pseudonym
  // that replaced them. Nothing here is readable without that hospital's key.
  await db.schema
    .createTable('vault_entry')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('pseudonym', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', now)
    .addPrimaryKeyConstraint('vault_entry_pkey', ['tenant_id', 'kind', 'pseudonym'])
    .execute();

  await db.schema
    .createTable('consult')
    .addColumn('id', 'uuid', id)
    .addColumn('sending_tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('reading_tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('created_by', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('clinical_question', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull().check(sql`priority in ('routine', 'urgent', 'stat')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('new').check(sql`status in ('new', 'in_progress', 'reported', 'cancelled')`),
    )
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('claimed_by', 'uuid', (c) => c.references('app_user.id'))
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', now)
    .addColumn('updated_at', 'timestamptz', now)
    .execute();
  await db.schema.createIndex('consult_reading_idx').on('consult').columns(['reading_tenant_id', 'status']).execute();
  await db.schema.createIndex('consult_sending_idx').on('consult').columns(['sending_tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('consult_study')
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id'))
    .addColumn('study_id', 'uuid', (c) => c.notNull().references('study.id'))
    .addPrimaryKeyConstraint('consult_study_pkey', ['consult_id', 'study_id'])
    .execute();
  await db.schema.createIndex('consult_study_study_idx').on('consult_study').column('study_id').execute();

  // Attachments (prior reports as PDF) are encrypted at rest with the sending hospital's key:
  // they usually name the patient.
  await db.schema
    .createTable('consult_attachment')
    .addColumn('id', 'uuid', id)
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id'))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenant.id'))
    .addColumn('object_key', 'text', (c) => c.notNull().unique())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', now)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['consult_attachment', 'consult_study', 'consult', 'vault_entry', 'instance', 'series', 'study', 'patient']) {
    await db.schema.dropTable(table).execute();
  }
}
