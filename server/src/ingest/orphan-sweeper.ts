import { asSystem, withAdvisoryLock, type Db, type Repositories } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

const BATCH = 500;

/** The advisory lock the sweep runs under: one replica sweeps, the others skip that round. */
export const ORPHAN_SWEEP_LOCK = 'yunzhen:orphan-sweep';

/**
 * Removes objects whose put was recorded as pending (`trackPendingPuts`) more than `graceMs`
 * ago and that no row references: a crash or an outage between the put and the index write
 * left them. Referenced keys are simply cleared. Runs under a PostgreSQL advisory lock, so
 * with N replicas one sweeps at a time (`ran: false` when another was sweeping); reads the
 * pending table, never a listing of the bucket.
 */
export function sweepOrphans(deps: { store: ObjectStore; repos: Repositories; db: Pick<Db, 'kysely'> }, options: { graceMs: number; now: Date }) {
  // On the system path: under row-level security without it, no object would look referenced.
  return asSystem('orphan-sweep', () => sweep(deps, options));
}

async function sweep(deps: { store: ObjectStore; repos: Repositories; db: Pick<Db, 'kysely'> }, options: { graceMs: number; now: Date }) {
  const cutoff = new Date(options.now.getTime() - options.graceMs);
  const swept = await withAdvisoryLock(deps.db.kysely, ORPHAN_SWEEP_LOCK, { wait: false }, async () => {
    let checked = 0;
    let removed = 0;
    for (;;) {
      const keys = await deps.repos.pendingObjects.olderThan(cutoff, BATCH);
      if (keys.length === 0) break;
      checked += keys.length;
      const referenced = await deps.repos.studies.referencedObjectKeys(keys);
      for (const key of keys) {
        if (referenced.has(key)) continue;
        await deps.store.delete(key);
        removed++;
      }
      await deps.repos.pendingObjects.clear(keys);
    }
    // Temp files of puts that a crash cut off (filesystem store) are orphans too.
    removed += (await deps.store.removeAbandonedUploads?.(cutoff)) ?? 0;
    return { checked, removed };
  });
  return swept.ran ? { ran: true, ...swept.result } : { ran: false, checked: 0, removed: 0 };
}
