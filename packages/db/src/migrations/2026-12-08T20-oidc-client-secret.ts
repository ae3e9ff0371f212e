import { sql, type Kysely } from 'kysely';

/**
 * Confidential OpenID Connect clients (a server-side application with a secret) beside the
 * public browser apps: the secret itself is not stored but derived from the root secret and
 * this per-client salt, so a copy of the database alone does not hold it, and a new salt
 * replaces it. `updated_at` records the last edit. Frozen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('oidc_client')
    .addColumn('secret_salt', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oidc_client').dropColumn('secret_salt').dropColumn('updated_at').execute();
}
