import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, rewriteInstances, samples, stowBody, storableSamples } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp, type TestStoreKind } from '../testing/test-app.js';
import type { TestDbKind } from '@yunzhen/db/testing';

const NOT_INSTANCES = [
  'charsets/chrSQEncoding.dcm',
  'edge-cases/UN_sequence.dcm',
  'edge-cases/nested_priv_SQ.dcm',
  'edge-cases/no_preamble_dicm_in_data',
  'edge-cases/priv_SQ.dcm',
  // Images their converter wrote with SOP UIDs only: no Study or Series UID to file them under.
  'transfer-syntaxes/HTJ2KLossless_08_RGB.dcm',
  'transfer-syntaxes/HTJ2K_08_RGB.dcm',
  'transfer-syntaxes/JPEGLSNearLossless_16.dcm',
];

const deployments: [TestDbKind, TestStoreKind][] = [
  ['embedded', 'filesystem'],
  ['postgres', 's3'],
];

describe.each(deployments)('STOW-RS on %s + %s', (db, store) => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ db, store });
    token = await t.token('rad@xuhui.demo');
  }, 60_000);
  afterAll(() => t.close());

  const stow = (instances: Uint8Array[], path = '/dicomweb/studies', auth = token) => {
    const { body, contentType } = stowBody(instances);
    return t.request(path, { method: 'POST', headers: { Authorization: `Bearer ${auth}`, 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
  };

  it('refuses what it cannot answer or holds nothing, and reports a body that breaks off per instance', async () => {
    const ct = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true })[0]!;
    const { body, contentType } = stowBody([ct]);
    const html = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, Accept: 'text/html' }, body });
    expect(html.status).toBe(406);
    const empty = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'multipart/related; type="application/dicom"; boundary=b' }, body: '--b--\r\n' });
    expect(empty.status).toBe(400);
    // One whole part, then a second that never reaches its closing boundary.
    const [first, second] = rewriteInstances([readSample('modalities/CT_small.dcm'), readSample('transfer-syntaxes/MR_small.dcm')], { freshUids: true });
    const head = new TextEncoder().encode('--b\r\nContent-Type: application/dicom\r\n\r\n');
    const between = new TextEncoder().encode('\r\n--b\r\nContent-Type: application/dicom\r\n\r\n');
    const broken = new Blob([head, first!, between, second!.subarray(0, 500)] as Uint8Array<ArrayBuffer>[]);
    const answer = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'multipart/related; type="application/dicom"; boundary=b' }, body: broken });
    expect(answer.status).toBe(202);
    const json = await answer.json();
    expect(json['00081199'].Value).toHaveLength(1);
    expect(json['00081198'].Value.map((f: Record<string, { Value: unknown[] }>) => f['00091001']!.Value[0])).toEqual(['Truncated']);
  });

  it('stores every image and document sample outside broken/; data sets that are no instance are refused', async () => {
    // Five samples are bare data sets without a SOP Class UID (parser edge cases, no image, no
    // document) and three images lack Study and Series UIDs: a PACS cannot file them, so ingest
    // refuses them with a reason code instead of inventing UIDs.
    const instances = storableSamples().filter((s) => !NOT_INSTANCES.includes(s.path));
    const response = await stow(instances.map((s) => s.bytes));
    const body = await response.json();
    const failed = body['00081198']?.Value ?? [];
    expect(failed.map((f: Record<string, { Value: unknown[] }>) => f['00091001']?.Value[0]), 'rejections').toEqual([]);
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('application/dicom+json');
    const stored = body['00081199'].Value;
    expect(stored).toHaveLength(instances.length);
    const refused = await stow(NOT_INSTANCES.map(readSample));
    expect(refused.status).toBe(409);
    const reasons = (await refused.json())['00081198'].Value.map((f: Record<string, { Value: unknown[] }>) => f['00091001']!.Value[0]);
    expect(reasons).toEqual(NOT_INSTANCES.map(() => 'MissingRequiredUid'));
    for (const item of stored) {
      expect(item['00081155'].Value[0]).toMatch(/^2\.25\.\d+$/);
      expect(item['00081190'].Value[0]).toMatch(/\/dicomweb\/studies\/2\.25\.\d+\/series\/2\.25\.\d+\/instances\/2\.25\.\d+$/);
    }
  }, 120_000);

  it('rejects every broken sample with a reason, storing nothing', async () => {
    const broken = samples('broken');
    const response = await stow(broken.map((s) => s.bytes));
    expect(response.status).toBe(409);
    const failed = (await response.json())['00081198'].Value;
    expect(failed).toHaveLength(broken.length);
    for (const item of failed) {
      expect(item['00081197'].Value[0]).toBeGreaterThan(0);
      expect(item['00091001'].Value[0]).toMatch(/^[A-Z][A-Za-z]+$/);
    }
  });

  it('answers 202 for a mix, and stores a study sent twice once', async () => {
    const ct = readSample('modalities/CT_small.dcm');
    const first = await stow([ct, readSample('broken/no_meta.dcm')]);
    expect(first.status).toBe(202);
    const again = await stow([ct]);
    expect(again.status).toBe(200);
    const instances = await t.repos.studies.listStudies({ tenantId: (await t.repos.tenants.findByName('Xuhui District Hospital (demo)'))!.id });
    const ctStudies = instances.filter((s) => s.modalities.includes('CT') && s.instance_count === 1 && s.series_count === 1);
    expect(ctStudies.length).toBeGreaterThan(0);
  });

  it('refuses other media types with 415 and senders who may not send with 403', async () => {
    const wrongType = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'multipart/related; type="application/dicom+xml"; boundary=x' }, body: '--x--' });
    expect(wrongType.status).toBe(415);
    // A specialist only adds derived objects to a study they read: an image is refused per part.
    const specialist = await t.token('specialist@scc.demo');
    const image = await stow([readSample('modalities/CT_small.dcm')], '/dicomweb/studies', specialist);
    expect(image.status).toBe(409);
    expect((await image.json())['00081198'].Value[0]['00091001'].Value[0]).toBe('NotADerivedObject');
    const doctor = await t.token('doctor@xuhui.demo');
    expect((await stow([readSample('modalities/CT_small.dcm')], '/dicomweb/studies', doctor)).status).toBe(403);
  });
});
