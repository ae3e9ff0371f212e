import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { withAdvisoryLock } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

import { readSample, stowBody } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { ORPHAN_SWEEP_LOCK, sweepOrphans } from './orphan-sweeper.js';

/**
 * The orphan sweep with several replicas: it works from the table of pending puts (never a
 * listing of the bucket, which with S3 costs a request per thousand objects every round) and
 * runs under an advisory lock, so one replica sweeps at a time.
 */
describe('orphan sweep from pending puts, under an advisory lock', () => {
  let t: TestApp;
  /** The app's store, except that listing the bucket fails the test. */
  let unlistable: ObjectStore;
  const pendingKeys = async () => (await t.db.kysely.selectFrom('pending_object').select('object_key').execute()).map((r) => r.object_key);

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    unlistable = { ...t.store, list: () => { throw new Error('the sweep listed the bucket'); } };
  }, 60_000);
  afterAll(() => t?.close());

  it('records a put as pending before the object and clears it with the index row', async () => {
    const token = await t.token('rad@xuhui.demo');
    const { body, contentType } = stowBody([readSample('studies/mr-16slice/MR01.dcm')]);
    const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
    expect(response.status).toBe(200);
    expect(await pendingKeys()).toEqual([]);
    const [row] = await t.db.kysely.selectFrom('instance').select('object_key').execute();
    expect(await t.store.head(row!.object_key)).not.toBeNull();
  });

  it('removes an object whose index write never happened, without listing the bucket', async () => {
    await t.store.put('instances/orphan-of-a-crash', new Uint8Array([1, 2, 3]));
    expect(await pendingKeys()).toEqual(['instances/orphan-of-a-crash']);
    const young = await sweepOrphans({ store: unlistable, repos: t.repos, db: t.db }, { graceMs: 60 * 60 * 1000, now: new Date() });
    expect(young).toMatchObject({ ran: true, removed: 0 });
    const swept = await sweepOrphans({ store: unlistable, repos: t.repos, db: t.db }, { graceMs: 0, now: new Date(Date.now() + 1000) });
    expect(swept).toMatchObject({ ran: true, checked: 1, removed: 1 });
    expect(await t.store.head('instances/orphan-of-a-crash')).toBeNull();
    expect(await pendingKeys()).toEqual([]);
    const [row] = await t.db.kysely.selectFrom('instance').select('object_key').execute();
    expect(await t.store.head(row!.object_key), 'the indexed instance stays').not.toBeNull();
  });

  it('skips the round while another replica holds the sweep lock', async () => {
    await t.store.put('instances/second-orphan', new Uint8Array([4, 5, 6]));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    // Another replica's sweep, on its own connection.
    const other = withAdvisoryLock(t.db.kysely, ORPHAN_SWEEP_LOCK, { wait: true }, async () => {
      locked();
      await held;
    });
    await lockTaken;
    const skipped = await sweepOrphans({ store: unlistable, repos: t.repos, db: t.db }, { graceMs: 0, now: new Date(Date.now() + 1000) });
    expect(skipped).toMatchObject({ ran: false, removed: 0 });
    expect(await t.store.head('instances/second-orphan')).not.toBeNull();
    release();
    await other;
    const swept = await sweepOrphans({ store: unlistable, repos: t.repos, db: t.db }, { graceMs: 0, now: new Date(Date.now() + 1000) });
    expect(swept).toMatchObject({ ran: true, removed: 1 });
  });
});
