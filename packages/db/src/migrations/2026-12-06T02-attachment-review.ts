import { sql, type Kysely } from 'kysely';

/**
 * Documents attached to a consult wait for the sending hospital's review before the reading
 * centre gets them, as held images do: a referral letter carries the patient's name. The check
 * keeps where identifiers were found (kind and page, never the text). Attachments made before
 * this were already visible to the reading centre and stay released. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('consult_attachment')
    .addColumn('review', 'text', (c) => c.notNull().defaultTo('released'))
    .addColumn('check_result', 'jsonb')
    .addColumn('reviewed_by', 'uuid', (c) => c.references('app_user.id'))
    .addColumn('reviewed_at', 'timestamptz')
    .addColumn('review_reason', 'text')
    .execute();
  await db.schema.alterTable('consult_attachment').alterColumn('review', (c) => c.setDefault(sql`'pending'`)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consult_attachment').dropColumn('review').dropColumn('check_result').dropColumn('reviewed_by').dropColumn('reviewed_at').dropColumn('review_reason').execute();
}
