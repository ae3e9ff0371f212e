import type { Repositories } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

/** Prefixes under which every object must be referenced by an index or attachment row. */
const INDEXED_PREFIXES = ['instances/', 'attachments/'];
const BATCH = 500;

/**
 * Removes objects that no database row points to and that are older than `graceMs` (so an
 * upload between its put and its index write is never touched). Such orphans are left by
 * a crash or an outage between the two steps of ingest.
 */
export async function sweepOrphans(deps: { store: ObjectStore; repos: Repositories }, options: { graceMs: number; now: Date }) {
  const cutoff = options.now.getTime() - options.graceMs;
  let checked = 0;
  let removed = 0;
  for (const prefix of INDEXED_PREFIXES) {
    let batch: string[] = [];
    const flush = async () => {
      const referenced = await deps.repos.studies.referencedObjectKeys(batch);
      for (const key of batch) {
        if (!referenced.has(key)) {
          await deps.store.delete(key);
          removed++;
        }
      }
      batch = [];
    };
    for await (const object of deps.store.list(prefix)) {
      checked++;
      if (object.lastModified.getTime() > cutoff) continue;
      batch.push(object.key);
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length) await flush();
  }
  // Temp files of puts that a crash cut off (filesystem store) are orphans too.
  removed += (await deps.store.removeAbandonedUploads?.(new Date(cutoff))) ?? 0;
  return { checked, removed };
}
