import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { api as dicomweb } from 'dicomweb-client';
import XMLHttpRequest from 'xhr2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pydicomFrames } from '../testing/oracles.js';
import { readSample, rewriteInstances, samples, stowBody } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

// dicomweb-client is the DICOMweb client OHIF uses; it speaks XMLHttpRequest, which xhr2 provides in Node.
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = XMLHttpRequest;

type Dataset = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;

/**
 * The calls the tests make. dicomweb-client 0.11's bundled typings mark optional options
 * (request, singlepart, byteRange…) as required, so the client is used through this view.
 */
interface Client {
  searchForStudies(options?: object): Promise<unknown>;
  searchForSeries(options?: object): Promise<unknown>;
  searchForInstances(options?: object): Promise<unknown>;
  retrieveStudy(options: object): Promise<unknown>;
  retrieveSeries(options: object): Promise<unknown>;
  retrieveInstanceMetadata(options: object): Promise<unknown>;
  retrieveStudyMetadata(options: object): Promise<unknown>;
  retrieveInstanceFrames(options: object): Promise<unknown>;
  retrieveBulkData(options: object): Promise<unknown>;
  _httpGetMultipartApplicationDicom(url: string, mediaTypes: object[]): Promise<ArrayBuffer[]>;
}
const value = (ds: Dataset, tag: string) => ds[tag]?.Value?.[0];

/** Every sample the tests send, one STOW-RS request each. */
const TRANSFER_SYNTAX_SAMPLES = samples('transfer-syntaxes').map((s) => s.path);
const SENT = [
  ...TRANSFER_SYNTAX_SAMPLES,
  'modalities/CT_small.dcm',
  'modalities/NM-MONO2-16-13x-heart',
  'modalities/US-PAL-8-10x-echo',
  'studies/ct-4slice-with-seg/17106',
  'studies/ct-4slice-with-seg/seg_image_ct_binary.dcm',
];
/**
 * Samples STOW-RS refuses, with the reason code it must give (our ReasonCode beside the
 * FailureReason, PS3.18 10.5.3). None: the engine stores every transfer syntax sent here.
 */
const REFUSED: Record<string, string> = {};
/** Samples their converter wrote without Study and Series UIDs: sent with fresh ones added (as they are, the archive refuses them). */
const WITHOUT_STUDY_UIDS = ['transfer-syntaxes/HTJ2KLossless_08_RGB.dcm', 'transfer-syntaxes/HTJ2K_08_RGB.dcm', 'transfer-syntaxes/JPEGLSNearLossless_16.dcm'];
/** Stored instances whose frames are not compared with pydicom, and why; each is checked otherwise. */
const NO_FRAMES: Record<string, string> = {
  'transfer-syntaxes/report_dfl': 'an Enhanced SR: no Pixel Data, so frame 1 is Not Found',
};

/** Tests that send or compare every sample; a busy 2-core machine needs far more than 5 s. */
const SLOW = 120_000;

describe('DICOMweb read side with dicomweb-client (PostgreSQL + S3)', () => {
  let t: TestApp;
  let url: string;
  let client: Client;
  const client_ = (token: string) => new dicomweb.DICOMwebClient({ url: `${url}/dicomweb`, headers: { Authorization: `Bearer ${token}` } } as never) as unknown as Client;
  const outcomes: { path: string; status: number; reasons: unknown[] }[] = [];
  const stored: { path: string; study: string; series: string; sop: string }[] = [];

  beforeAll(async () => {
    t = await createTestApp({ db: 'postgres', store: 's3' });
    url = await t.listen();
    const rad = await t.token('rad@xuhui.demo');
    for (const path of SENT) {
      // Fresh UIDs complete the samples written without Study and Series UIDs (the archive refuses those).
      const bytes = WITHOUT_STUDY_UIDS.includes(path) ? rewriteInstances([readSample(path)], { freshUids: true })[0]! : readSample(path);
      const { body, contentType } = stowBody([bytes]);
      const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': contentType }, body });
      const json = await response.json();
      const reasons = (json['00081198']?.Value ?? []).map((f: Record<string, { Value: unknown[] }>) => f['00091001']?.Value[0]);
      outcomes.push({ path, status: response.status, reasons });
      for (const item of json['00081199']?.Value ?? []) {
        const [, study, series, sop] = /studies\/([\d.]+)\/series\/([\d.]+)\/instances\/([\d.]+)$/.exec(item['00081190'].Value[0])!;
        stored.push({ path, study: study!, series: series!, sop: sop! });
      }
    }
    client = client_(rad);
  }, SLOW);
  afterAll(() => t.close());

  it('stores the 22 samples it sends and refuses none', () => {
    expect(TRANSFER_SYNTAX_SAMPLES).toHaveLength(17);
    expect(SENT).toHaveLength(22);
    const refused = outcomes.filter((o) => o.status !== 200);
    expect(refused.map((o) => [o.path, o.reasons])).toEqual(Object.entries(REFUSED).map(([path, reason]) => [path, [reason]]));
    expect(stored.map((s) => s.path)).toEqual(SENT.filter((path) => !(path in REFUSED)));
  });

  it('finds studies with computed attributes, wildcard and case-insensitive names, limit and offset', async () => {
    const studies = (await client.searchForStudies()) as Dataset[];
    expect(studies.length).toBeGreaterThanOrEqual(new Set(stored.map((s) => s.study)).size);
    const ct = studies.find((s) => value(s, '0020000D') === stored.find((x) => x.path === 'modalities/CT_small.dcm')!.study)!;
    expect(value(ct, '00201206')).toBe(1);
    expect(value(ct, '00201208')).toBe(1);
    expect(ct['00080061']!.Value).toEqual(['CT']);
    expect((value(ct, '00100010') as { Alphabetic: string }).Alphabetic).toMatch(/^ANONYMOUS\^YZ/);

    const byName = (await client.searchForStudies({ queryParams: { PatientName: 'anonymous^yz*' } })) as Dataset[];
    expect(byName.length).toBe(studies.length);
    const none = (await client.searchForStudies({ queryParams: { PatientName: 'CompressedSamples*' } })) as Dataset[];
    expect(none).toEqual([]);
    const page = (await client.searchForStudies({ queryParams: { limit: '2', offset: '1' } })) as Dataset[];
    expect(page.map((s) => value(s, '0020000D'))).toEqual(studies.slice(1, 3).map((s) => value(s, '0020000D')));
    const ctOnly = (await client.searchForStudies({ queryParams: { ModalitiesInStudy: 'CT' } })) as Dataset[];
    expect(ctOnly.every((s) => (s['00080061']!.Value as string[]).includes('CT'))).toBe(true);
  });

  it('finds series and instances, at every level and with includefield=all', async () => {
    const ct = stored.find((x) => x.path === 'modalities/CT_small.dcm')!;
    const series = (await client.searchForSeries({ studyInstanceUID: ct.study })) as Dataset[];
    expect(series.map((s) => value(s, '0020000E'))).toEqual([ct.series]);
    expect(value(series[0]!, '00201209')).toBe(1);
    const instances = (await client.searchForInstances({ studyInstanceUID: ct.study, seriesInstanceUID: ct.series, queryParams: { includefield: 'all' } })) as Dataset[];
    expect(value(instances[0]!, '00080018')).toBe(ct.sop);
    expect(value(instances[0]!, '00280010')).toBe(128);
    expect(value(instances[0]!, '00100020')).toMatch(/^YZ/);
    const all = (await client.searchForInstances({ queryParams: { SOPInstanceUID: ct.sop } })) as Dataset[];
    expect(all).toHaveLength(1);
  });

  it('retrieves every instance byte-identical to the stored object, in every transfer syntax, from the store and from memory', async () => {
    expect(stored).toHaveLength(SENT.length - Object.keys(REFUSED).length);
    for (const item of stored) {
      // transfer-syntax=* asks for the stored bytes; without it DICOMweb means Explicit VR Little
      // Endian. dicomweb-client 0.11's retrieveInstance({ mediaTypes }) cannot build that Accept
      // header (it reduces the media type to "application/"), so call the request it wraps, as OHIF does.
      const instanceUrl = `${url}/dicomweb/studies/${item.study}/series/${item.series}/instances/${item.sop}`;
      const retrieve = async () => Buffer.from(((await client._httpGetMultipartApplicationDicom(instanceUrl, [{ mediaType: 'application/dicom', transferSyntaxUID: '*' }])) as ArrayBuffer[])[0]!);
      const row = await t.repos.studies.findInstance(item.sop);
      const object = await t.store.get(row!.object_key);
      const expected = Buffer.from(await new Response(object!.body).arrayBuffer());
      expect((await retrieve()).equals(expected), item.path).toBe(true);
      // Reading its metadata puts the parsed instance in the server's memory; retrieval then sends those bytes.
      await client.retrieveInstanceMetadata({ studyInstanceUID: item.study, seriesInstanceUID: item.series, sopInstanceUID: item.sop });
      expect((await retrieve()).equals(expected), `${item.path} from memory`).toBe(true);
    }
  }, SLOW);

  it('retrieves whole studies and series as multipart', async () => {
    const seg = stored.find((x) => x.path.endsWith('seg_image_ct_binary.dcm'))!;
    const study = (await client.retrieveStudy({ studyInstanceUID: seg.study })) as ArrayBuffer[];
    expect(study.length).toBe(stored.filter((x) => x.study === seg.study).length);
    const series = (await client.retrieveSeries({ studyInstanceUID: seg.study, seriesInstanceUID: seg.series })) as ArrayBuffer[];
    expect(series.length).toBe(1);
  });

  it('serves metadata as DICOM JSON with BulkDataURIs for pixel data', async () => {
    const nm = stored.find((x) => x.path === 'modalities/NM-MONO2-16-13x-heart')!;
    const [metadata] = (await client.retrieveInstanceMetadata({ studyInstanceUID: nm.study, seriesInstanceUID: nm.series, sopInstanceUID: nm.sop })) as Dataset[];
    expect(value(metadata!, '00280008')).toBe(13);
    expect(value(metadata!, '00020010')).toBe('1.2.840.10008.1.2.1'); // as stored: Explicit VR Little Endian
    expect(metadata!['7FE00010']!.BulkDataURI).toMatch(/\/bulkdata\/7FE00010$/);
    const study = (await client.retrieveStudyMetadata({ studyInstanceUID: nm.study })) as Dataset[];
    expect(study).toHaveLength(1);
    const bulk = await client.retrieveBulkData({ BulkDataURI: metadata!['7FE00010']!.BulkDataURI! });
    expect((bulk as ArrayBuffer[])[0]!.byteLength).toBe(64 * 64 * 2 * 13);
  });

  it('serves every frame equal to what pydicom reads, for native and encapsulated pixel data', async () => {
    const token = await t.token('rad@xuhui.demo');
    const compared = stored.filter((item) => !(item.path in NO_FRAMES));
    expect(stored.filter((item) => item.path in NO_FRAMES).map((item) => item.path)).toEqual(Object.keys(NO_FRAMES));
    const dir = mkdtempSync(join(tmpdir(), 'yunzhen-frames-'));
    try {
      // The stored objects (de-identified), read by one pydicom process.
      const files: string[] = [];
      for (const [i, item] of stored.entries()) {
        const row = await t.repos.studies.findInstance(item.sop);
        expect(row, item.path).toBeDefined();
        const object = await t.store.get(row!.object_key);
        files.push(join(dir, `${i}.dcm`));
        writeFileSync(files[i]!, new Uint8Array(await new Response(object!.body).arrayBuffer()));
      }
      const oracle = pydicomFrames(files);
      const framesOf = new Map(stored.map((item, i) => [item.path, oracle[i]!]));

      for (const path of Object.keys(NO_FRAMES)) {
        const item = stored.find((x) => x.path === path)!;
        expect(framesOf.get(path), `${path}: pydicom finds no Pixel Data either`).toBeNull();
        const response = await fetch(`${url}/dicomweb/studies/${item.study}/series/${item.series}/instances/${item.sop}/frames/1`, { headers: { Authorization: `Bearer ${token}`, Accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' } });
        expect(response.status, path).toBe(404);
      }

      let checked = 0;
      for (const item of compared) {
        const expected = framesOf.get(item.path);
        expect(expected, `${item.path}: pydicom reads its frames`).not.toBeNull();
        const numbers = expected!.map((_, i) => i + 1);
        const frames = (await client.retrieveInstanceFrames({ studyInstanceUID: item.study, seriesInstanceUID: item.series, sopInstanceUID: item.sop, frameNumbers: numbers, mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID: '*' }] })) as ArrayBuffer[];
        expect(frames.length, item.path).toBe(numbers.length);
        for (const [i, want] of expected!.entries()) {
          const got = Buffer.from(frames[i]!);
          // Encapsulated frames may carry one trailing pad byte (PS3.5 A.4).
          expect(got.subarray(0, want.length).equals(want) && got.length - want.length <= 1, `${item.path} frame ${i + 1}`).toBe(true);
        }
        checked++;
      }
      expect(checked).toBe(SENT.length - Object.keys(REFUSED).length - Object.keys(NO_FRAMES).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, SLOW);

  it('answers 406 rather than silently sending another transfer syntax', async () => {
    const jpeg = stored.find((x) => x.path === 'transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm')!;
    const token = await t.token('rad@xuhui.demo');
    const response = await fetch(`${url}/dicomweb/studies/${jpeg.study}/series/${jpeg.series}/instances/${jpeg.sop}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1' },
    });
    expect(response.status).toBe(406);
    // Without a transfer-syntax parameter, a native instance arrives as Explicit VR Little Endian.
    const implicit = stored.find((x) => x.path === 'transfer-syntaxes/MR_small_implicit.dcm')!;
    const converted = await fetch(`${url}/dicomweb/studies/${implicit.study}/series/${implicit.series}/instances/${implicit.sop}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'multipart/related; type="application/dicom"' },
    });
    expect(converted.status).toBe(200);
    expect(await converted.text()).toContain('transfer-syntax=1.2.840.10008.1.2.1');
  });

  it('renders PNG thumbnails and passes JPEG baseline frames through', async () => {
    const token = await t.token('rad@xuhui.demo');
    const ct = stored.find((x) => x.path === 'modalities/CT_small.dcm')!;
    const png = await fetch(`${url}/dicomweb/studies/${ct.study}/series/${ct.series}/instances/${ct.sop}/thumbnail`, { headers: { Authorization: `Bearer ${token}` } });
    expect(png.headers.get('Content-Type')).toBe('image/png');
    const bytes = new Uint8Array(await png.arrayBuffer());
    expect([...bytes.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    const jpeg = stored.find((x) => x.path === 'transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm')!;
    const rendered = await fetch(`${url}/dicomweb/studies/${jpeg.study}/series/${jpeg.series}/instances/${jpeg.sop}/rendered`, { headers: { Authorization: `Bearer ${token}`, Accept: 'image/jpeg' } });
    expect(rendered.headers.get('Content-Type')).toBe('image/jpeg');
    expect([...new Uint8Array(await rendered.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
  });

  it('shows another hospital nothing, and a reading centre only its consults’ studies', async () => {
    const other = client_(await t.token('doctor@minhang.demo'));
    expect(await other.searchForStudies()).toEqual([]);
    const ct = stored.find((x) => x.path === 'modalities/CT_small.dcm')!;
    await expect(other.retrieveStudyMetadata({ studyInstanceUID: ct.study })).rejects.toBeTruthy();
    const specialist = client_(await t.token('specialist@scc.demo'));
    expect(await specialist.searchForStudies()).toEqual([]);
    const rad = await t.token('rad@xuhui.demo');
    const inbox = (await (await t.request('/api/studies?inbox=true', { headers: { Authorization: `Bearer ${rad}` } })).json()).studies;
    const ctStudy = inbox.find((s: { studyInstanceUid: string }) => s.studyInstanceUid === ct.study);
    const centre = (await (await t.request('/api/me', { headers: { Authorization: `Bearer ${rad}` } })).json()).readingCentres[0].id;
    await t.request('/api/consults', { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ readingCentreId: centre, studyIds: [ctStudy.id], clinicalQuestion: 'q', priority: 'routine' }) });
    const visible = (await specialist.searchForStudies()) as Dataset[];
    expect(visible.map((s) => value(s, '0020000D'))).toEqual([ct.study]);
  });
});
