/**
 * Burned-in identity found by OCR at ingest and masked through the API (issue 17), measured on a
 * corpus the test makes (testing/burned-in-corpus.ts): 24 ultrasound instances with the
 * patient's name, ID and birth date in Latin and Chinese script, at 13–28 px, at the top, bottom
 * and right, at full and half contrast, single- and multi-frame, in five transfer syntaxes. Half
 * of them say Burned In Annotation NO, so only the OCR can hold them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseDicom } from '@yunzhen/dicom';
import type { PixelTextProposal } from '@yunzhen/db';

import { pixelInfo, renderFrameAsync } from '../dicomweb/pixels.js';
import { createTextDetector } from '../ocr/detect-text.js';
import { identityTerms } from '../routes/document-identity.js';
import { buildCorpusInstance, corpusCases, coverage, type CorpusInstance } from '../testing/burned-in-corpus.js';
import { stowBody } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { identityKindsIn } from './pixel-scanner.js';

const RAD = 'rad@xuhui.demo';
const SPECIALIST = 'specialist@scc.demo';

interface Stored {
  instance: CorpusInstance;
  studyId: string;
  studyUid: string;
  instanceId: string;
}

describe('burned-in identity: found by OCR at ingest, masked through the API', () => {
  let t: TestApp;
  const tokens = new Map<string, string>();
  const stored: Stored[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'yunzhen-burned-in-'));
  const detector = createTextDetector();

  const api = (who: string, path: string, init: { method?: string; body?: unknown } = {}) =>
    t.request(path, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Bearer ${tokens.get(who)}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const storedBytes = async (objectKey: string) => new Uint8Array(await new Response((await t.store.get(objectKey))!.body).arrayBuffer());
  const instancesOf = async (studyId: string) => (await (await api(RAD, `/api/studies/${studyId}`)).json()).instances as { id: string; sopInstanceUid: string; pixelReview: string; pixelReviewReasons: string[]; pixelScan: string | null; textProposals: PixelTextProposal[] }[];

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded', pixelScan: true });
    for (const who of [RAD, SPECIALIST]) tokens.set(who, await t.token(who));
    for (const c of corpusCases()) {
      const instance = await buildCorpusInstance(c);
      const { body, contentType } = stowBody([instance.bytes]);
      const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${tokens.get(RAD)}`, 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
      expect(response.status, c.label).toBe(200);
      const url = new URL((await response.json())['00081199'].Value[0]['00081190'].Value[0]).pathname;
      const studyUid = /studies\/([^/]+)\//.exec(url)![1]!;
      const study = (await t.repos.studies.findStudyByUid(studyUid))!;
      const [row] = await t.repos.studies.listInstances(study.id);
      stored.push({ instance, studyId: study.id, studyUid, instanceId: row!.id });
    }
  }, 300_000);
  afterAll(async () => {
    await detector.close();
    await t?.close();
  });

  it('keeps every image from the reading centre until its scan is done: header-flagged ones held, the others scanning', async () => {
    for (const s of stored) {
      const [row] = await t.repos.studies.listInstances(s.studyId);
      expect(row!.pixel_review, s.instance.case.label).toBe(s.instance.case.headerSaysNo ? 'scanning' : 'pending');
    }
    // Sent to the reading centre while scanning: the specialist sees no instance of it.
    const scanning = stored.find((s) => s.instance.case.headerSaysNo)!;
    const me = await (await api(RAD, '/api/me')).json();
    const consult = await api(RAD, '/api/consults', { method: 'POST', body: { readingCentreId: me.readingCentres[0].id, studyIds: [scanning.studyId], clinicalQuestion: 'scan?', priority: 'routine' } });
    expect(consult.status).toBe(201);
    const listed = await t.request(`/dicomweb/studies/${scanning.studyUid}/instances`, { headers: { Authorization: `Bearer ${tokens.get(SPECIALIST)}`, Accept: 'application/dicom+json' } });
    expect(listed.status === 204 || listed.status === 404 || (listed.status === 200 && (await listed.json()).length === 0), String(listed.status)).toBe(true);
  });

  it('finds ≥ 95 % of the burned-in identity text, holds every image with text, and marks what names the patient', async () => {
    let scanned = 0;
    for (let pass = 0; pass < 10 && scanned < stored.length; pass++) scanned += await t.scanPixels();
    expect(scanned).toBe(stored.length);

    let found = 0;
    let marked = 0;
    let total = 0;
    const misses: string[] = [];
    for (const s of stored) {
      const [instance] = await instancesOf(s.studyId);
      expect(instance!.pixelScan, s.instance.case.label).toBe('done');
      expect(instance!.pixelReview, s.instance.case.label).toBe('pending');
      if (s.instance.case.headerSaysNo) expect(instance!.pixelReviewReasons).toEqual(['TextInPixels']);
      const ocrBoxes = instance!.textProposals.filter((p) => p.source === 'ocr');
      for (const text of s.instance.texts) {
        total++;
        const covering = ocrBoxes.filter((p) => coverage(text.box, [p]) > 0);
        if (coverage(text.box, ocrBoxes) >= 0.9) found++;
        else misses.push(`${s.instance.case.label}: ${text.kind}`);
        if (covering.some((p) => p.identity.includes(text.kind))) marked++;
      }
      // The ultrasound header band is proposed too, from the template.
      expect(instance!.textProposals.some((p) => p.source === 'template' && p.y === 0)).toBe(true);
    }
    const recall = found / total;
    console.log(`burned-in identity text: found ${found}/${total} (${(recall * 100).toFixed(1)} %), marked as identity ${marked}/${total}; missed: ${misses.join('; ') || 'none'}`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(marked / total).toBeGreaterThanOrEqual(0.8);
  }, 900_000);

  it('after masking the proposed boxes through the API, no identity string is recoverable by OCR from any stored frame, and dciodvfy finds no error', async () => {
    for (const s of stored) {
      const [instance] = await instancesOf(s.studyId);
      const boxes = instance!.textProposals.slice(0, 32).map(({ x, y, width, height }) => ({ x, y, width, height }));
      const response = await api(RAD, `/api/studies/${s.studyId}/pixel-review/mask`, { method: 'POST', body: { instanceIds: [s.instanceId], boxes, frames: 'all' } });
      expect(response.status, s.instance.case.label).toBe(200);
    }
    const leaks: string[] = [];
    for (const s of stored) {
      const [row] = await t.repos.studies.listInstances(s.studyId);
      expect(row!.pixel_review).toBe('released');
      const bytes = await storedBytes(row!.object_key);
      const file = parseDicom(bytes);
      const terms = identityTerms([{ patient: { name: s.instance.case.patient.name, id: s.instance.case.patient.id, birthDate: s.instance.case.patient.birthDate, issuer: '', sex: '' } }]);
      for (let frame = 1; frame <= pixelInfo(file)!.frames; frame++) {
        const lines = await detector.detectText(await renderFrameAsync(file, frame));
        const kinds = identityKindsIn(lines.map((l) => l.text).join(' '), terms);
        if (kinds.length) leaks.push(`${s.instance.case.label} frame ${frame}: ${kinds.join(', ')}`);
      }
      const path = join(scratch, `${row!.id}.dcm`);
      writeFileSync(path, bytes);
      const check = spawnSync('dciodvfy', [path], { encoding: 'utf8' });
      const errors = `${check.stdout}\n${check.stderr}`.split('\n').filter((line) => line.startsWith('Error'));
      expect(errors, s.instance.case.label).toEqual([]);
    }
    expect(leaks).toEqual([]);
  }, 900_000);
});
