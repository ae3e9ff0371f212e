import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, rewriteInstances } from '../testing/dicom-fixtures.js';
import { stowInstances } from '../testing/seed-consult.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

/**
 * The international pre-arrival consult: a coordinator sends a foreign patient's CT with the
 * patient's language and arrival date; the reading centre must report in Chinese and English,
 * both complete, before signing; the coordinator gets a summary for the patient in English.
 */
describe('pre-arrival consult of an international patient', () => {
  let t: TestApp;
  let tokens: Record<string, string>;
  let consultId: string;
  let dir: string;

  const call = async (who: string, method: string, path: string, body?: unknown) =>
    t.request(path, { method, headers: { Authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    dir = mkdtempSync(join(tmpdir(), 'yunzhen-pre-arrival-'));
    tokens = {};
    for (const who of ['coordinator@intl.demo', 'specialist@scc.demo', 'rad@xuhui.demo']) tokens[who] = await t.token(who);
    const base = await t.listen();
    // CT_small: patient "CompressedSamples^CT1", stored by the international department.
    await stowInstances(base, tokens['coordinator@intl.demo']!, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets the coordinator send a pre-arrival consult with the patient’s language and arrival date', async () => {
    const [study] = (await (await call('coordinator@intl.demo', 'GET', '/api/studies?inbox=true')).json()).studies;
    const { readingCentres } = await (await call('coordinator@intl.demo', 'GET', '/api/me')).json();
    const send = (arrivalDate: string) =>
      call('coordinator@intl.demo', 'POST', '/api/consults', {
        readingCentreId: readingCentres[0].id,
        studyIds: [study.id],
        clinicalQuestion: 'Lung nodule before surgery abroad?',
        priority: 'urgent',
        preArrival: { patientLanguage: 'en', arrivalDate },
      });
    expect((await send('20 January')).status).toBe(400);
    const created = await send('2027-01-20');
    expect(created.status).toBe(201);
    const { consult } = await created.json();
    expect(consult.preArrival).toEqual({ patientLanguage: 'en', arrivalDate: '2027-01-20' });
    consultId = consult.id;
    // The reading centre sees that it is a pre-arrival consult too.
    expect((await (await call('specialist@scc.demo', 'GET', `/api/consults/${consultId}`)).json()).consult.preArrival).toEqual({ patientLanguage: 'en', arrivalDate: '2027-01-20' });
  }, 60_000);

  it('accepts only a report in Chinese and English, and signs it only when both are complete', async () => {
    const zhOnly = await call('specialist@scc.demo', 'POST', `/api/consults/${consultId}/report`, { templateId: 'general', language: 'zh-CN' });
    expect(zhOnly.status).toBe(422);
    expect((await zhOnly.json()).error.code).toBe('BilingualRequired');
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${consultId}/report`, { templateId: 'general', language: 'both' })).status).toBe(201);

    // Switching the draft to one language is refused as well.
    const narrowed = await call('specialist@scc.demo', 'PUT', `/api/consults/${consultId}/report`, { version: 1, changes: { language: 'zh-CN' } });
    expect(narrowed.status).toBe(422);

    const chineseOnly = { technique: { 'zh-CN': '胸部 CT 平扫。' }, findings: { 'zh-CN': '右肺上叶见一实性结节，长径约 6 mm。' }, impression: { 'zh-CN': '右肺上叶小结节，建议随访。' } };
    expect((await call('specialist@scc.demo', 'PUT', `/api/consults/${consultId}/report`, { version: 1, changes: { values: chineseOnly } })).status).toBe(200);
    const incomplete = await call('specialist@scc.demo', 'POST', `/api/consults/${consultId}/report/sign`, { version: 2, kind: 'final' });
    expect(incomplete.status).toBe(422);
    expect((await incomplete.json()).error.code).toBe('ReportIncomplete');

    const both = {
      technique: { 'zh-CN': '胸部 CT 平扫。', en: 'Non-contrast chest CT.' },
      findings: { 'zh-CN': '右肺上叶见一实性结节，长径约 6 mm。', en: 'A solid 6 mm nodule in the right upper lobe.' },
      impression: { 'zh-CN': '右肺上叶小结节，建议随访。', en: 'Small right upper lobe nodule; a follow-up CT is advised.' },
    };
    expect((await call('specialist@scc.demo', 'PUT', `/api/consults/${consultId}/report`, { version: 2, changes: { values: both } })).status).toBe(200);
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${consultId}/report/sign`, { version: 3, kind: 'final' })).status).toBe(200);
  }, 60_000);

  it('gives the coordinator a summary for the patient in English with the real name, and nobody else', async () => {
    const response = await call('coordinator@intl.demo', 'GET', `/api/consults/${consultId}/report/patient-summary.pdf`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const path = join(dir, 'summary.pdf');
    writeFileSync(path, new Uint8Array(await response.arrayBuffer()));
    // poppler's pdftotext: an oracle nobody here wrote.
    const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
    expect(text).toContain('Summary of your imaging consultation');
    expect(text).toContain('CompressedSamples');
    expect(text).toMatch(/follow-up CT is\s+advised/);
    expect(text).not.toContain('右肺上叶');
    expect(text).not.toContain('Non-contrast'); // the technique is for the doctors

    const chinese = await call('coordinator@intl.demo', 'GET', `/api/consults/${consultId}/report/patient-summary.pdf?lang=zh-CN`);
    expect(chinese.status).toBe(200);
    expect((await call('specialist@scc.demo', 'GET', `/api/consults/${consultId}/report/patient-summary.pdf`)).status).toBe(404);
    expect((await call('rad@xuhui.demo', 'GET', `/api/consults/${consultId}/report/patient-summary.pdf`)).status).toBe(404);
  }, 60_000);
});
