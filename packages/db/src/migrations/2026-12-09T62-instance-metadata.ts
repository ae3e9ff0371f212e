import { sql, type Kysely } from 'kysely';

/**
 * Each instance's WADO-RS metadata (the DICOM JSON of its stored data set, bulk data by
 * reference), written at ingest: the first reader of a new consult gets a series' metadata from
 * the index instead of waiting while the server reads every instance from the object store.
 * Text, not jsonb: it is only ever served whole. Null for rows indexed before, or too large to
 * keep; those are read from the object. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instance').addColumn('metadata_json', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instance').dropColumn('metadata_json').execute();
}
