import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { inject } from 'vitest';

import { createDb, migrateToLatest, type Db } from '../create-db.js';

export type TestDbKind = 'embedded' | 'postgres';
export const testDbKinds: readonly TestDbKind[] = ['embedded', 'postgres'];

export interface TestDb extends Db {
  /** The URL of the PostgreSQL test database (postgres kind only). */
  url?: string;
  /** Closes and, for PostgreSQL, drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: in-memory PGlite, or a new database on
 * the PostgreSQL server the Vitest global setup started (or on `DATABASE_URL` when given).
 */
export async function createTestDb(kind: TestDbKind): Promise<TestDb> {
  if (kind === 'embedded') {
    const db = await createDb({});
    await migrateToLatest(db.kysely);
    return { ...db, drop: () => db.close() };
  }
  const adminUrl = inject('postgresAdminUrl');
  if (!adminUrl) throw new Error('no PostgreSQL server: run tests through the root Vitest config (its global setup starts one)');
  const name = `yunzhen_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await createDb({ databaseUrl: url.toString(), poolSize: 5 });
  await migrateToLatest(db.kysely);
  return {
    ...db,
    url: url.toString(),
    async drop() {
      await db.close();
      await withAdmin(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function withAdmin<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
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
  }
}
