import { sql, type Kysely } from 'kysely';

import type { Database } from './schema.js';

/** The tables every image query reads. */
const IMAGE_TABLES = ['study', 'series', 'instance'] as const;

/**
 * The embedded database (PGlite) runs no autovacuum. Without it the visibility map stays
 * empty, so counting a study's instances from an index still reads every heap page (a QIDO
 * page of 50 studies: 10 ms instead of 4 on 100,000 instances), and the planner's row
 * estimates stay those of the last analyze. Vacuums and analyzes the image tables when one of
 * them is due, as autovacuum would: under 90% of its pages marked all-visible, or its row
 * count off the planner's estimate by more than a tenth. Returns the tables it vacuumed.
 * (PGlite keeps no reliable pg_stat counters between statements, so the test reads pg_class.)
 */
export async function vacuumImageTablesIfDue(db: Kysely<Database>): Promise<string[]> {
  const due: string[] = [];
  for (const table of IMAGE_TABLES) {
    const { rows } = await sql<{ rows: number; estimate: number; pages: number; visible: number }>`
      select (select count(*) from ${sql.table(table)}) as rows, greatest(c.reltuples, 0)::float8 as estimate,
             c.relpages as pages, c.relallvisible as visible
      from pg_class c where c.oid = ${table}::regclass`.execute(db);
    const row = rows[0];
    if (!row) continue;
    const drift = Math.abs(Number(row.rows) - Number(row.estimate)) > Math.max(500, Number(row.rows) / 10);
    const unvisited = Number(row.pages) >= 10 && Number(row.visible) < 0.9 * Number(row.pages);
    if (drift || unvisited) due.push(table);
  }
  for (const table of due) await sql`vacuum (analyze) ${sql.table(table)}`.execute(db);
  return due;
}
