import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { consultOfNamedPatient } from '../testing/named-patient-consult.js';
import { scannedTextJpeg, scannedTextPdf, textPdf } from '../testing/pdf-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

interface Box {
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Finding {
  kind: string;
  page: number;
  read: string;
  boxes: Omit<Box, 'page'>[];
}
interface AttachmentView {
  id: string;
  review: string;
  redacted: boolean;
  check: { pages: number; textPages: number; ocrPages: number; findings: Finding[] } | null;
}

/** What the patient is called in the letters below, in every spelling the check must catch. */
const IDENTITY = [/wang/i, /xiaoming/i, /王/, /小明/, /P-?20231107/i, /1980/, /ACC-?998877/i, /斜土路/];

/**
 * A referral letter names the patient. The sending hospital redacts it: the reading centre gets
 * pages as pictures with the identifiers burned out, no text layer, while the sender keeps the
 * original. Checked with tools nobody here wrote: poppler's pdftotext for the text layer.
 */
describe('redacting a document before the reading centre gets it', () => {
  let t: TestApp;
  let rad: string;
  let specialist: string;
  let consultId: string;
  const dir = mkdtempSync(join(tmpdir(), 'redaction-'));

  beforeAll(async () => {
    // OCR on a shared 2-core machine can take tens of seconds a page: the check gets time enough here.
    t = await createTestApp({ db: 'embedded', ocr: true, settings: { documentCheckMs: 180_000 } });
    rad = await t.token('rad@xuhui.demo');
    specialist = await t.token('specialist@scc.demo');
    consultId = await consultOfNamedPatient(t, rad, { 0x00101040: '上海市徐汇区斜土路15号, Room 302' });
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  const get = (path: string, token: string) => t.request(path, { headers: { Authorization: `Bearer ${token}` } });
  const post = (path: string, token: string, body: unknown) =>
    t.request(path, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const attach = async (pdf: Uint8Array, mediaType = 'application/pdf') => {
    const response = await t.request(`/api/consults/${consultId}/attachments?label=referral`, { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': mediaType }, body: pdf });
    expect(response.status).toBe(201);
    return (await response.json()).attachment as AttachmentView;
  };
  const proposed = (a: AttachmentView): Box[] => a.check!.findings.flatMap((f) => f.boxes.map((box) => ({ page: f.page, ...box })));
  const pdftotext = async (bytes: ArrayBuffer, name: string) => {
    const path = join(dir, `${name}.pdf`);
    writeFileSync(path, new Uint8Array(bytes));
    return execFileSync('pdftotext', [path, '-'], { encoding: 'utf8' });
  };
  const pdfPages = (bytes: ArrayBuffer, name: string) => {
    const path = join(dir, `${name}-info.pdf`);
    writeFileSync(path, new Uint8Array(bytes));
    return Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [path], { encoding: 'utf8' }))?.[1]);
  };

  it('proposes boxes over the identifiers in the text layer, and the reading centre’s copy keeps no text of them', async () => {
    const letter = await attach(
      await textPdf(['Referral letter\nDr. Li, Xuhui District Hospital\nPlease assess the nodule.', 'Patient: Wang, Xiaoming (王 小明)\nDate of birth: 03/07/1980\nHospital no. P-20231107\n住址：上海市徐汇区斜土路 15 号\nRight upper lobe nodule, 8 mm.']),
    );
    expect(letter.check!.findings.map((f) => `${f.page}:${f.kind}`).sort()).toEqual(['2:address', '2:birthDate', '2:id', '2:name']);
    const boxes = proposed(letter);
    expect(boxes.every((b) => b.page === 2 && b.width > 0 && b.width < 0.6 && b.height > 0 && b.height < 0.1)).toBe(true);

    // Without a box over the name, nothing is stored: the sender is shown where it still is.
    const withoutName = letter.check!.findings.filter((f) => f.kind !== 'name').flatMap((f) => f.boxes.map((box) => ({ page: f.page, ...box })));
    const partial = await post(`/api/consults/${consultId}/attachments/${letter.id}/redact`, rad, { boxes: withoutName });
    expect(partial.status).toBe(422);
    const refusal = (await partial.json()).error;
    expect(refusal.code).toBe('RedactionIncomplete');
    expect(refusal.remaining.map((f: Finding) => `${f.page}:${f.kind}`)).toContain('2:name');
    expect(refusal.remaining.every((f: Finding) => f.kind === 'name')).toBe(true);
    expect(JSON.stringify(refusal)).not.toMatch(/wang|xiaoming|王|P-20231107/i);
    expect((await get(`/api/consults/${consultId}/attachments/${letter.id}`, specialist)).status).toBe(404);

    const redacted = await post(`/api/consults/${consultId}/attachments/${letter.id}/redact`, rad, { boxes });
    expect(redacted.status).toBe(200);
    expect((await redacted.json()).attachment).toMatchObject({ review: 'released', redacted: true });

    const centreCopy = await (await get(`/api/consults/${consultId}/attachments/${letter.id}`, specialist)).arrayBuffer();
    // No text layer at all: every page is a picture, and the same pages are there.
    expect((await pdftotext(centreCopy, 'centre')).trim()).toBe('');
    expect(pdfPages(centreCopy, 'centre')).toBe(2);
    for (const pattern of IDENTITY) expect(Buffer.from(centreCopy).toString('latin1')).not.toMatch(pattern);
    // The sending hospital keeps the original (and may look at the redacted copy).
    expect(await pdftotext(await (await get(`/api/consults/${consultId}/attachments/${letter.id}`, rad)).arrayBuffer(), 'original')).toMatch(/Xiaoming/);
    expect((await pdftotext(await (await get(`/api/consults/${consultId}/attachments/${letter.id}?copy=redacted`, rad)).arrayBuffer(), 'sender-redacted')).trim()).toBe('');

    const events = await t.repos.audit.list({ limit: 20 });
    expect(events.find((e) => e.object_id === letter.id && e.event_action === 'U')).toMatchObject({ detail: { action: 'redact-attachment', pages: 2, pagesRedacted: 1 } });
  }, 180_000);

  it('shows the sender each page, and nobody else', async () => {
    const letter = await attach(await textPdf(['Name: XIAOMING WANG']));
    const page = await get(`/api/consults/${consultId}/attachments/${letter.id}/pages/1`, rad);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await page.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    expect((await get(`/api/consults/${consultId}/attachments/${letter.id}/pages/2`, rad)).status).toBe(404);
    expect((await get(`/api/consults/${consultId}/attachments/${letter.id}/pages/1`, specialist)).status).toBe(403);
    expect((await post(`/api/consults/${consultId}/attachments/${letter.id}/redact`, specialist, { boxes: [] })).status).toBe(403);
    const outOfPage = await post(`/api/consults/${consultId}/attachments/${letter.id}/redact`, rad, { boxes: [{ page: 1, x: 0.5, y: 0.5, width: 1.5, height: 0.1 }] });
    expect(outOfPage.status).toBe(400);
  });

  it('reads a scanned letter by OCR, proposes boxes there, and no identifier survives in the redacted pages', async () => {
    const scan = await attach(await scannedTextPdf([['Referral letter', 'Please assess the nodule.'], ['Patient: WANG XIAOMING', '患者：王小明', 'Hospital no. P-20231107', 'Nodule 8 mm, right upper lobe']]));
    expect(scan.check).toMatchObject({ pages: 2, textPages: 0, ocrPages: 2 });
    const kinds = scan.check!.findings.map((f) => `${f.page}:${f.kind}:${f.read}`);
    expect(new Set(kinds)).toEqual(new Set(['2:name:ocr', '2:id:ocr']));
    const redacted = await post(`/api/consults/${consultId}/attachments/${scan.id}/redact`, rad, { boxes: proposed(scan) });
    expect(redacted.status).toBe(200);
    // Read back as the reading centre gets it: pdftotext finds no text; OCR (checked on redaction) found no identity.
    const centreCopy = await (await get(`/api/consults/${consultId}/attachments/${scan.id}`, specialist)).arrayBuffer();
    expect((await pdftotext(centreCopy, 'scan-centre')).trim()).toBe('');
    const again = await attach(new Uint8Array(centreCopy));
    expect(again.check).toMatchObject({ pages: 2, ocrPages: 2, findings: [] });
  }, 180_000);

  it('takes a photographed letter (JPEG) as a one-page document, read by OCR, and refuses a picture that is not one', async () => {
    const photo = await attach(await scannedTextJpeg(['Prior report', 'Name: WANG XIAOMING', 'CT chest: no change']), 'image/jpeg');
    expect(photo.check).toMatchObject({ pages: 1, textPages: 0, ocrPages: 1 });
    expect(photo.check!.findings.map((f) => `${f.page}:${f.kind}:${f.read}`)).toEqual(['1:name:ocr']);
    const original = await get(`/api/consults/${consultId}/attachments/${photo.id}`, rad);
    expect(original.headers.get('content-type')).toBe('application/pdf');

    const notAJpeg = await t.request(`/api/consults/${consultId}/attachments?label=referral`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${rad}`, 'Content-Type': 'image/jpeg' },
      body: new TextEncoder().encode('%PDF-1.4 pretending'),
    });
    expect(notAJpeg.status).toBe(422);
    expect((await notAJpeg.json()).error.code).toBe('UnreadableDocument');
    const gif = await t.request(`/api/consults/${consultId}/attachments?label=referral`, { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': 'image/gif' }, body: new Uint8Array(10) });
    expect(gif.status).toBe(415);
  }, 120_000);
});
