import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startEmbeddedPostgres } from '../embedded-server.js';

export interface TestEmbeddedServer {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * The embedded PostgreSQL server (the production default's binaries and supervisor) in a
 * temp dir, with durability off (tests only): one per test run.
 */
export async function startTestEmbeddedPostgres(): Promise<TestEmbeddedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'yunzhen-epg-'));
  const server = await startEmbeddedPostgres({
    dir,
    noSyncInit: true,
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '200' },
  });
  return {
    adminUrl: server.urlFor('postgres'),
    async stop() {
      try {
        await server.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
