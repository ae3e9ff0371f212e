import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRepositories, vacuumImageTablesIfDue } from './index.js';
import { createTestDb, type TestDb } from './testing/test-db.js';

/** Adds `count` instances to one new study (rows straight into the tables, as a bulk import would). */
async function addInstances(db: TestDb, tenant: string, count: number, tag: string) {
  await sql`insert into patient (tenant_id, pseudonym_id, pseudonym_name) values (${tenant}, ${`P-${tag}`}, 'ANON')`.execute(db.kysely);
  await sql`insert into study (tenant_id, patient_id, study_uid) select ${tenant}, id, ${`2.25.7${tag}`} from patient where pseudonym_id = ${`P-${tag}`}`.execute(db.kysely);
  await sql`insert into series (study_id, tenant_id, series_uid) select id, ${tenant}, ${`2.25.8${tag}`} from study where study_uid = ${`2.25.7${tag}`}`.execute(db.kysely);
  await sql`
    insert into instance (series_id, study_id, tenant_id, sop_instance_uid, sop_class_uid, transfer_syntax_uid, size_bytes, sha256, object_key)
    select se.id, se.study_id, ${tenant}, ${`2.25.9${tag}.`} || g, '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2.1', 1, repeat('0', 64), ${`k-${tag}-`} || g
    from series se cross join generate_series(1, ${count}) g where se.series_uid = ${`2.25.8${tag}`}`.execute(db.kysely);
}

// Embedded only: a PostgreSQL server has autovacuum, and the server runs this pass on PGlite alone.
describe('vacuuming the image tables of the embedded database', () => {
  let db: TestDb;
  let tenant: string;
  beforeAll(async () => {
    db = await createTestDb('embedded');
    tenant = (await createRepositories(db.kysely).tenants.create({ name: 'M', kind: 'sending' })).id;
  }, 60_000);
  afterAll(() => db.close());

  it('vacuums after a bulk import, then not again until the tables change', async () => {
    await addInstances(db, tenant, 3000, '1');
    expect(await vacuumImageTablesIfDue(db.kysely)).toContain('instance');
    const { rows } = await sql<{ visible: number; pages: number }>`select relallvisible as visible, relpages as pages from pg_class where oid = 'instance'::regclass`.execute(db.kysely);
    expect(Number(rows[0]!.visible)).toBeGreaterThanOrEqual(0.9 * Number(rows[0]!.pages));
    expect(await vacuumImageTablesIfDue(db.kysely)).toEqual([]);
    await addInstances(db, tenant, 1000, '2');
    expect(await vacuumImageTablesIfDue(db.kysely)).toContain('instance');
  });
});
