import { sql, type Kysely } from 'kysely';

/**
 * The international pre-arrival consult: a coordinator (a new role, at an international
 * department) sends a foreign patient's records and images before the patient arrives; the
 * consult carries the patient's language and arrival date, and its report is written in both
 * Chinese and English. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('app_user').dropConstraint('app_user_role_check').execute();
  await db.schema
    .alterTable('app_user')
    .addCheckConstraint('app_user_role_check', sql`role in ('radiographer', 'specialist', 'referring_doctor', 'admin', 'coordinator')`)
    .execute();
  await db.schema
    .alterTable('consult')
    .addColumn('pre_arrival', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('patient_language', 'text', (c) => c.check(sql`patient_language in ('zh-CN', 'en')`))
    .addColumn('arrival_date', 'date')
    .execute();
  await db.schema
    .alterTable('consult')
    .addCheckConstraint('consult_pre_arrival_whole', sql`pre_arrival = (patient_language is not null)`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consult').dropConstraint('consult_pre_arrival_whole').execute();
  await db.schema.alterTable('consult').dropColumn('arrival_date').dropColumn('patient_language').dropColumn('pre_arrival').execute();
  await db.schema.alterTable('app_user').dropConstraint('app_user_role_check').execute();
  await db.schema
    .alterTable('app_user')
    .addCheckConstraint('app_user_role_check', sql`role in ('radiographer', 'specialist', 'referring_doctor', 'admin')`)
    .execute();
}
