import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { sweepOrphans } from './orphan-sweeper.js';

describe('ingest when the object store fails (PostgreSQL + S3)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ db: 'postgres', store: 's3' });
    token = await t.token('rad@xuhui.demo');
  }, 60_000);
  afterAll(() => t.close());

  it('answers 503 with Retry-After when S3 dies mid-upload, and leaves no index row without its object', async () => {
    const boundary = 'outage';
    const encoder = new TextEncoder();
    const header = encoder.encode(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
    const instances = ['studies/mr-16slice/MR01.dcm', 'studies/mr-16slice/MR02.dcm', 'studies/mr-16slice/MR03.dcm'].map(readSample);
    const tenantId = (await t.repos.tenants.findByName('Xuhui District Hospital (demo)'))!.id;
    const storedCount = async () => {
      const [study] = await t.repos.studies.listStudies({ tenantId });
      return study ? Number(study.instance_count) : 0;
    };
    let sent = 0;
    // Each pull sends one instance followed by the next part's header (which ends the part
    // before it). Before the second instance, wait until the first is stored, then kill S3.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) controller.enqueue(header);
        if (sent === 1) {
          while ((await storedCount()) < 1) await new Promise((resolve) => setTimeout(resolve, 20));
          await t.s3!.kill();
        }
        controller.enqueue(instances[sent++]!);
        controller.enqueue(encoder.encode('\r\n'));
        if (sent === instances.length) {
          controller.enqueue(encoder.encode(`--${boundary}--\r\n`));
          controller.close();
        } else {
          controller.enqueue(header);
        }
      },
    });
    let response;
    try {
      response = await t.request('/dicomweb/studies', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
        body,
        duplex: 'half',
      } as RequestInit);
    } finally {
      await t.s3!.start();
    }
    expect(response.status).toBe(503);
    expect(response.headers.get('Retry-After')).toMatch(/^\d+$/);
    expect((await response.json()).error.code).toBe('StorageUnavailable');

    const [study] = await t.repos.studies.listStudies({ tenantId });
    const rows = await t.repos.studies.listInstances(study!.id);
    expect(rows.length).toBe(1);
    for (const row of rows) expect(await t.store.head(row.object_key), row.object_key).not.toBeNull();
  });

  it('stores everything once the store is back, the earlier instance as a duplicate', async () => {
    const { stowBody } = await import('../testing/dicom-fixtures.js');
    const { body, contentType } = stowBody(['studies/mr-16slice/MR01.dcm', 'studies/mr-16slice/MR02.dcm', 'studies/mr-16slice/MR03.dcm'].map(readSample));
    const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
    expect(response.status).toBe(200);
    const tenantId = (await t.repos.tenants.findByName('Xuhui District Hospital (demo)'))!.id;
    const [study] = await t.repos.studies.listStudies({ tenantId });
    expect(study!.instance_count).toBe(3);
  });

  it('sweeps objects that no row references, and only those', async () => {
    await t.store.put('instances/orphan-from-a-crash', new Uint8Array([1, 2, 3]));
    const before = await t.store.head('instances/orphan-from-a-crash');
    expect(before).not.toBeNull();
    const young = await sweepOrphans({ store: t.store, repos: t.repos, db: t.db }, { graceMs: 60 * 60 * 1000, now: new Date() });
    expect(young.removed).toBe(0);
    const result = await sweepOrphans({ store: t.store, repos: t.repos, db: t.db }, { graceMs: 0, now: new Date(Date.now() + 1000) });
    // The orphan, and the keys of the puts S3's death cut off above (nothing to delete there, but no longer pending).
    expect(result).toMatchObject({ ran: true, removed: 3 });
    expect(await t.db.kysely.selectFrom('pending_object').select('object_key').execute()).toEqual([]);
    expect(await t.store.head('instances/orphan-from-a-crash')).toBeNull();
    const tenantId = (await t.repos.tenants.findByName('Xuhui District Hospital (demo)'))!.id;
    const [study] = await t.repos.studies.listStudies({ tenantId });
    for (const row of await t.repos.studies.listInstances(study!.id)) expect(await t.store.head(row.object_key)).not.toBeNull();
  });
});
