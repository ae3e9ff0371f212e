/**
 * `pnpm bench:tenant-actor`: what row-level security and setting the acting hospital cost per
 * query, on a fresh embedded PostgreSQL server (two hospitals of 2,000 studies each). Prints
 * the median time per query (over interleaved rounds) of: the superuser (no policies), the application role with one actor
 * throughout (the pool sets it once per connection), the actor changing on every query (the
 * pool sets it each time: one more round trip), and the per-transaction alternative
 * (`begin; set_config(…, true); query; commit`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sql, type Kysely } from 'kysely';

import { asTenant, createDb, type Database } from '@yunzhen/db';

const QUERIES = 4_000;
const ROUNDS = 20;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'yunzhen-bench-rls-'));
  const db = await createDb({ dataDir: dir, poolSize: 10 });
  const owner = await createDb({ databaseUrl: db.server!.url, poolSize: 10 });
  try {
    await db.migrate();
    const tenants: string[] = [];
    for (const name of ['Bench A', 'Bench B']) {
      const { rows } = await sql<{ id: string }>`insert into tenant (name, kind) values (${name}, 'sending') returning id`.execute(owner.kysely);
      const tenant = rows[0]!.id;
      tenants.push(tenant);
      await sql`insert into patient (tenant_id, pseudonym_id, pseudonym_name) values (${tenant}, ${name}, ${name})`.execute(owner.kysely);
      await sql`insert into study (tenant_id, patient_id, study_uid)
        select ${tenant}, p.id, ${name} || '.' || n from patient p, generate_series(1, 2000) n where p.tenant_id = ${tenant}`.execute(owner.kysely);
    }
    const ids = (await sql<{ id: string; tenant_id: string }>`select id, tenant_id from study`.execute(owner.kysely)).rows;
    const byTenant = (tenant: string) => ids.filter((r) => r.tenant_id === tenant).map((r) => r.id);
    const [a, b] = [byTenant(tenants[0]!), byTenant(tenants[1]!)];
    const user = '00000000-0000-0000-0000-000000000000';
    const one = (kysely: Kysely<Database>, id: string) => kysely.selectFrom('study').select(['id', 'study_uid']).where('id', '=', id).executeTakeFirst();

    const modes: Array<[string, (i: number) => Promise<unknown>]> = [
      ['superuser, no policies', (i) => one(owner.kysely, a[i % a.length]!)],
      ['application role, one hospital throughout', (i) => asTenant(tenants[0]!, user, () => one(db.kysely, a[i % a.length]!))],
      [
        'application role, hospital changes on every query',
        (i) => (i % 2 ? asTenant(tenants[0]!, user, () => one(db.kysely, a[i % a.length]!)) : asTenant(tenants[1]!, user, () => one(db.kysely, b[i % b.length]!))),
      ],
      [
        'per transaction: begin, set_config(…, true), query, commit',
        (i) =>
          db.kysely.transaction().execute(async (tx) => {
            await sql`select set_config('yunzhen.tenant_id', ${tenants[i % 2]!}, true)`.execute(tx);
            return one(tx, (i % 2 ? b : a)[i % a.length]!);
          }),
      ],
    ];
    // Rounds of each mode in turn, so that a busy machine's drift spreads over all of them; the median round is reported.
    const rounds = new Map<string, number[]>(modes.map(([label]) => [label, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, run] of modes) {
        const started = performance.now();
        for (let i = 0; i < QUERIES / ROUNDS; i++) await run(i);
        rounds.get(label)!.push(((performance.now() - started) * 1000) / (QUERIES / ROUNDS));
      }
    }
    for (const [label, times] of rounds) {
      const sorted = [...times].sort((x, y) => x - y);
      console.log(`${label.padEnd(58)} ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0).padStart(5)} µs/query (median of ${ROUNDS} rounds)`);
    }
  } finally {
    await owner.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
