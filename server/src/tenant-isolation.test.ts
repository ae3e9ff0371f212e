import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { asSystem, asTenant, createRepositories } from '@yunzhen/db';

import { requireUser } from './auth/authenticate.js';
import { readSample, rewriteInstances } from './testing/dicom-fixtures.js';
import { createConsult, stowInstances } from './testing/seed-consult.js';
import { demoToken } from './testing/spawn-server.js';
import { createTestApp, type TestApp } from './testing/test-app.js';

/**
 * Row-level security: a query that forgets its `where` (here, deliberately, `select * from
 * study`) run through the application role in a request's context returns the calling
 * hospital's rows only, and a reading centre's only those of the consults sent to it.
 */
describe.each(['embedded', 'postgres'] as const)('tenant isolation in the database (%s)', (kind) => {
  let t: TestApp;
  let url: string;
  /** Study ids by who stored them, read as the superuser (every row). */
  let xuhuiConsulted: string;
  let xuhuiOwnOnly: string;
  let minhang: string;

  const freshStudy = () => rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true });
  const studyIdOf = async (uid: string) => (await t.db.kysely.selectFrom('study').select('id').where('study_uid', '=', uid).executeTakeFirstOrThrow()).id;

  beforeAll(async () => {
    t = await createTestApp({ db: kind });
    // A route that forgets its filter on purpose, behind the app's own authentication.
    t.app.get('/dicomweb/unfiltered/:table', async (c) => {
      requireUser(c);
      const table = c.req.param('table');
      const { rows } = await sql<{ id: string }>`select * from ${sql.table(table)}`.execute(t.appDb.kysely);
      return c.json(rows.map((row) => row.id));
    });
    url = await t.listen();
    const xuhui = await demoToken(url, 'rad@xuhui.demo');
    const [consulted] = await stowInstances(url, xuhui, freshStudy());
    const [ownOnly] = await stowInstances(url, xuhui, freshStudy());
    await createConsult(url, xuhui, [consulted!], { clinicalQuestion: 'Nodule?' });
    const [fromMinhang] = await stowInstances(url, await demoToken(url, 'rad@minhang.demo'), freshStudy());
    [xuhuiConsulted, xuhuiOwnOnly, minhang] = await Promise.all([studyIdOf(consulted!), studyIdOf(ownOnly!), studyIdOf(fromMinhang!)]);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  const unfiltered = async (email: string, table: string) => {
    const response = await t.request(`/dicomweb/unfiltered/${table}`, { headers: { Authorization: `Bearer ${await t.token(email)}` } });
    expect(response.status).toBe(200);
    return ((await response.json()) as string[]).sort();
  };

  it('gives a sending hospital its own studies only, and the reading centre only its consults’ studies', async () => {
    expect(await unfiltered('rad@xuhui.demo', 'study')).toEqual([xuhuiConsulted, xuhuiOwnOnly].sort());
    expect(await unfiltered('rad@minhang.demo', 'study')).toEqual([minhang]);
    expect(await unfiltered('specialist@scc.demo', 'study')).toEqual([xuhuiConsulted]);
    // The rows are there: the superuser (who migrates) sees all three.
    const all = (await t.db.kysely.selectFrom('study').select('id').execute()).map((r) => r.id);
    expect(all.sort()).toEqual([xuhuiConsulted, xuhuiOwnOnly, minhang].sort());
  });

  it('keeps series, instances, patients and consults apart the same way', async () => {
    const instancesOf = async (studyIds: string[]) => (await t.db.kysely.selectFrom('instance').select('id').where('study_id', 'in', studyIds).execute()).map((r) => r.id).sort();
    expect(await unfiltered('specialist@scc.demo', 'instance')).toEqual(await instancesOf([xuhuiConsulted]));
    expect(await unfiltered('rad@minhang.demo', 'instance')).toEqual(await instancesOf([minhang]));
    expect(await unfiltered('specialist@scc.demo', 'series')).toHaveLength(1);
    expect(await unfiltered('specialist@scc.demo', 'patient')).toHaveLength(1);
    expect(await unfiltered('rad@minhang.demo', 'consult')).toEqual([]);
    expect(await unfiltered('specialist@scc.demo', 'consult')).toHaveLength(1);
    expect(await unfiltered('rad@xuhui.demo', 'consult')).toHaveLength(1);
    // The audit trail: a hospital reads its own events, not another's.
    const minhangTenant = (await t.db.kysely.selectFrom('study').select('tenant_id').where('id', '=', minhang).executeTakeFirstOrThrow()).tenant_id;
    const audit = (await unfiltered('rad@minhang.demo', 'audit_event')).map(Number);
    expect(audit.length).toBeGreaterThan(0);
    const tenants = await t.db.kysely.selectFrom('audit_event').select('tenant_id').where('id', 'in', audit).execute();
    expect(new Set(tenants.map((r) => r.tenant_id))).toEqual(new Set([minhangTenant]));
  });

  it('shows no tenant-owned row to code that acts for nobody, and every row to a named system job', async () => {
    const appRepos = createRepositories(t.appDb.kysely);
    expect(await t.appDb.kysely.selectFrom('study').select('id').execute()).toEqual([]);
    expect(await appRepos.studies.referencedObjectKeys(['x'])).toEqual(new Set());
    expect(await asSystem('test', () => t.appDb.kysely.selectFrom('study').select('id').execute())).toHaveLength(3);
    // A transaction keeps its actor from begin to commit.
    const [tenant] = await t.db.kysely.selectFrom('study').select('tenant_id').where('id', '=', minhang).execute();
    const inTransaction = await asTenant(tenant!.tenant_id, '00000000-0000-0000-0000-000000000000', () =>
      t.appDb.kysely.transaction().execute((tx) => tx.selectFrom('study').select('id').execute()),
    );
    expect(inTransaction.map((r) => r.id)).toEqual([minhang]);
  });

  it('stores uploads of two hospitals arriving together, each as its own hospital', async () => {
    // Index writes that arrive together share a transaction: only those of one hospital may.
    const senders = ['rad@xuhui.demo', 'rad@minhang.demo'];
    const tokens = await Promise.all(senders.map((email) => demoToken(url, email)));
    const uploads = await Promise.all(Array.from({ length: 8 }, (_, i) => stowInstances(url, tokens[i % 2]!, freshStudy())));
    const stored = await t.db.kysely
      .selectFrom('study as s')
      .innerJoin('tenant as h', 'h.id', 's.tenant_id')
      .select(['s.study_uid', 'h.name'])
      .where('s.study_uid', 'in', uploads.flat())
      .execute();
    const hospitalOf = new Map(stored.map((row) => [row.study_uid, row.name]));
    expect(uploads.map(([uid]) => hospitalOf.get(uid!))).toEqual(Array.from({ length: 8 }, (_, i) => (i % 2 ? 'Minhang District Hospital (demo)' : 'Xuhui District Hospital (demo)')));
  });

  it('connects as a role that row-level security applies to', async () => {
    expect(await t.appDb.roleReport()).toEqual({ role: 'yunzhen_app', superuser: false, bypassRls: false, ownsTables: false });
    expect((await t.db.roleReport()).superuser).toBe(true);
  });
});
