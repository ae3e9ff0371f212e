import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { scanDicom } from '@yunzhen/dicom';

import { readSample, samplesDir, stowBody } from '../testing/dicom-fixtures.js';
import { freePort, startOrthanc, type OrthancServer } from '../testing/orthanc.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { createHospitalKeys } from '../vault/keys.js';
import { createVault } from '../vault/vault.js';
import { createPacsReturn } from './pacs-return.js';

const REAL_NAME = 'CompressedSamples^CT1';
const REAL_ID = '1CT1';

/**
 * The signed report goes back to the sending hospital's PACS — here DCMTK's storescp, a peer
 * nobody here wrote — as an SR and an Encapsulated PDF with the real identity and the original
 * Study Instance UID, checked with dsrdump, dcmdump and dciodvfy.
 */
describe('return of the signed report to the hospital PACS by C-STORE', () => {
  let t: TestApp;
  let tokens: Record<string, string>;
  let consultId: string;
  let originalStudyUid: string;
  let dir: string;
  let pacsPort: number;
  let storescp: ChildProcess | undefined;
  let orthanc: OrthancServer | undefined;
  let clockOffsetMs = 0;
  let pacsReturn: ReturnType<typeof createPacsReturn>;

  const call = (method: string, path: string, who: string, body?: unknown) =>
    t.request(path, {
      method,
      headers: { Authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    dir = mkdtempSync(join(tmpdir(), 'yunzhen-pacs-'));
    pacsPort = await freePort();
    tokens = {};
    for (const email of ['rad@xuhui.demo', 'doctor@xuhui.demo', 'admin@xuhui.demo', 'specialist@scc.demo']) tokens[email] = await t.token(email);
    pacsReturn = createPacsReturn({
      repos: t.repos,
      vault: createVault(createHospitalKeys('test-root-secret-of-at-least-32-characters'), t.repos.vault),
      store: t.store,
      logger: t.logger,
      callingAe: 'YUNZHEN',
      now: () => new Date(Date.now() + clockOffsetMs),
      timeoutMs: 60_000,
    });

    const ct = readSample('modalities/CT_small.dcm');
    const scan = scanDicom(ct);
    if (!scan.ok) throw new Error('sample');
    originalStudyUid = scan.attributes.StudyInstanceUID!;
    const { body, contentType } = stowBody([ct]);
    await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${tokens['rad@xuhui.demo']}`, 'Content-Type': contentType }, body });
    const [study] = (await (await call('GET', '/api/studies?inbox=true', 'rad@xuhui.demo')).json()).studies;
    const centre = (await (await call('GET', '/api/me', 'rad@xuhui.demo')).json()).readingCentres[0].id;
    consultId = (await (await call('POST', '/api/consults', 'rad@xuhui.demo', { readingCentreId: centre, studyIds: [study.id], clinicalQuestion: '肺结节？', priority: 'urgent' })).json()).consult.id;

    const device = await call('POST', '/api/devices', 'admin@xuhui.demo', { name: 'Xuhui PACS', aeTitle: 'XUHUI_PACS', maySend: false, mayReceive: true, host: '127.0.0.1', port: pacsPort });
    expect(device.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    storescp?.kill();
    await orthanc?.stop();
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('queues a delivery when the report is signed, and records a refused connection in words, to retry', async () => {
    expect((await call('POST', `/api/consults/${consultId}/report`, 'specialist@scc.demo', { templateId: 'general', language: 'zh-CN' })).status).toBe(201);
    const values = { technique: { 'zh-CN': '胸部 CT 平扫。' }, findings: { 'zh-CN': '右肺上叶见一实性结节，长径约 6 mm。' }, impression: { 'zh-CN': '右肺上叶小结节，建议随访。' } };
    expect((await call('PUT', `/api/consults/${consultId}/report`, 'specialist@scc.demo', { version: 1, changes: { values } })).status).toBe(200);
    expect((await call('POST', `/api/consults/${consultId}/report/sign`, 'specialist@scc.demo', { version: 2, kind: 'final' })).status).toBe(200);

    // The PACS is not listening yet.
    expect(await pacsReturn.tick()).toBe(1);
    const { deliveries } = await (await call('GET', `/api/consults/${consultId}/pacs-deliveries`, 'doctor@xuhui.demo')).json();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ device: { name: 'Xuhui PACS', aeTitle: 'XUHUI_PACS' }, status: 'pending', attempts: 1, deliveredAt: null });
    expect(deliveries[0].lastError).toMatch(/connection refused/);
    // Not due again until the backoff has passed.
    expect(await pacsReturn.tick()).toBe(0);
    // The reading centre sees no delivery of the hospital's PACS.
    expect((await (await call('GET', `/api/consults/${consultId}/pacs-deliveries`, 'specialist@scc.demo')).json()).deliveries).toEqual([]);
  }, 120_000);

  it('delivers the SR and an Encapsulated PDF with the real identity and the original study UID once the PACS is up', async () => {
    storescp = spawn('storescp', ['-aet', 'XUHUI_PACS', '-od', dir, '+xa', String(pacsPort)], { stdio: 'ignore' });
    // storescp has no readiness signal: wait until its port accepts connections (echoscu succeeds).
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync('echoscu', ['-aet', 'PROBE', '-aec', 'XUHUI_PACS', '127.0.0.1', String(pacsPort)], { stdio: 'ignore' });
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    clockOffsetMs = 2 * 60 * 60 * 1000;
    expect(await pacsReturn.tick()).toBe(1);

    const { deliveries } = await (await call('GET', `/api/consults/${consultId}/pacs-deliveries`, 'doctor@xuhui.demo')).json();
    expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, lastError: null, deliveredAt: expect.any(String) });

    const files = readdirSync(dir);
    const sr = files.find((f) => f.startsWith('SR'));
    const pdf = files.find((f) => f.startsWith('PDF'));
    expect(sr, files.join(',')).toBeDefined();
    expect(pdf, files.join(',')).toBeDefined();

    const srDump = execFileSync('dsrdump', ['+Pn', join(dir, sr!)], { encoding: 'utf8' });
    expect(srDump).toContain('CompressedSamples');
    expect(srDump).toContain('右肺上叶');
    const srTags = execFileSync('dcmdump', ['+P', 'PatientName', '+P', 'PatientID', '+P', 'StudyInstanceUID', join(dir, sr!)], { encoding: 'utf8' });
    expect(srTags).toContain(`[${REAL_NAME}]`);
    expect(srTags).toContain(`[${REAL_ID}]`);
    expect(srTags).toContain(`[${originalStudyUid}]`);

    const pdfTags = execFileSync('dcmdump', ['+P', 'SOPClassUID', '+P', 'PatientName', '+P', 'PatientID', '+P', 'StudyInstanceUID', '+P', 'MIMETypeOfEncapsulatedDocument', join(dir, pdf!)], { encoding: 'utf8' });
    expect(pdfTags).toContain('EncapsulatedPDFStorage');
    expect(pdfTags).toContain(`[${REAL_NAME}]`);
    expect(pdfTags).toContain(`[${REAL_ID}]`);
    expect(pdfTags).toContain(`[${originalStudyUid}]`);
    expect(pdfTags).toContain('[application/pdf]');
    // The document inside is the PDF.
    const extracted = join(dir, 'report.pdf');
    execFileSync('dcm2pdf', [join(dir, pdf!), extracted]);
    expect(execFileSync('head', ['-c', '5', extracted], { encoding: 'latin1' })).toBe('%PDF-');

    // dicom3tools' IOD checker, when installed: no errors in either object.
    for (const file of [sr!, pdf!]) {
      const result = spawnSync('dciodvfy', [join(dir, file)], { encoding: 'utf8' });
      if (result.error) continue; // not installed
      const output = `${result.stdout}${result.stderr}`;
      expect(output, file).toMatch(file.startsWith('PDF') ? /EncapsulatedPDF/ : /EnhancedSR/);
      expect(output.split('\n').filter((l) => /^Error/.test(l)), file).toEqual([]);
    }

    const exports = (await t.repos.audit.list({ eventCode: '110106', limit: 20 })).filter((e) => (e.detail as { purpose?: string }).purpose === 'PACS delivery');
    expect(exports.map((e) => (e.detail as { delivered: boolean }).delivered).sort()).toEqual([false, true]);
    expect(exports.every((e) => e.object_id === consultId && e.user_id === null)).toBe(true);
    for (const line of t.logs) expect(line).not.toContain('CompressedSamples');
  }, 180_000);

  it('files the addendum beside the original study in Orthanc, a PACS from its Debian package', async () => {
    const dicomPort = await freePort();
    orthanc = await startOrthanc({ dicomPort, dicomAet: 'ORTHANC_PACS' });
    if (!orthanc) throw new Error('the Debian orthanc package is missing (the test runner installs it)');
    // The hospital's PACS already holds the original CT, with the real identity.
    execFileSync('storescu', ['-aet', 'XUHUI_CT', '-aec', 'ORTHANC_PACS', '127.0.0.1', String(dicomPort), join(samplesDir, 'modalities/CT_small.dcm')]);
    expect((await call('POST', '/api/devices', 'admin@xuhui.demo', { name: 'Xuhui Orthanc', aeTitle: 'ORTHANC_PACS', maySend: false, mayReceive: true, host: '127.0.0.1', port: dicomPort })).status).toBe(201);

    const addendum = await call('POST', `/api/consults/${consultId}/report/addenda`, 'specialist@scc.demo', { version: 3, text: { 'zh-CN': '补充：请结合既往片对比。' } });
    expect(addendum.status).toBe(200);
    // One delivery of the addendum per receiving PACS: storescp and Orthanc.
    expect(await pacsReturn.tick()).toBe(2);
    const { deliveries } = await (await call('GET', `/api/consults/${consultId}/pacs-deliveries`, 'doctor@xuhui.demo')).json();
    expect(deliveries.filter((d: { status: string }) => d.status === 'delivered').map((d: { device: { aeTitle: string } }) => d.device.aeTitle).sort()).toEqual(['ORTHANC_PACS', 'XUHUI_PACS', 'XUHUI_PACS']);

    // Orthanc files by identity and UIDs: one patient, one study, holding the CT, the SR and the PDF.
    // Orthanc's REST answers, untyped: checked field by field below.
    const orthancJson = async (path: string): Promise<any> => (await fetch(`${orthanc!.url}${path}`)).json();
    const patients: string[] = await orthancJson('/patients');
    expect(patients).toHaveLength(1);
    const studies: { MainDicomTags: { StudyInstanceUID: string }; PatientMainDicomTags: { PatientID: string; PatientName: string } }[] = await orthancJson('/studies?expand');
    expect(studies).toHaveLength(1);
    expect(studies[0]!.MainDicomTags.StudyInstanceUID).toBe(originalStudyUid);
    expect(studies[0]!.PatientMainDicomTags).toMatchObject({ PatientID: REAL_ID, PatientName: REAL_NAME });
    const instances: string[] = await orthancJson('/instances');
    const classes = await Promise.all(instances.map(async (id) => (await orthancJson(`/instances/${id}/simplified-tags`)).SOPClassUID as string));
    expect(classes.sort()).toEqual(['1.2.840.10008.5.1.4.1.1.104.1', '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.88.22']);
  }, 180_000);
});
