import { readFile } from 'node:fs/promises';

import { afterAll, describe, expect, it } from 'vitest';

import { createEmptyTestDatabase } from '@yunzhen/db/testing';

import { spawnServer, type SpawnedServer } from './testing/spawn-server.js';

const WARNING = 'row-level security does not separate hospitals';

/** The server says at start when its database role would walk past row-level security. */
describe('the database role the server connects as', () => {
  const servers: SpawnedServer[] = [];
  const databases: Array<{ drop(): Promise<void> }> = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const database of databases) await database.drop();
  });

  const startedWith = async (env: (database: { url: string; appUrl: string }) => Record<string, string>) => {
    const database = await createEmptyTestDatabase('embedded');
    databases.push(database);
    const server = await spawnServer({ env: { ...env(database), YUNZHEN_SECRET: 'database-role-test-secret-of-32-chars!', DICOM_PORT: 'off', YUNZHEN_DEMO: 'false' } });
    servers.push(server);
    // The log file also holds the process's stderr (a library's warning): the JSON lines are the log.
    const lines = (await readFile(server.logPath, 'utf8')).split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; superuser?: boolean; role?: string });
    return lines.find((line) => line.msg.includes(WARNING));
  };

  it('warns when connected as a superuser', async () => {
    const warning = await startedWith((database) => ({ DATABASE_URL: database.url }));
    expect(warning).toMatchObject({ superuser: true });
  }, 120_000);

  it('does not warn as the application role, with the owner migrating', async () => {
    const warning = await startedWith((database) => ({ DATABASE_URL: database.appUrl, DATABASE_MIGRATION_URL: database.url }));
    expect(warning).toBeUndefined();
  }, 120_000);
});
