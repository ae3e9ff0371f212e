import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { inject } from 'vitest';

import { createDb, grantApplicationRole, migrateToLatest, type Db } from '../create-db.js';
import { EMBEDDED_APP_ROLE } from '../embedded-server.js';

export type TestDbKind = 'embedded' | 'postgres';
/**
 * 'embedded': the embedded PostgreSQL server (npm binaries, the production default) that the
 * Vitest global setup starts once per run. 'postgres': a Debian PostgreSQL server of another
 * major version (or `DATABASE_URL`), reached by URL as an external deployment would.
 */
export const testDbKinds: readonly TestDbKind[] = ['embedded', 'postgres'];

/** The migrated database every test database is copied from. */
export const TEMPLATE_DATABASE = 'yunzhen_template';

export interface TestDb extends Db {
  /** The URL of the test database, as the superuser (seeding and assertions see every row). */
  url: string;
  /** The test database as the application role (`yunzhen_app`): row-level security applies, as in the server. */
  appUrl: string;
  /** Closes and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: a copy (`CREATE DATABASE … TEMPLATE`) of the
 * database the global setup migrated, on the embedded server or the PostgreSQL server.
 */
export async function createTestDb(kind: TestDbKind): Promise<TestDb> {
  const adminUrl = inject(kind === 'embedded' ? 'embeddedAdminUrl' : 'postgresAdminUrl');
  if (!adminUrl) throw new Error('no PostgreSQL server: run tests through the root Vitest config (its global setup starts them)');
  const name = `yunzhen_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database ${name} template ${TEMPLATE_DATABASE}`));
  const url = databaseUrl(adminUrl, name);
  const db = await createDb({ databaseUrl: url, poolSize: 5 });
  return {
    ...db,
    kind,
    url,
    appUrl: databaseUrl(inject(kind === 'embedded' ? 'embeddedAppUrl' : 'postgresAppUrl'), name),
    async drop() {
      await db.close();
      await withAdmin(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** A database with nothing in it (not even migrations), for tests of what starts on one; `drop` removes it. */
export async function createEmptyTestDatabase(kind: TestDbKind): Promise<{ url: string; appUrl: string; drop(): Promise<void> }> {
  const adminUrl = inject(kind === 'embedded' ? 'embeddedAdminUrl' : 'postgresAdminUrl');
  if (!adminUrl) throw new Error('no PostgreSQL server: run tests through the root Vitest config (its global setup starts them)');
  const name = `yunzhen_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database ${name}`));
  return {
    url: databaseUrl(adminUrl, name),
    appUrl: databaseUrl(inject(kind === 'embedded' ? 'embeddedAppUrl' : 'postgresAppUrl'), name),
    drop: () => withAdmin(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** Creates (again) the migrated template database on a server. */
export async function createTemplateDatabase(adminUrl: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    await client.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await client.query(`create database ${TEMPLATE_DATABASE}`);
  });
  const db = await createDb({ databaseUrl: databaseUrl(adminUrl, TEMPLATE_DATABASE), poolSize: 1 });
  try {
    await migrateToLatest(db.kysely);
    // Copies of the template keep these grants: every test database has the application role.
    await grantApplicationRole(db.kysely, EMBEDDED_APP_ROLE);
  } finally {
    await db.close();
  }
}

/** The same server and database as another role (`yunzhen_app`, created by `ensureApplicationRole`). */
export function urlAs(url: string, role: string, password: string): string {
  const next = new URL(url);
  next.username = role;
  next.password = password;
  return next.toString();
}

/** The same server and credentials, another database (socket URLs keep their `?host=`). */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    embeddedAdminUrl: string;
    /** The application role on each server (no superuser, no BYPASSRLS). */
    postgresAppUrl: string;
    embeddedAppUrl: string;
  }
}
