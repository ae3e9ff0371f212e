import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createDb } from '@yunzhen/db';

/**
 * Moves one consult's clock on a server started by `spawnServer` (embedded PostgreSQL, data in
 * `dataDir`): its creation and due times go `ms` into the past, as if that much time had passed,
 * so the server's own timed passes (escalation) find it where the time would have brought it.
 * Connects as the cluster's superuser over its Unix socket, as the directory's owner may.
 */
export async function ageConsult(dataDir: string, consultId: string, ms: number): Promise<void> {
  const pg = join(dataDir, 'pg');
  const socket = readdirSync(join(pg, 'run')).map((name) => /^\.s\.PGSQL\.(\d+)$/.exec(name)).find(Boolean);
  if (!socket) throw new Error(`no PostgreSQL socket in ${pg}/run: is the server running?`);
  const password = readFileSync(join(pg, 'password'), 'utf8').trim();
  const db = await createDb({ databaseUrl: `postgres://yunzhen:${encodeURIComponent(password)}@localhost/yunzhen?host=${encodeURIComponent(join(pg, 'run'))}&port=${socket[1]}`, poolSize: 1 });
  try {
    const consult = await db.kysely.selectFrom('consult').select(['created_at', 'due_at']).where('id', '=', consultId).executeTakeFirst();
    if (!consult) throw new Error(`no consult ${consultId}`);
    const earlier = (date: Date) => new Date(date.getTime() - ms);
    // The schema types `created_at` as never updated, and the application never does; moving the clock does.
    const moved = { created_at: earlier(consult.created_at), due_at: earlier(consult.due_at) } as { due_at: Date };
    await db.kysely.updateTable('consult').set(moved).where('id', '=', consultId).execute();
  } finally {
    await db.close();
  }
}
