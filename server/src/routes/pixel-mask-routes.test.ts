/**
 * Pixel masking by the sending hospital (issue 17): `POST /api/studies/{id}/pixel-review/mask`.
 * Real held images (a multi-frame RLE ultrasound clip with a palette, an RGB ultrasound image,
 * a JPEG baseline YBR secondary capture) are masked through the API; the stored copy is read
 * back from the object store and compared frame by frame with the original it replaced, checked
 * by dciodvfy and dcmdump, and what the reading centre can reach afterwards is probed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findElement, getAsciiString, parseDicom, Tags, type DicomFile } from '@yunzhen/dicom';

import { pixelInfo, renderFrameAsync } from '../dicomweb/pixels.js';
import { readSample, rewriteInstances, stowBody } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

const RAD = 'rad@xuhui.demo';
const OTHER_RAD = 'rad@minhang.demo';
const SPECIALIST = 'specialist@scc.demo';
const DOCTOR = 'doctor@xuhui.demo';

interface Held {
  sample: string;
  studyId: string;
  studyUid: string;
  seriesUid: string;
  instanceId: string;
  sopUid: string;
  objectKey: string;
  original: DicomFile;
  originalBytes: Uint8Array;
}

const boxesFor = (file: DicomFile) => {
  const info = pixelInfo(file)!;
  // A header band across the top and a box touching the bottom-right corner.
  return [
    { x: 0, y: 0, width: info.columns, height: Math.min(12, info.rows) },
    { x: info.columns - 20, y: info.rows - 10, width: 20, height: 10 },
  ];
};

const inside = (boxes: { x: number; y: number; width: number; height: number }[], x: number, y: number) =>
  boxes.some((b) => x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height);

function oracle(command: string, file: string) {
  const result = spawnSync(command, [file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error(`${command} is not installed: apt-get install dicom3tools dcmtk`);
  return { status: result.status ?? -1, out: `${result.stdout}\n${result.stderr}` };
}
const errorLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => /^Error/.test(line))
    .map((line) => line.replace(/^Error - /, ''))
    .sort();

describe('masking burned-in identity before release', () => {
  let t: TestApp;
  const tokens = new Map<string, string>();
  const held = new Map<string, Held>();
  const scratch = mkdtempSync(join(tmpdir(), 'yunzhen-mask-'));

  const request = (who: string, path: string, init: { method?: string; body?: unknown } = {}) =>
    t.request(path, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Bearer ${tokens.get(who)}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const mask = (who: string, h: Held, body: unknown) => request(who, `/api/studies/${h.studyId}/pixel-review/mask`, { method: 'POST', body });
  const storedFile = async (objectKey: string) => {
    const object = await t.store.get(objectKey);
    return object ? new Uint8Array(await new Response(object.body).arrayBuffer()) : undefined;
  };

  const SAMPLES = ['modalities/US-PAL-8-10x-echo', 'modalities/US-RGB-8-esopecho', 'transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm'];

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    for (const who of [RAD, OTHER_RAD, SPECIALIST, DOCTOR]) tokens.set(who, await t.token(who));
    for (const sample of SAMPLES) {
      const { body, contentType } = stowBody(rewriteInstances([readSample(sample)], { freshUids: true }));
      const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${tokens.get(RAD)}`, 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
      expect(response.status, sample).toBe(200);
      const url = new URL((await response.json())['00081199'].Value[0]['00081190'].Value[0]).pathname;
      const [, studyUid, seriesUid, sopUid] = /studies\/([^/]+)\/series\/([^/]+)\/instances\/([^/]+)/.exec(url)!;
      const study = (await t.repos.studies.findStudyByUid(studyUid!))!;
      const instance = (await t.repos.studies.listInstances(study.id)).find((i) => i.sop_instance_uid === sopUid)!;
      expect(instance.pixel_review, sample).toBe('pending');
      const originalBytes = (await storedFile(instance.object_key))!;
      held.set(sample, { sample, studyId: study.id, studyUid: studyUid!, seriesUid: seriesUid!, sopUid: sopUid!, instanceId: instance.id, objectKey: instance.object_key, original: parseDicom(originalBytes), originalBytes });
    }
  }, 120_000);
  afterAll(() => t?.close());

  it('refuses other hospitals (404), specialists and referring doctors (403), boxes outside the image (400)', async () => {
    const h = held.get('modalities/US-RGB-8-esopecho')!;
    const body = { instanceIds: [h.instanceId], boxes: [{ x: 0, y: 0, width: 10, height: 10 }] };
    expect((await mask(OTHER_RAD, h, body)).status).toBe(404);
    expect((await mask(SPECIALIST, h, body)).status).toBe(403);
    expect((await mask(DOCTOR, h, body)).status).toBe(403);
    const outside = await mask(RAD, h, { instanceIds: [h.instanceId], boxes: [{ x: 250, y: 0, width: 10, height: 10 }] });
    expect(outside.status).toBe(400);
    expect((await outside.json()).error.code).toBe('MaskOutOfBounds');
    const tooMany = await mask(RAD, h, { instanceIds: [h.instanceId], boxes: Array.from({ length: 33 }, () => ({ x: 0, y: 0, width: 1, height: 1 })) });
    expect(tooMany.status).toBe(400);
    expect((await mask(RAD, h, { instanceIds: [h.instanceId], boxes: [] })).status).toBe(400);
    // Nothing changed: the image is still held, its object still stored.
    expect((await t.repos.studies.listInstances(h.studyId)).map((i) => [i.id, i.pixel_review])).toEqual([[h.instanceId, 'pending']]);
    expect(await storedFile(h.objectKey)).toBeDefined();
  });

  it('masks a whole series in one request: the same boxes on every image, each a new released instance', async () => {
    const [first, copy] = rewriteInstances([readSample('modalities/US-RGB-8-esopecho'), readSample('modalities/US-RGB-8-esopecho')], { freshUids: true });
    const [second] = rewriteInstances([copy!], { replace: { 0x00080018: `2.25.${BigInt(Date.now()) * 1000n + 7n}`, 0x00200013: '2' } });
    const { body, contentType } = stowBody([first!, second!]);
    const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${tokens.get(RAD)}`, 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
    expect(response.status).toBe(200);
    const url = new URL((await response.json())['00081199'].Value[0]['00081190'].Value[0]).pathname;
    const study = (await t.repos.studies.findStudyByUid(/studies\/([^/]+)\//.exec(url)![1]!))!;
    const before = await t.repos.studies.listInstances(study.id);
    expect(before.map((i) => i.pixel_review)).toEqual(['pending', 'pending']);
    expect(new Set(before.map((i) => i.series_uid)).size).toBe(1);
    const boxes = [{ x: 0, y: 0, width: 256, height: 10 }];
    const masked = await request(RAD, `/api/studies/${study.id}/pixel-review/mask`, { method: 'POST', body: { instanceIds: before.map((i) => i.id), boxes } });
    expect(masked.status).toBe(200);
    const after = await t.repos.studies.listInstances(study.id);
    expect(after.map((i) => i.pixel_review)).toEqual(['released', 'released']);
    expect(after.map((i) => i.instance_number).sort()).toEqual(before.map((i) => i.instance_number).sort());
    expect(after.some((i) => before.some((b) => b.sop_instance_uid === i.sop_instance_uid || b.object_key === i.object_key))).toBe(false);
    for (const old of before) expect(await storedFile(old.object_key)).toBeUndefined();
    for (const row of after) {
      const file = parseDicom((await storedFile(row.object_key))!);
      const pixels = findElement(file.dataset, Tags.PixelData)!;
      expect([...file.dataset.bytes.subarray(pixels.offset, pixels.offset + 256 * 10 * 3)].every((v) => v === 0)).toBe(true);
    }
  });

  describe.each(SAMPLES)('%s', (sample) => {
    let h: Held;
    let masked: DicomFile;
    let maskedBytes: Uint8Array;
    let maskedSop: string;
    let boxes: { x: number; y: number; width: number; height: number }[];

    beforeAll(async () => {
      h = held.get(sample)!;
      boxes = boxesFor(h.original);
      const response = await mask(RAD, h, { instanceIds: [h.instanceId], boxes, frames: 'all' });
      const json = await response.json();
      expect(response.status, JSON.stringify(json)).toBe(200);
      expect(json.masked).toHaveLength(1);
      maskedSop = json.masked[0].sopInstanceUid;
      const row = (await t.repos.studies.listInstances(h.studyId)).find((i) => i.sop_instance_uid === maskedSop)!;
      expect(row.id).toBe(json.masked[0].maskedInstanceId);
      maskedBytes = (await storedFile(row.object_key))!;
      masked = parseDicom(maskedBytes);
    }, 120_000);

    it('fills the boxes black in every frame and leaves every other pixel as it was', async () => {
      const before = pixelInfo(h.original)!;
      const after = pixelInfo(masked)!;
      expect(masked.transferSyntax.uid).toBe('1.2.840.10008.1.2.1');
      expect(after.frames).toBe(before.frames);
      expect([after.rows, after.columns]).toEqual([before.rows, before.columns]);
      const raw = findElement(masked.dataset, Tags.PixelData)!;
      expect(raw.fragments).toBeUndefined();
      const frameLength = after.rows * after.columns * after.samplesPerPixel;
      for (let f = 1; f <= after.frames; f++) {
        const original = await renderFrameAsync(h.original, f);
        const result = await renderFrameAsync(masked, f);
        const stored = masked.dataset.bytes.subarray(raw.offset + (f - 1) * frameLength, raw.offset + f * frameLength);
        let changedOutside = 0;
        let notBlackInside = 0;
        for (let y = 0; y < after.rows; y++) {
          for (let x = 0; x < after.columns; x++) {
            const p = y * after.columns + x;
            const channels = result.channels;
            if (inside(boxes, x, y)) {
              for (let c = 0; c < after.samplesPerPixel; c++) if (stored[p * after.samplesPerPixel + c] !== 0) notBlackInside++;
              for (let c = 0; c < channels; c++) if (result.data[p * channels + c] !== 0) notBlackInside++;
            } else {
              for (let c = 0; c < channels; c++) if (result.data[p * channels + c] !== original.data[p * channels + c]) changedOutside++;
            }
          }
        }
        expect({ frame: f, notBlackInside, changedOutside }).toEqual({ frame: f, notBlackInside: 0, changedOutside: 0 });
      }
    });

    it('is a new instance: fresh SOP Instance UID, Burned In Annotation NO, Clean Pixel Data Option recorded', () => {
      const ds = masked.dataset;
      expect(maskedSop).toMatch(/^2\.25\.\d+$/);
      expect(maskedSop).not.toBe(h.sopUid);
      expect(getAsciiString(ds, Tags.SOPInstanceUID)).toBe(maskedSop);
      expect(masked.meta && getAsciiString(masked.meta, Tags.MediaStorageSOPInstanceUID)).toBe(maskedSop);
      expect(getAsciiString(ds, Tags.BurnedInAnnotation)).toBe('NO');
      expect(getAsciiString(ds, Tags.StudyInstanceUID)).toBe(h.studyUid);
      expect(getAsciiString(ds, Tags.SeriesInstanceUID)).toBe(h.seriesUid);
      const codes = findElement(ds, Tags.DeidentificationMethodCodeSequence)!.items!;
      const values = codes.map((item) => `${getAsciiString(item, Tags.CodingSchemeDesignator)}:${getAsciiString(item, Tags.CodeValue)}`);
      expect(values).toContain('DCM:113101');
      expect(values).toContain('DCM:113100');
      expect(getAsciiString(ds, Tags.DeidentificationMethod)).toContain('Clean Pixel Data Option');
      if (pixelInfo(h.original)!.samplesPerPixel === 3) expect(getAsciiString(ds, Tags.PhotometricInterpretation)).toBe('RGB');
    });

    it('passes dciodvfy without any error the stored original did not have, and dcmdump reads it', () => {
      const maskedPath = join(scratch, `${sample.replaceAll('/', '_')}.masked.dcm`);
      writeFileSync(maskedPath, maskedBytes);
      const dump = oracle('dcmdump', maskedPath);
      expect(dump.status, dump.out).toBe(0);
      expect(dump.out).not.toMatch(/^E: /m);
      // The samples come with their own faults (a retired SOP class, "11:25:01" as a TM, Type 2
      // attributes their source left out); masking must add none.
      const originalPath = join(scratch, `${sample.replaceAll('/', '_')}.stored.dcm`);
      writeFileSync(originalPath, h.originalBytes);
      const before = new Set(errorLines(oracle('dciodvfy', originalPath).out));
      const added = errorLines(oracle('dciodvfy', maskedPath).out).filter((line) => !before.has(line));
      expect(added).toEqual([]);
    });

    it('replaces the original: gone from the index and the object store; the reading centre sees only the masked copy', async () => {
      expect(await storedFile(h.objectKey)).toBeUndefined();
      const rows = await t.repos.studies.listInstances(h.studyId);
      expect(rows.map((r) => [r.sop_instance_uid, r.pixel_review])).toEqual([[maskedSop, 'released']]);
      expect((await t.repos.studies.findInstance(h.sopUid))).toBeUndefined();
      // Masking again answers that the image is no longer held.
      const again = await mask(RAD, h, { instanceIds: [h.instanceId], boxes });
      expect(again.status).toBe(404);

      const me = await (await request(RAD, '/api/me')).json();
      const consult = await request(RAD, '/api/consults', { method: 'POST', body: { readingCentreId: me.readingCentres[0].id, studyIds: [h.studyId], clinicalQuestion: 'masked?', priority: 'routine' } });
      expect(consult.status).toBe(201);
      const listed = await (await t.request(`/dicomweb/studies/${h.studyUid}/instances`, { headers: { Authorization: `Bearer ${tokens.get(SPECIALIST)}`, Accept: 'application/dicom+json' } })).json();
      expect(listed.map((i: Record<string, { Value: string[] }>) => i['00080018']!.Value[0])).toEqual([maskedSop]);
      const base = `/dicomweb/studies/${h.studyUid}/series/${h.seriesUid}/instances`;
      const original = await t.request(`${base}/${h.sopUid}/rendered`, { headers: { Authorization: `Bearer ${tokens.get(SPECIALIST)}`, Accept: 'image/png' } });
      expect(original.status).toBe(404);
      const rendered = await t.request(`${base}/${maskedSop}/rendered`, { headers: { Authorization: `Bearer ${tokens.get(SPECIALIST)}`, Accept: 'image/png' } });
      expect(rendered.status).toBe(200);
    });

    it('is audited: who masked which images with how many boxes, no identity', async () => {
      const events = await t.repos.audit.list({ eventCode: '110104', limit: 200 });
      const event = events.find((e) => (e.detail as { action?: string } | null)?.action === 'pixel-mask' && e.object_id === h.studyId);
      expect(event).toBeDefined();
      const detail = event!.detail as { boxes: number; frames: string; instances: { from: string; to: string }[] };
      expect(detail).toMatchObject({ boxes: boxes.length, frames: 'all', instances: [{ from: h.instanceId }] });
      const radUser = (await (await request(RAD, '/api/me')).json()).user.id;
      expect(event!.user_id).toBe(radUser);
      // Counts and ids only: no patient name, ID or UID in the entry.
      expect(JSON.stringify(event)).not.toMatch(/ANONYMOUS|\^|1\.2\.840|2\.25\./);
    });
  });
});
