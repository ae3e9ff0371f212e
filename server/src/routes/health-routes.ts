import { statfs } from 'node:fs/promises';

import { Hono } from 'hono';
import { sql } from 'kysely';

import type { Db } from '@yunzhen/db';
import { StorageError, type ObjectStore } from '@yunzhen/storage';

import type { AppEnv } from '../app-env.js';

const CHECK_TIMEOUT_MS = 2_000;

/**
 * `/healthz`: the process answers. `/readyz`: the database and object store answer too
 * (`full`: the store's disk, or the embedded database's, is full).
 */
export function healthRoutes(deps: { db: Db; store: ObjectStore }) {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const [database, objectStore] = await Promise.all([check(() => databaseAnswersWithRoom(deps.db)), check(() => deps.store.ping())]);
      const ready = database === 'ok' && objectStore === 'ok';
      if (!ready) c.header('Retry-After', '5');
      return c.json({ status: ready ? 'ready' : 'unavailable', checks: { database, objectStore } }, ready ? 200 : 503);
    });
}

async function check(probe: () => Promise<void>): Promise<'ok' | 'full' | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (error) {
    return error instanceof StorageError && error.code === 'StorageFull' ? 'full' : 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Below this much free space a disk counts as full: 2 % of it, at most 256 MiB. PostgreSQL needs
 * room to extend a table, and a server that answers 503 for every upload should not be sent more.
 */
export function diskFull(freeBytes: number, totalBytes: number): boolean {
  return freeBytes < Math.min(256 * 1024 * 1024, totalBytes * 0.02);
}

/**
 * The database answers, and, when its server runs on this machine (the embedded one, or any
 * reached by socket or loopback), the disks it writes to have room (the embedded cluster's, and
 * any tablespace's): a query still answers when no insert can, so a ping alone would call a full
 * database ready. Another machine's disks are not ours to see.
 */
async function databaseAnswersWithRoom(db: Db): Promise<void> {
  await db.ping();
  if (!db.onThisMachine) return;
  const { rows } = await sql<{ path: string }>`select pg_tablespace_location(oid) as path from pg_tablespace`.execute(db.kysely);
  const paths = [...rows.map((row) => row.path).filter(Boolean), ...(db.server ? [db.server.dataDir] : [])];
  for (const path of paths) {
    const space = await statfs(path).catch(() => undefined);
    if (space && diskFull(space.bavail * space.bsize, space.blocks * space.bsize)) throw new StorageError('StorageFull', 'the database disk is full');
  }
}
