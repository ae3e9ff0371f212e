import { type Kysely } from 'kysely';

/**
 * The sending hospital's clinical history for a consult (symptoms, prior treatment, relevant
 * results), beside the question it asks: the reader needs both. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consult').addColumn('clinical_history', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consult').dropColumn('clinical_history').execute();
}
