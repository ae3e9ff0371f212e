import { sql, type Kysely } from 'kysely';

import type { Database } from './schema.js';

/**
 * Runs `task` while this process holds the PostgreSQL advisory lock `name` (a session lock on
 * one pooled connection, released when the task ends or the connection dies), so one replica
 * runs it at a time. `wait: false` gives up at once when another holds it (periodic jobs:
 * the other replica is doing the work), answering `{ ran: false }`; `wait: true` queues
 * behind it (start-up steps every replica must see done, such as seeding).
 */
export async function withAdvisoryLock<T>(db: Kysely<Database>, name: string, options: { wait: boolean }, task: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
  return db.connection().execute(async (connection) => {
    // hashtext: a stable 32-bit key from the name, in the same space on every replica.
    if (options.wait) {
      await sql`select pg_advisory_lock(hashtext(${name}))`.execute(connection);
    } else {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext(${name})) as locked`.execute(connection);
      if (!rows[0]?.locked) return { ran: false as const };
    }
    try {
      return { ran: true as const, result: await task() };
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(connection).catch(() => undefined);
    }
  });
}
