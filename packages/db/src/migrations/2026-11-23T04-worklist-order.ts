import { sql, type Kysely } from 'kysely';

/**
 * Study indexes in the worklist's order (newest study date first, then newest upload), so a
 * QIDO-RS page of the latest studies walks the first rows of an index instead of sorting
 * every visible study: one for a hospital's own studies, one for a reading centre's. And the
 * instances by study with their series, so a study's instance and series counts come from the
 * index alone. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('instance_study_series_idx').on('instance').columns(['study_id', 'series_id']).execute();
  await db.schema.dropIndex('instance_study_idx').execute();
  await sql`create index study_tenant_worklist_idx on study (tenant_id, study_date desc nulls last, created_at desc, study_uid)`.execute(db);
  await sql`create index study_worklist_idx on study (study_date desc nulls last, created_at desc, study_uid)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('instance_study_idx').on('instance').column('study_id').execute();
  await db.schema.dropIndex('instance_study_series_idx').execute();
  await db.schema.dropIndex('study_worklist_idx').execute();
  await db.schema.dropIndex('study_tenant_worklist_idx').execute();
}
