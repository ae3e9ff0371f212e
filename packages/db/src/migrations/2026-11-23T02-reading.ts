import { sql, type Kysely } from 'kysely';

/** Specialists' annotations per consult and author, every save a new version. Frozen. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('consult_annotation')
    .addColumn('consult_id', 'uuid', (c) => c.notNull().references('consult.id'))
    .addColumn('author_id', 'uuid', (c) => c.notNull().references('app_user.id'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('consult_annotation_pkey', ['consult_id', 'author_id', 'version'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('consult_annotation').execute();
}
