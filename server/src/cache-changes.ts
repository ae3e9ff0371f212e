import type { ChannelListener, Db } from '@yunzhen/db';

/**
 * Changes other replicas (or this one) committed that make something cached in this process
 * wrong: a revoked session or token, a changed user, a consult opened or closed to a reader.
 * The database announces them on `CACHE_CHANNEL` (triggers of migration 2026-12-07T12-replicas,
 * NOTIFY at commit); `all` follows a lost listening connection, when some may have been missed.
 */
export type CacheChange = { kind: 'credential'; hash: string } | { kind: 'user'; id: string } | { kind: 'visibility' } | { kind: 'all' };

export const CACHE_CHANNEL = 'yunzhen_cache';

/** A notification's payload as a change; an unknown one drops everything (safe, if slower). */
export function parseCacheChange(payload: string): CacheChange {
  if (payload.startsWith('credential:')) return { kind: 'credential', hash: payload.slice('credential:'.length) };
  if (payload.startsWith('user:')) return { kind: 'user', id: payload.slice('user:'.length) };
  if (payload === 'visibility') return { kind: 'visibility' };
  return { kind: 'all' };
}

/** Fans changes out to the caches of one process. */
export function createCacheChanges() {
  const handlers = new Set<(change: CacheChange) => void>();
  return {
    subscribe(handler: (change: CacheChange) => void): void {
      handlers.add(handler);
    },
    publish(change: CacheChange): void {
      for (const handler of handlers) handler(change);
    },
  };
}

export type CacheChanges = ReturnType<typeof createCacheChanges>;

/** Feeds the database's notifications on `CACHE_CHANNEL` into `changes`, on a connection of its own. */
export function listenForCacheChanges(db: Pick<Db, 'listen'>, changes: CacheChanges): Promise<ChannelListener> {
  return db.listen(CACHE_CHANNEL, {
    message: (payload) => changes.publish(parseCacheChange(payload)),
    resumed: () => changes.publish({ kind: 'all' }),
  });
}
