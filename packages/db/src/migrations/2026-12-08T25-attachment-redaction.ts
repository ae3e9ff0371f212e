import type { Kysely } from 'kysely';

/**
 * A document that names the patient can go to the reading centre redacted: its pages rendered
 * with the chosen boxes burned in, no text layer left. The reading centre gets that copy; the
 * sending hospital keeps the original. The boxes are kept (page and place, never the text
 * under them) so an auditor can see what was hidden. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('consult_attachment')
    .addColumn('redacted_object_key', 'text')
    .addColumn('redacted_size_bytes', 'bigint')
    .addColumn('redaction', 'jsonb')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consult_attachment').dropColumn('redacted_object_key').dropColumn('redacted_size_bytes').dropColumn('redaction').execute();
}
