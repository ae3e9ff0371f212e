import { sql, type Kysely } from 'kysely';

/**
 * A message can carry documents: the ids of the consult's attachments it sends (uploaded with the
 * message, and reviewed for the patient's identity like any attachment before the reading centre
 * gets them). Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consult_message').addColumn('attachment_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consult_message').dropColumn('attachment_ids').execute();
}
