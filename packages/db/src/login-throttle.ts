import type { Kysely } from 'kysely';

import type { Database, LoginThrottleEntry } from './schema.js';

/**
 * What a decision does to each counter it read: a new state, `null` to delete it. Counters
 * left out stay as they are.
 */
export interface LoginThrottleDecision<T> {
  changes: Map<string, LoginThrottleEntry | null>;
  result: T;
}

/**
 * Login-throttle counters, shared by every server on the database. The repository stores and
 * locks; the policy (what a failure costs, how long a wait is) is the caller's.
 */
export function createLoginThrottleRepository(db: Kysely<Database>) {
  return {
    /** The live counter under `keyHash`, or undefined when there is none or it has expired. */
    get(keyHash: string, now: Date): Promise<LoginThrottleEntry | undefined> {
      return db.selectFrom('login_throttle').selectAll().where('key_hash', '=', keyHash).where('expires_at', '>', now).executeTakeFirst();
    },

    /**
     * Reads the live counters under `keyHashes` (expired ones read as absent), lets `decide`
     * say what becomes of them, and stores that, holding the keys' row locks throughout: two
     * attempts on one counter, on any replica, are decided one after the other, never both on
     * the same old state. Keys are locked in sorted order, so two calls cannot deadlock.
     */
    update<T>(keyHashes: string[], now: Date, decide: (live: Map<string, LoginThrottleEntry>) => LoginThrottleDecision<T>): Promise<T> {
      const keys = [...new Set(keyHashes)].sort();
      return db.transaction().execute(async (tx) => {
        // A row to lock for every key (row locks cannot hold a row that does not exist yet).
        await tx
          .insertInto('login_throttle')
          .values(keys.map((key_hash) => ({ key_hash, failures: 0, updated_at: now, blocked_until: null, expires_at: now })))
          .onConflict((oc) => oc.column('key_hash').doNothing())
          .execute();
        const rows = await tx.selectFrom('login_throttle').selectAll().where('key_hash', 'in', keys).orderBy('key_hash').forUpdate().execute();
        const { changes, result } = decide(new Map(rows.filter((row) => row.expires_at > now).map((row) => [row.key_hash, row])));
        for (const [key, entry] of changes) {
          if (!keys.includes(key)) throw new Error('a login-throttle decision may only change the counters it read');
          if (entry) {
            const { failures, updated_at, blocked_until, expires_at } = entry;
            await tx.updateTable('login_throttle').set({ failures, updated_at, blocked_until, expires_at }).where('key_hash', '=', key).execute();
          } else {
            await tx.deleteFrom('login_throttle').where('key_hash', '=', key).execute();
          }
        }
        // Placeholders nobody wrote, and counters that had expired, go now.
        await tx.deleteFrom('login_throttle').where('key_hash', 'in', keys).where('expires_at', '<=', now).execute();
        return result;
      });
    },

    /** Deletes every expired counter; returns how many. Safe on several replicas at once. */
    async deleteExpired(now: Date): Promise<number> {
      const result = await db.deleteFrom('login_throttle').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type LoginThrottleRepository = ReturnType<typeof createLoginThrottleRepository>;
