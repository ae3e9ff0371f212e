import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { scanDicom } from '@yunzhen/dicom';

import { defaultSettings } from '../app.js';
import { readSample } from '../testing/dicom-fixtures.js';
import { quotedOverlapBomb } from '../testing/hostile-zips.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

const TOTAL_INFLATE_LIMIT = 2 << 20;

describe('zip upload and resume check', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded', settings: { zipLimits: { ...defaultSettings.zipLimits, maxTotalBytes: TOTAL_INFLATE_LIMIT } } });
    token = await t.token('rad@minhang.demo');
  }, 60_000);
  afterAll(() => t.close());

  const upload = (archive: Uint8Array, auth = token) =>
    t.request('/api/uploads', { method: 'POST', headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/zip' }, body: new Blob([archive]) });

  /** Which of these instances (by their original SOP Instance UID) the hospital has stored. */
  const storedOf = async (...instances: Uint8Array[]) => {
    const uids = instances.map((bytes) => {
      const scanned = scanDicom(bytes);
      if (!scanned.ok) throw new Error('sample did not scan');
      return scanned.attributes.SOPInstanceUID!;
    });
    const response = await t.request('/api/uploads/check', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ sopInstanceUids: uids }) });
    const { stored } = (await response.json()) as { stored: string[] };
    return uids.map((uid) => stored.includes(uid));
  };

  it('reports every entry of a mixed zip: stored, duplicate, rejected with a code, ignored', async () => {
    const ct = readSample('modalities/CT_small.dcm');
    const archive = zipSync({
      'exam/1.dcm': ct,
      'exam/copy-of-1.dcm': ct,
      'exam/mr.dcm': readSample('transfer-syntaxes/MR_small.dcm'),
      'exam/truncated.dcm': readSample('broken/MR_truncated.dcm'),
      'exam/notes.txt': new TextEncoder().encode('not dicom'),
      'DICOMDIR': new Uint8Array(10),
      'exam/': new Uint8Array(0),
    });
    const response = await upload(archive);
    expect(response.status).toBe(200);
    const report = await response.json();
    const byName = Object.fromEntries(report.entries.map((e: { name: string; status: string; code?: string }) => [e.name, e.code ? `${e.status}:${e.code}` : e.status]));
    expect(byName).toEqual({
      'exam/1.dcm': 'stored',
      'exam/copy-of-1.dcm': 'duplicate',
      'exam/mr.dcm': 'stored',
      'exam/truncated.dcm': expect.stringMatching(/^rejected:(Truncated|LengthPastEnd)$/),
      'exam/notes.txt': 'rejected:NotDicom',
      DICOMDIR: 'ignored:Dicomdir',
      'exam/': 'ignored:Directory',
    });
    expect(report.summary).toEqual({ stored: 2, duplicate: 1, rejected: 2, ignored: 2 });
    expect(report.studyIds).toHaveLength(2);
  });

  it('answers which original instances are already stored, for resuming', async () => {
    const { scanDicom } = await import('@yunzhen/dicom');
    const scanned = scanDicom(readSample('modalities/CT_small.dcm'));
    if (!scanned.ok) throw new Error('sample did not scan');
    const original = scanned.attributes.SOPInstanceUID!;
    const check = (auth: string) =>
      t.request('/api/uploads/check', { method: 'POST', headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ sopInstanceUids: [original, '1.2.3.4'] }) });
    const answer = await (await check(token)).json();
    expect(answer).toEqual({ stored: [original], studies: { [original]: expect.stringMatching(/^2\.25\.\d+$/) } });
    // The study it is stored under, so the upload page offers exactly that study for a consult.
    const { studies } = await (await t.request('/api/studies', { headers: { Authorization: `Bearer ${token}` } })).json();
    expect(studies.map((s: { studyInstanceUid: string }) => s.studyInstanceUid)).toContain(answer.studies[original]);
    // Another hospital never learns what this one stored.
    expect(await (await check(await t.token('rad@xuhui.demo'))).json()).toEqual({ stored: [], studies: {} });
  });

  it('refuses a body that is not a zip', async () => {
    const response = await t.request('/api/uploads', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/zip' }, body: 'definitely not a zip' });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('InvalidRequest');
  });

  it('refuses an overlapping-entry zip bomb with 400 naming the overlap, before inflating anything', async () => {
    const response = await upload(quotedOverlapBomb(64, 512 << 10));
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error).toEqual({ code: 'InvalidRequest', message: expect.stringMatching(/^OverlappingEntries: entries \d+ and \d+ of the zip archive share bytes/) });
  });

  it('rejects an instance with a flipped pixel byte by its CRC-32 and never stores it', async () => {
    const intact = readSample('modalities/PT_acrin_flt_breast_1.dcm');
    const original = readSample('modalities/dx_image.dcm');
    const archive = zipSync({ 'exam/dx.dcm': [original, { level: 0 }], 'exam/pt.dcm': [intact, { level: 0 }] });
    // The last byte of the DX instance is pixel data; the entry's CRC-32 still describes the original.
    archive[30 + 'exam/dx.dcm'.length + original.length - 1]! ^= 0x10;
    const response = await upload(archive);
    expect(response.status).toBe(200);
    const report = await response.json();
    expect(report.entries).toEqual([
      { index: 0, name: 'exam/dx.dcm', status: 'rejected', code: 'CorruptEntry', message: expect.stringMatching(/CRC-32/) },
      expect.objectContaining({ index: 1, name: 'exam/pt.dcm', status: 'stored' }),
    ]);
    expect(await storedOf(original, intact)).toEqual([false, true]);
  });

  it('refuses an archive over the total inflate budget with 413 before storing any of its entries', async () => {
    const instance = readSample('modalities/XA1_JPLY');
    const filler = new Uint8Array(TOTAL_INFLATE_LIMIT).map((_, i) => (i * 7919) % 251);
    const response = await upload(zipSync({ 'first.dcm': [instance, { level: 0 }], 'filler.bin': [filler, { level: 0 }] }));
    expect(response.status).toBe(413);
    expect((await response.json()).error).toEqual({ code: 'PayloadTooLarge', message: expect.stringMatching(/^archive inflates to \d+ bytes; the limit is 2097152$/) });
    expect(await storedOf(instance)).toEqual([false]);
  });
});
