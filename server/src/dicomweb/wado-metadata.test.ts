import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { rewriteInstances, stowBody, storableSamples } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { servedMetadata } from './metadata.js';

/**
 * WADO-RS metadata kept in the index at ingest: served without reading the objects, and the same
 * answer, to the byte's meaning, as the one built from the stored objects (every sample).
 */
describe('series metadata from the index', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    token = await t.token('rad@xuhui.demo');
  }, 120_000);
  afterAll(() => t?.close());

  const auth = () => ({ Authorization: `Bearer ${token}` });

  it('answers what the stored objects give, for every sample, and falls back to them for rows without it', async () => {
    for (const sample of storableSamples()) {
      const { body, contentType } = stowBody(rewriteInstances([sample.bytes], { freshUids: true }));
      await t.request('/dicomweb/studies', { method: 'POST', headers: { ...auth(), 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
    }
    const kept = await t.db.kysely.selectFrom('instance').select((eb) => [eb.fn.countAll<string>().as('all'), eb.fn.count<string>('metadata_json').as('kept')]).executeTakeFirstOrThrow();
    expect(Number(kept.all)).toBeGreaterThan(50);
    expect(kept.kept).toBe(kept.all);

    const { studies } = (await (await t.request('/api/studies', { headers: auth() })).json()) as { studies: { studyInstanceUid: string }[] };
    const metadataOf = async (uid: string) => {
      const response = await t.request(`/dicomweb/studies/${uid}/metadata`, { headers: auth() });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, { BulkDataURI?: string }>[];
    };
    const fromIndex = new Map<string, unknown>();
    for (const study of studies) fromIndex.set(study.studyInstanceUid, await metadataOf(study.studyInstanceUid));
    // Bulk data is addressed under the instance's own URL.
    const uris = [...fromIndex.values()].flatMap((instances) => (instances as Record<string, { BulkDataURI?: string }>[]).flatMap((i) => Object.values(i).map((a) => a.BulkDataURI).filter(Boolean)));
    expect(uris.length).toBeGreaterThan(0);
    for (const uri of uris) expect(uri).toMatch(/^http:\/\/[^/]+\/dicomweb\/studies\/[\d.]+\/series\/[\d.]+\/instances\/[\d.]+\/bulkdata\/[0-9A-F]{8}/);

    await sql`update instance set metadata_json = null`.execute(t.db.kysely);
    for (const study of studies) expect(await metadataOf(study.studyInstanceUid), study.studyInstanceUid).toEqual(fromIndex.get(study.studyInstanceUid));
  }, 300_000);

  it('rewrites only bulk data references, never a value that looks like one', () => {
    const kept = JSON.stringify({ '00081030': { vr: 'LO', Value: ['yunzhen:bulkdata/7FE00010'] }, '7FE00010': { vr: 'OW', BulkDataURI: 'yunzhen:bulkdata/7FE00010' } });
    expect(JSON.parse(servedMetadata(kept, 'https://pacs.example/i/1/bulkdata'))).toEqual({
      '00081030': { vr: 'LO', Value: ['yunzhen:bulkdata/7FE00010'] },
      '7FE00010': { vr: 'OW', BulkDataURI: 'https://pacs.example/i/1/bulkdata/7FE00010' },
    });
  });
});
