import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, stowBody } from './testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from './testing/test-app.js';

/**
 * Two replicas over one database. Replica B's clock stands still, so nothing it caches ever
 * expires by time: whatever it refuses after a change on replica A, it refuses because the
 * database told it (LISTEN/NOTIFY), not because a cache entry ran out.
 */
describe('a change on one replica reaches the caches of the others', () => {
  let a: TestApp;
  let b: TestApp;
  const frozen = new Date();

  beforeAll(async () => {
    a = await createTestApp({ db: 'embedded' });
    b = await createTestApp({ db: 'embedded', replicaOf: a, now: () => frozen });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** Polls `probe` on B until it answers `status`; returns how long that took (ms), or fails after 10 s. */
  async function untilAnswered(probe: () => Promise<{ status: number }>, status: number): Promise<number> {
    const started = performance.now();
    for (;;) {
      const response = await probe();
      if (response.status === status) return Math.round(performance.now() - started);
      if (performance.now() - started > 10_000) throw new Error(`replica B still answers ${response.status}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('refuses a token revoked on the other replica', async () => {
    const token = await a.token('doctor@xuhui.demo');
    const me = () => b.request('/api/me', { headers: { Authorization: `Bearer ${token}` } });
    expect((await me()).status).toBe(200); // now cached on B
    expect((await a.request('/api/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status).toBe(204);
    const ms = await untilAnswered(me, 401);
    console.info(`token revoked on A, refused on B after ${ms} ms`);
  });

  it('refuses a session logged out on the other replica, and a disabled user', async () => {
    const session = await a.login('rad@minhang.demo');
    const me = () => b.request('/api/me', { session });
    expect((await me()).status).toBe(200);
    expect((await a.request('/api/auth/logout', { method: 'POST', session })).status).toBe(204);
    await untilAnswered(me, 401);

    const doctorToken = await a.token('doctor@minhang.demo');
    const doctorMe = () => b.request('/api/me', { headers: { Authorization: `Bearer ${doctorToken}` } });
    expect((await doctorMe()).status).toBe(200);
    await a.db.kysely.updateTable('app_user').set({ disabled_at: new Date() }).where('email', '=', 'doctor@minhang.demo').execute();
    await untilAnswered(doctorMe, 401);
  });

  it('stops serving a cancelled consult’s images to the reading centre', async () => {
    const rad = await a.token('rad@xuhui.demo');
    const { body, contentType } = stowBody([readSample('studies/mr-16slice/MR01.dcm')]);
    const stored = await (await a.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': contentType }, body })).json();
    const path = new URL(stored['00081199'].Value[0]['00081190'].Value[0] as string).pathname;
    const [study] = await a.repos.studies.listStudies({ tenantId: (await a.repos.tenants.findByName('Xuhui District Hospital (demo)'))!.id });
    const centreId = (await a.repos.tenants.findByName('Shanghai Cancer Center (demo)'))!.id;
    const created = await a.request('/api/consults', {
      method: 'POST',
      headers: { Authorization: `Bearer ${rad}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ readingCentreId: centreId, studyIds: [study!.id], clinicalQuestion: 'Lesion?', priority: 'routine' }),
    });
    expect(created.status).toBe(201);
    const consultId = (await created.json()).consult.id as string;

    const specialist = await a.token('specialist@scc.demo');
    const metadata = () => b.request(`${path}/metadata`, { headers: { Authorization: `Bearer ${specialist}` } });
    expect((await metadata()).status).toBe(200); // visibility now cached on B
    await a.db.kysely.updateTable('consult').set({ status: 'cancelled' }).where('id', '=', consultId).execute();
    await untilAnswered(metadata, 404);
  });
});
