import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeDicom } from '@yunzhen/dicom';

import { createTextDetector } from '../ocr/detect-text.js';
import { renderTextFrame, type RenderedText } from '../ocr/render-text.js';
import { identityTerms } from '../routes/document-identity.js';
import { randomUid, stowBody } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { approximatelyContains, createPixelScanner, framesToScan, identityKindsIn, templateProposals } from './pixel-scanner.js';

describe('framesToScan', () => {
  it('takes every frame of a short clip and spreads the budget over a long one, first and last included', () => {
    expect(framesToScan(1, 5)).toEqual([1]);
    expect(framesToScan(4, 5)).toEqual([1, 2, 3, 4]);
    expect(framesToScan(100, 5)).toEqual([1, 26, 51, 75, 100]);
    expect(framesToScan(100, 1)).toEqual([1]);
  });
});

describe('identityKindsIn', () => {
  const terms = identityTerms([{ patient: { name: 'ZHANG^SAN=张^三', id: 'P20231187', birthDate: '19750314', issuer: '', sex: '' }, accessionNumber: 'ACC1187' }]);

  it('matches identifiers whatever the spacing, case and punctuation OCR read', () => {
    expect(identityKindsIn('Zhang San', terms)).toEqual(['name']);
    expect(identityKindsIn('患者：张三', terms)).toEqual(['name']);
    expect(identityKindsIn('ID: P2023-1187  1975.03.14', terms).sort()).toEqual(['birthDate', 'id']);
  });

  it('forgives one misread character in a long identifier, none in a short one', () => {
    expect(identityKindsIn('ZHANGASAN', terms)).toEqual(['name']);
    expect(identityKindsIn('P2O231187', terms)).toEqual(['id']);
    expect(identityKindsIn('张王', terms)).toEqual([]);
    expect(identityKindsIn('LIVER 12.3 cm', terms)).toEqual([]);
  });

  it('approximatelyContains counts edits against the best place in the haystack', () => {
    expect(approximatelyContains('xxabcdefxx', 'abcdef', 0)).toBe(true);
    expect(approximatelyContains('xxabXdefxx', 'abcdef', 1)).toBe(true);
    expect(approximatelyContains('xxabXdXfxx', 'abcdef', 1)).toBe(false);
  });
});

describe('templateProposals', () => {
  it('proposes the ultrasound header band, and nothing for modalities without a template', () => {
    expect(templateProposals('US', 480, 640)).toEqual([{ x: 0, y: 0, width: 640, height: 38, source: 'template', identity: [], frames: [] }]);
    expect(templateProposals('CT', 512, 512)).toEqual([]);
  });
});

/** An 8-bit single-frame image of `modality` whose pixels are the rendered frame. */
async function image(modality: string, series: { study: string; series: string }, instanceNumber: number, lines: RenderedText[], burnedIn?: 'NO') {
  const frame = await renderTextFrame(320, 240, lines);
  return writeDicom({
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    dataset: [
      // MR Image Storage for MR (no header flag); Secondary Capture otherwise.
      { tag: 0x00080016, vr: 'UI', value: modality === 'MR' ? '1.2.840.10008.5.1.4.1.1.4' : '1.2.840.10008.5.1.4.1.1.7' },
      { tag: 0x00080018, vr: 'UI', value: randomUid() },
      { tag: 0x00080060, vr: 'CS', value: modality },
      { tag: 0x00100010, vr: 'PN', value: 'ZHAO^LEI' },
      { tag: 0x00100020, vr: 'LO', value: 'Z-55501' },
      { tag: 0x0020000d, vr: 'UI', value: series.study },
      { tag: 0x0020000e, vr: 'UI', value: series.series },
      { tag: 0x00200013, vr: 'IS', value: instanceNumber },
      { tag: 0x00280002, vr: 'US', value: 1 },
      { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
      { tag: 0x00280010, vr: 'US', value: 240 },
      { tag: 0x00280011, vr: 'US', value: 320 },
      { tag: 0x00280100, vr: 'US', value: 8 },
      { tag: 0x00280101, vr: 'US', value: 8 },
      { tag: 0x00280102, vr: 'US', value: 7 },
      { tag: 0x00280103, vr: 'US', value: 0 },
      ...(burnedIn ? [{ tag: 0x00280301, vr: 'CS' as const, value: burnedIn }] : []),
      { tag: 0x7fe00010, vr: 'OB', bytes: frame.data },
    ],
  });
}

describe('the pixel scan job', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded', pixelScan: true });
    token = await t.token('rad@xuhui.demo');
  }, 120_000);
  afterAll(() => t?.close());

  const stow = async (instances: Uint8Array[]) => {
    const { body, contentType } = stowBody(instances);
    const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
    expect(response.status).toBe(200);
  };
  it('samples a series of another modality (its first three images wait for the scan, the rest are readable at once) and releases what has no text', async () => {
    const uids = { study: randomUid(), series: randomUid() };
    await stow(await Promise.all([1, 2, 3, 4, 5].map((n) => image('MR', uids, n, []))));
    const studyRow = (await t.db.kysely.selectFrom('instance').innerJoin('series', 'series.id', 'instance.series_id').select('instance.study_id').where('series.modality', '=', 'MR').executeTakeFirstOrThrow()).study_id;
    const before = await t.repos.studies.listInstances(studyRow);
    expect(before.map((i) => i.pixel_review).sort()).toEqual(['none', 'none', 'scanning', 'scanning', 'scanning']);

    // Sent for a consult meanwhile: the reading centre has the two readable images and is told three more are coming.
    const me = (await (await t.request('/api/me', { headers: { Authorization: `Bearer ${token}` } })).json()) as { readingCentres: { id: string }[] };
    const opened = await t.request('/api/consults', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ readingCentreId: me.readingCentres[0]!.id, studyIds: [studyRow], clinicalQuestion: 'Sampled MR', priority: 'routine' }) });
    expect(opened.status, await opened.clone().text()).toBe(201);
    const consultId = ((await opened.json()) as { consult: { id: string } }).consult.id;
    const specialist = await t.token('specialist@scc.demo');
    const asReader = async () => ((await (await t.request(`/api/consults/${consultId}`, { headers: { Authorization: `Bearer ${specialist}` } })).json()) as { consult: { studies: { imageCount: number; withheldCount?: number; scanningCount?: number }[] } }).consult.studies[0]!;
    expect(await asReader()).toMatchObject({ imageCount: 2, withheldCount: 3 });
    expect((await asReader()).scanningCount).toBeUndefined();

    expect(await t.scanPixels()).toBe(3);
    const after = await t.repos.studies.listInstances(studyRow);
    expect(after.map((i) => i.pixel_review)).toEqual(['none', 'none', 'none', 'none', 'none']);
    expect(await asReader()).toMatchObject({ imageCount: 5, withheldCount: 0 });
  });

  it('holds an image whose header says no burned-in text when the OCR reads some, with the reason and the boxes', async () => {
    const uids = { study: randomUid(), series: randomUid() };
    await stow([await image('OT', uids, 1, [{ text: 'ZHAO LEI Z-55501', x: 20, y: 220, sizePx: 18, grey: 255 }], 'NO')]);
    const studyId = (await t.db.kysely.selectFrom('instance').innerJoin('series', 'series.id', 'instance.series_id').select('instance.study_id').where('series.modality', '=', 'OT').executeTakeFirstOrThrow()).study_id;
    expect((await t.repos.studies.listInstances(studyId))[0]!.pixel_review).toBe('scanning');
    expect(await t.scanPixels()).toBe(1);
    const [row] = await t.repos.studies.listInstances(studyId);
    expect([row!.pixel_review, row!.pixel_review_reasons]).toEqual(['pending', ['TextInPixels']]);
    const proposals = (await t.repos.pixelScans.proposalsOfStudy(studyId)).get(row!.id)!.proposals;
    expect(proposals).toHaveLength(1);
    expect(proposals[0]).toMatchObject({ source: 'ocr', frames: [1] });
    expect(proposals[0]!.identity.sort()).toEqual(['id', 'name']);
    expect(proposals[0]!.y).toBeGreaterThan(190);
  });

  it('scans each image once when two replicas run the job at the same moment', async () => {
    const uids = { study: randomUid(), series: randomUid() };
    await stow(await Promise.all([1, 2, 3, 4].map((n) => image('RF', uids, n, [{ text: `RUN ${n}`, x: 20, y: 40, sizePx: 18, grey: 255 }], 'NO'))));
    const shared = createTextDetector();
    let frames = 0;
    const counting = { ...shared, detectText: (...args: Parameters<typeof shared.detectText>) => (frames++, shared.detectText(...args)) };
    try {
      const replicas = [0, 1].map(() => createPixelScanner({ repos: t.repos, store: t.store, vault: t.vault, detector: counting, now: () => new Date() }));
      const scanned = await Promise.all(replicas.map((replica) => replica.tick()));
      expect(scanned[0]! + scanned[1]!).toBe(4);
      expect(frames).toBe(4);
    } finally {
      await shared.close();
    }
    const studyId = (await t.db.kysely.selectFrom('instance').innerJoin('series', 'series.id', 'instance.series_id').select('instance.study_id').where('series.modality', '=', 'RF').executeTakeFirstOrThrow()).study_id;
    expect((await t.repos.studies.listInstances(studyId)).map((i) => i.pixel_review)).toEqual(['pending', 'pending', 'pending', 'pending']);
  });

  it('holds an image it could not scan once its attempts are used up, never releasing it unread', async () => {
    const uids = { study: randomUid(), series: randomUid() };
    await stow([await image('XA', uids, 1, [{ text: 'ZHAO LEI', x: 20, y: 40, sizePx: 18, grey: 255 }], 'NO')]);
    const studyId = (await t.db.kysely.selectFrom('instance').innerJoin('series', 'series.id', 'instance.series_id').select('instance.study_id').where('series.modality', '=', 'XA').executeTakeFirstOrThrow()).study_id;
    const slow = createTextDetector({ budgetMs: 1 });
    let clock = Date.now();
    const scanner = createPixelScanner({ repos: t.repos, store: t.store, vault: t.vault, detector: slow, now: () => new Date(clock) });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        expect(await scanner.tick()).toBe(1);
        clock += 10 * 60 * 1000;
      }
      expect(await scanner.tick()).toBe(0);
    } finally {
      await slow.close();
    }
    const [row] = await t.repos.studies.listInstances(studyId);
    expect([row!.pixel_review, row!.pixel_review_reasons]).toEqual(['pending', ['PixelScanFailed']]);
    const scan = await t.db.kysely.selectFrom('pixel_scan').select(['status', 'attempts', 'error']).where('instance_id', '=', row!.id).executeTakeFirstOrThrow();
    expect(scan).toEqual({ status: 'failed', attempts: 3, error: 'OcrTimeout' });
  });
});
