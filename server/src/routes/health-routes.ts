import { Hono } from 'hono';

import type { Db } from '@yunzhen/db';
import { StorageError, type ObjectStore } from '@yunzhen/storage';

import type { AppEnv } from '../app-env.js';

const CHECK_TIMEOUT_MS = 2_000;

/** `/healthz`: the process answers. `/readyz`: the database and object store answer too (`full`: the store's disk is full). */
export function healthRoutes(deps: { db: Db; store: ObjectStore }) {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const [database, objectStore] = await Promise.all([check(() => deps.db.ping()), check(() => deps.store.ping())]);
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
