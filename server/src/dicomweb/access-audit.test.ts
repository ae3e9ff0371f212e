import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, rewriteInstances } from '../testing/dicom-fixtures.js';
import { stowInstances } from '../testing/seed-consult.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { ACCESS_AUDIT_WINDOW_MS } from './wado-routes.js';

/**
 * 110103 Instances Accessed is recorded once per user and study per window across replicas:
 * two apps over one database, a viewer's requests alternating between them (as a round-robin
 * balancer sends them), give one event per window, not one per process.
 */
describe('access audit shared across replicas', () => {
  let a: TestApp;
  let b: TestApp;
  // Both replicas read one clock, moved by the test; it starts inside a window, not at its edge.
  let clock = Math.floor(Date.now() / ACCESS_AUDIT_WINDOW_MS) * ACCESS_AUDIT_WINDOW_MS + 1_000;
  const now = () => new Date(clock);

  beforeAll(async () => {
    a = await createTestApp({ db: 'embedded', now });
    b = await createTestApp({ db: 'embedded', replicaOf: a, now });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('records one event per user and study per window, whichever replica answers', async () => {
    const url = await a.listen();
    const token = await a.token('rad@xuhui.demo');
    const [studyUid] = await stowInstances(url, token, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }));
    const study = await a.db.kysely.selectFrom('study').select('id').where('study_uid', '=', studyUid!).executeTakeFirstOrThrow();
    const accessed = async () =>
      (await a.db.kysely.selectFrom('audit_event').select('id').where('event_code', '=', '110103').where('object_id', '=', study.id).execute()).length;

    const read = (app: TestApp) => app.request(`/dicomweb/studies/${studyUid}/metadata`, { headers: { Authorization: `Bearer ${token}` } });
    // Concurrent first requests on both replicas race for the window: one of them records it.
    const first = await Promise.all([read(a), read(b), read(a), read(b)]);
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (const app of [a, b, a, b]) expect((await read(app)).status).toBe(200);
    expect(await accessed()).toBe(1);

    // The next window: one more, again whichever replica answers first.
    clock += ACCESS_AUDIT_WINDOW_MS;
    for (const app of [b, a, b, a]) expect((await read(app)).status).toBe(200);
    expect(await accessed()).toBe(2);
  });
});
