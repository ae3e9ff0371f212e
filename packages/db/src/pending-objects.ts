import type { Kysely } from 'kysely';

import type { Database } from './schema.js';

/**
 * Keys of objects being put. Each is written before its object and removed with the row that
 * references it (an instance's in its index statement), so whatever is left here after a
 * grace period is either referenced after all or an orphan: the sweep reads this table, never
 * a listing of the bucket.
 */
export function createPendingObjectRepository(db: Kysely<Database>) {
  return {
    async add(objectKey: string): Promise<void> {
      await db.insertInto('pending_object').values({ object_key: objectKey }).onConflict((oc) => oc.column('object_key').doNothing()).execute();
    },

    /** The oldest keys recorded before `before`. */
    async olderThan(before: Date, limit: number): Promise<string[]> {
      const rows = await db.selectFrom('pending_object').select('object_key').where('created_at', '<', before).orderBy('created_at').limit(limit).execute();
      return rows.map((r) => r.object_key);
    },

    async clear(objectKeys: string[]): Promise<void> {
      if (objectKeys.length) await db.deleteFrom('pending_object').where('object_key', 'in', objectKeys).execute();
    },
  };
}

export type PendingObjectRepository = ReturnType<typeof createPendingObjectRepository>;
