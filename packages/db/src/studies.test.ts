import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRepositories, TenantConflictError, type InstanceRecord, type Repositories } from './index.js';
import { createTestDb, testDbKinds, type TestDb } from './testing/test-db.js';

let counter = 0;
function record(tenantId: string, overrides: { study?: string; series?: string; sop?: string; patient?: string } = {}): InstanceRecord {
  const n = ++counter;
  return {
    tenantId,
    uploadedBy: null,
    patient: { pseudonymId: overrides.patient ?? 'YZ-P1', pseudonymName: 'ANON^P1', sex: 'F', birthDate: null },
    study: { studyUid: overrides.study ?? '2.25.1', studyDate: '2024-03-05', studyTime: '101500', accessionNumber: 'ACC1', studyDescription: 'CT CHEST', studyId: null, patientAge: '061Y' },
    series: { seriesUid: overrides.series ?? '2.25.11', modality: 'CT', seriesNumber: 2, seriesDescription: 'AXIAL', bodyPart: 'CHEST' },
    instance: {
      sopInstanceUid: overrides.sop ?? `2.25.100${n}`,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      instanceNumber: n,
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      rows: 512,
      columns: 512,
      numberOfFrames: 1,
      bitsAllocated: 16,
      sizeBytes: 525_000,
      sha256: 'ab'.repeat(32),
      objectKey: `instances/key-${n}-${Math.random()}`,
      pixelReview: 'none',
      pixelReviewReasons: [],
    },
    vaultEntries: [{ kind: 'uid', pseudonym: overrides.sop ?? `2.25.100${n}`, keyVersion: 1, ciphertext: new Uint8Array([1, 2, 3]) }],
  };
}

describe.each(testDbKinds)('image index and consults on %s', (kind) => {
  let db: TestDb;
  let repos: Repositories;
  let hospital: string;
  let other: string;
  let centre: string;
  let radiographer: string;
  beforeAll(async () => {
    db = await createTestDb(kind);
    repos = createRepositories(db.kysely);
    hospital = (await repos.tenants.create({ name: 'H', kind: 'sending' })).id;
    other = (await repos.tenants.create({ name: 'O', kind: 'sending' })).id;
    centre = (await repos.tenants.create({ name: 'C', kind: 'reading' })).id;
    radiographer = (await repos.users.create({ tenantId: hospital, email: 'r@h.example', displayName: 'R', role: 'radiographer', licensed: true, passwordHash: null })).id;
  }, 60_000);
  afterAll(() => db.drop());

  it('creates patient, study and series on first sight and reuses them after', async () => {
    const first = await repos.studies.indexInstance(record(hospital));
    const second = await repos.studies.indexInstance(record(hospital));
    expect(first.duplicate).toBe(false);
    expect(second).toMatchObject({ duplicate: false, studyId: first.studyId, seriesId: first.seriesId });
    const [study] = await repos.studies.listStudies({ tenantId: hospital });
    expect(study).toMatchObject({ study_uid: '2.25.1', study_date: '2024-03-05', pseudonym_name: 'ANON^P1', series_count: 1, instance_count: 2, modalities: ['CT'] });
  });

  it('stores a SOP instance once, also under concurrent duplicates', async () => {
    const same = record(hospital, { sop: '2.25.777' });
    const results = await Promise.all(Array.from({ length: 6 }, () => repos.studies.indexInstance({ ...same, instance: { ...same.instance, objectKey: `instances/${Math.random()}` } })));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.instanceId)).size).toBe(1);
    expect(await repos.studies.existingInstances(hospital, ['2.25.777', '2.25.778'])).toEqual(new Map([['2.25.777', '2.25.1']]));
  });

  it('refuses a study UID that belongs to another hospital', async () => {
    await expect(repos.studies.indexInstance(record(other, { study: '2.25.1', patient: 'YZ-O' }))).rejects.toBeInstanceOf(TenantConflictError);
  });

  it('indexes instances that arrive together in shared transactions (one WAL flush for many)', async () => {
    const records = Array.from({ length: 20 }, () => record(hospital, { series: '2.25.12' }));
    const results = await Promise.all(records.map((r) => repos.studies.indexInstance(r)));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    // Rows written by one transaction share its id (xmin).
    const { rows } = await sql<{ tx: string }>`select distinct xmin::text as tx from instance where series_id = ${results[0]!.seriesId}`.execute(db.kysely);
    expect(rows.length).toBeLessThan(5);
  });

  it('fails only the instance that fails in a shared transaction, each caller getting its own answer', async () => {
    const good = Array.from({ length: 5 }, () => record(hospital, { series: '2.25.13' }));
    const forged = record(other, { study: '2.25.1', series: '2.25.14', patient: 'YZ-O2' });
    const settled = await Promise.allSettled([...good.slice(0, 2), forged, ...good.slice(2)].map((r) => repos.studies.indexInstance(r)));
    expect(settled[2]!.status).toBe('rejected');
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(TenantConflictError);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(5);
    expect(await repos.studies.existingInstances(hospital, good.map((r) => r.instance.sopInstanceUid))).toHaveProperty('size', 5);
    // Nothing of the forged instance stayed: not its patient, not its vault entry.
    expect(await db.kysely.selectFrom('patient').select('id').where('pseudonym_id', '=', 'YZ-O2').execute()).toEqual([]);
    expect(await repos.vault.find(other, 'uid', [forged.instance.sopInstanceUid])).toEqual([]);
  });

  it('keeps vault entries with the index rows and finds them by pseudonym', async () => {
    await repos.studies.indexInstance(record(hospital, { sop: '2.25.555' }));
    const [entry] = await repos.vault.find(hospital, 'uid', ['2.25.555']);
    expect([...entry!.ciphertext]).toEqual([1, 2, 3]);
    expect(await repos.vault.find(other, 'uid', ['2.25.555'])).toEqual([]);
  });

  it('tracks pixel review and answers which object keys are referenced', async () => {
    const held = record(hospital, { study: '2.25.2', series: '2.25.21' });
    held.instance.pixelReview = 'pending';
    held.instance.pixelReviewReasons = ['BurnedInAnnotation'];
    const { studyId, instanceId } = await repos.studies.indexInstance(held);
    const [listed] = await repos.studies.listStudies({ tenantId: hospital, studyIds: [studyId] });
    expect(listed?.pending_review_count).toBe(1);
    expect(await repos.studies.setPixelReview(other, studyId, [instanceId], 'released')).toBe(0);
    expect(await repos.studies.setPixelReview(hospital, studyId, [instanceId], 'released')).toBe(1);
    expect(await repos.studies.referencedObjectKeys([held.instance.objectKey, 'instances/nobody'])).toEqual(new Set([held.instance.objectKey]));
  });

  it('creates consults visible to both sides only, and takes their studies out of the inbox', async () => {
    const { studyId } = await repos.studies.indexInstance(record(hospital, { study: '2.25.3', series: '2.25.31' }));
    expect((await repos.studies.listStudies({ tenantId: hospital, inboxOnly: true })).map((s) => s.id)).toContain(studyId);
    const consult = await repos.consults.create({
      sendingTenantId: hospital, readingTenantId: centre, createdBy: radiographer, clinicalQuestion: 'Nodule?', priority: 'urgent', dueAt: new Date(Date.now() + 86_400_000), studyIds: [studyId], createdAt: new Date(),
    });
    expect(consult.status).toBe('new');
    expect(await repos.consults.get(hospital, consult.id)).toMatchObject({ reading_tenant_name: 'C' });
    expect(await repos.consults.get(centre, consult.id)).toMatchObject({ sending_tenant_name: 'H' });
    expect(await repos.consults.get(other, consult.id)).toBeUndefined();
    expect(await repos.consults.studyIds(consult.id)).toEqual([studyId]);
    expect((await repos.studies.listStudies({ tenantId: hospital, inboxOnly: true })).map((s) => s.id)).not.toContain(studyId);
  });

  it('finds studies with QIDO-RS in each scope, counting only the instances that scope may see', async () => {
    const study = '2.25.4';
    const shown = await repos.studies.indexInstance(record(hospital, { study, series: '2.25.41' }));
    await repos.studies.indexInstance(record(hospital, { study, series: '2.25.42' }));
    const heldRecord = record(hospital, { study, series: '2.25.43' });
    heldRecord.instance.pixelReview = 'pending';
    const held = await repos.studies.indexInstance(heldRecord);
    const own = { tenantId: hospital, own: true, reader: false };
    const reader = { tenantId: centre, own: false, reader: true };
    const find = async (scope: typeof own) =>
      (await repos.dicomweb.searchStudies(scope, { studyUids: [study] }, { limit: 10, offset: 0 })).map((m) => [m.series_count, m.instance_count]);

    expect(await find(own)).toEqual([[3, 3]]);
    expect(await find(reader)).toEqual([]); // no consult yet
    const consult = await repos.consults.create({
      sendingTenantId: hospital, readingTenantId: centre, createdBy: radiographer, clinicalQuestion: 'Staging', priority: 'routine', dueAt: new Date(Date.now() + 86_400_000), studyIds: [shown.studyId], createdAt: new Date(),
    });
    expect(await find(reader)).toEqual([[2, 2]]); // the instance held for pixel review is not counted
    await repos.studies.setPixelReview(hospital, held.studyId, [held.instanceId], 'released');
    expect(await find(reader)).toEqual([[3, 3]]);
    expect(await find({ tenantId: other, own: true, reader: false })).toEqual([]);
    expect(await find({ tenantId: centre, own: true, reader: false })).toEqual([]);
    await sql`update consult set status = 'cancelled' where id = ${consult.id}`.execute(db.kysely);
    expect(await find(reader)).toEqual([]);
  });

  it('lists open consults first, then the newest closed ones, so a full history never hides new work', async () => {
    const worklist = await repos.tenants.create({ name: `W-${kind}`, kind: 'reading' });
    const consultFor = async (n: number, dueInDays: number, status: 'new' | 'in_progress' | 'reported') => {
      const { studyId } = await repos.studies.indexInstance(record(hospital, { study: `2.25.5${n}`, series: `2.25.5${n}1` }));
      const consult = await repos.consults.create({
        sendingTenantId: hospital, readingTenantId: worklist.id, createdBy: radiographer, clinicalQuestion: `Q${n}`, priority: 'routine', dueAt: new Date(Date.now() + dueInDays * 86_400_000), studyIds: [studyId], createdAt: new Date(),
      });
      await sql`update consult set status = ${status}, created_at = now() + make_interval(secs => ${n}) where id = ${consult.id}`.execute(db.kysely);
      return consult.id;
    };
    const oldReported = await consultFor(1, -30, 'reported');
    const newerReported = await consultFor(2, -20, 'reported');
    const open = await consultFor(3, 2, 'new');
    const started = await consultFor(4, 1, 'in_progress');
    expect((await repos.consults.list(worklist.id, { limit: 3 })).map((c) => c.id)).toEqual([started, open, newerReported]);
    expect((await repos.consults.list(worklist.id)).map((c) => c.id)).toEqual([started, open, newerReported, oldReported]);
  });
});
