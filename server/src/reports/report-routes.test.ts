import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { scanDicom } from '@yunzhen/dicom';

import { readSample, stowBody } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { createVault } from '../vault/vault.js';
import { createHospitalKeys } from '../vault/keys.js';
import { createWebhookDispatcher } from './webhooks.js';

const REAL_NAME = 'CompressedSamples^CT1';

describe('structured report: write, sign, amend, and return to the sender', () => {
  let t: TestApp;
  let tokens: Record<string, string>;
  let consultId: string;
  let originalStudyUid: string;
  let dir: string;
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  let receiver: Server;
  let receiverUrl: string;

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    dir = mkdtempSync(join(tmpdir(), 'yunzhen-report-'));
    tokens = {};
    for (const email of ['rad@xuhui.demo', 'doctor@xuhui.demo', 'admin@xuhui.demo', 'specialist@scc.demo', 'doctor@minhang.demo']) tokens[email] = await t.token(email);
    const ct = readSample('modalities/CT_small.dcm');
    const scan = scanDicom(ct);
    if (!scan.ok) throw new Error('sample');
    originalStudyUid = scan.attributes.StudyInstanceUID!;
    const { body, contentType } = stowBody([ct]);
    await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${tokens['rad@xuhui.demo']}`, 'Content-Type': contentType }, body });
    const [study] = (await (await call('GET', '/api/studies?inbox=true', 'rad@xuhui.demo')).json()).studies;
    const centre = (await (await call('GET', '/api/me', 'rad@xuhui.demo')).json()).readingCentres[0].id;
    consultId = (await (await call('POST', '/api/consults', 'rad@xuhui.demo', { readingCentreId: centre, studyIds: [study.id], clinicalQuestion: '肺结节？', priority: 'urgent' })).json()).consult.id;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = received.length === 1 ? 500 : 204; // the first delivery fails, the retry succeeds
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  }, 60_000);
  afterAll(async () => {
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  function call(method: string, path: string, who: string, body?: unknown) {
    return t.request(path, {
      method,
      headers: { Authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  const values = {
    technique: { 'zh-CN': '胸部 CT 平扫。' },
    findings: { 'zh-CN': '右肺上叶见一实性结节，长径约 6 mm。' },
    impression: { 'zh-CN': '右肺上叶小结节，建议随访。' },
  };

  it('creates a draft that only the reading centre sees', async () => {
    const created = await call('POST', `/api/consults/${consultId}/report`, 'specialist@scc.demo', { templateId: 'general', language: 'zh-CN' });
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(body.report).toMatchObject({ status: 'draft', version: 1, template: { id: 'general' } });
    expect(body.context.patient.name).toMatch(/^ANONYMOUS\^YZ/);
    expect(await (await call('GET', `/api/consults/${consultId}/report`, 'doctor@xuhui.demo')).json()).toEqual({ report: null });
    expect((await call('POST', `/api/consults/${consultId}/report`, 'specialist@scc.demo', { templateId: 'general', language: 'zh-CN' })).status).toBe(409);
  });

  it('saves drafts with optimistic concurrency: two saves of one version give one 409', async () => {
    const saves = await Promise.all([1, 1].map(() => call('PUT', `/api/consults/${consultId}/report`, 'specialist@scc.demo', { version: 1, changes: { values: { technique: values.technique } } })));
    expect(saves.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await saves.find((r) => r.status === 409)!.json()).error.code).toBe('Conflict');
  });

  it('refuses to sign an incomplete report, then signs it final', async () => {
    const incomplete = await call('POST', `/api/consults/${consultId}/report/sign`, 'specialist@scc.demo', { version: 2, kind: 'final' });
    expect(incomplete.status).toBe(422);
    expect((await incomplete.json()).error.code).toBe('ReportIncomplete');
    expect((await call('PUT', `/api/consults/${consultId}/report`, 'specialist@scc.demo', { version: 2, changes: { values } })).status).toBe(200);
    expect((await call('POST', `/api/consults/${consultId}/report/sign`, 'rad@xuhui.demo', { version: 3, kind: 'final' })).status).toBe(403);
    const signed = await call('POST', `/api/consults/${consultId}/report/sign`, 'specialist@scc.demo', { version: 3, kind: 'final' });
    expect(signed.status).toBe(200);
    const body = await signed.json();
    expect(body.srStored).toBe(true);
    expect(body.report).toMatchObject({ status: 'final', signatures: [{ kind: 'final', signer: { displayName: 'Dr. Chen Wei (specialist)' }, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
    const consult = (await (await call('GET', `/api/consults/${consultId}`, 'doctor@xuhui.demo')).json()).consult;
    expect(consult).toMatchObject({ status: 'reported', reportStatus: 'final', turnaround: { signedAt: expect.any(String) } });
  });

  it('keeps a signed report immutable; changes come as signed addenda with a readable history', async () => {
    const edit = await call('PUT', `/api/consults/${consultId}/report`, 'specialist@scc.demo', { version: 4, changes: { values } });
    expect(edit.status).toBe(409);
    expect((await edit.json()).error.code).toBe('ReportLocked');
    expect((await call('POST', `/api/consults/${consultId}/report/sign`, 'specialist@scc.demo', { version: 4, kind: 'final' })).status).toBe(409);
    const addendum = await call('POST', `/api/consults/${consultId}/report/addenda`, 'specialist@scc.demo', { version: 4, text: { 'zh-CN': '补充：请结合既往片对比。' } });
    expect(addendum.status).toBe(200);
    expect((await addendum.json()).report).toMatchObject({ status: 'amended', addenda: [{ signer: { displayName: 'Dr. Chen Wei (specialist)' } }] });
    const history = (await (await call('GET', `/api/consults/${consultId}/report/history`, 'specialist@scc.demo')).json()).versions;
    expect(history.map((v: { event: string }) => v.event)).toEqual(['create', 'save', 'save', 'sign-final', 'addendum']);
    const senderHistory = (await (await call('GET', `/api/consults/${consultId}/report/history`, 'doctor@xuhui.demo')).json()).versions;
    expect(senderHistory.map((v: { status: string }) => v.status)).toEqual(['final', 'amended']);
  });

  it('stores the signed report as an SR in the same study, visible over QIDO', async () => {
    const { report } = await (await call('GET', `/api/consults/${consultId}/report`, 'specialist@scc.demo')).json();
    const series = await (await call('GET', `/dicomweb/studies/${report.study.studyInstanceUid}/series`, 'specialist@scc.demo')).json();
    expect(series.map((s: Record<string, { Value?: string[] }>) => s['00080060']!.Value![0]).sort()).toEqual(['CT', 'SR']);
  });

  it('gives the sending hospital the re-identified report and outputs, audited', async () => {
    const view = await (await call('GET', `/api/consults/${consultId}/report`, 'doctor@xuhui.demo')).json();
    expect(view.context.patient.name).toBe(REAL_NAME);
    expect(view.context.study.studyInstanceUid).toBe(originalStudyUid);

    const sr = new Uint8Array(await (await call('GET', `/api/consults/${consultId}/report/sr`, 'doctor@xuhui.demo')).arrayBuffer());
    writeFileSync(join(dir, 'sender.dcm'), sr);
    const dump = execFileSync('dcmdump', ['+P', '0010,0010', '+P', '0020,000d', join(dir, 'sender.dcm')], { encoding: 'utf8' });
    expect(dump).toContain(REAL_NAME);
    expect(dump).toContain(originalStudyUid);

    const readerSr = new Uint8Array(await (await call('GET', `/api/consults/${consultId}/report/sr`, 'specialist@scc.demo')).arrayBuffer());
    expect(Buffer.from(readerSr).includes(REAL_NAME)).toBe(false);
    expect(Buffer.from(readerSr).includes(originalStudyUid)).toBe(false);

    const fhir = await (await call('GET', `/api/consults/${consultId}/report/fhir`, 'doctor@xuhui.demo')).json();
    expect(fhir.resourceType).toBe('Bundle');
    expect(JSON.stringify(fhir)).toContain('CompressedSamples');
    // The name in parts, and the report itself as the PDF the sender downloads.
    const resources = fhir.entry.map((e: { resource: Record<string, unknown> }) => e.resource);
    const patient = resources.find((r: { resourceType: string }) => r.resourceType === 'Patient');
    expect(patient.name).toEqual([{ use: 'official', text: 'CompressedSamples CT1', family: 'CompressedSamples', given: ['CT1'] }]);
    const [form] = resources.find((r: { resourceType: string }) => r.resourceType === 'DiagnosticReport').presentedForm;
    expect(form.contentType).toBe('application/pdf');
    expect(Buffer.from(form.data, 'base64').subarray(0, 5).toString()).toBe('%PDF-');

    const pdf = await call('GET', `/api/consults/${consultId}/report/pdf`, 'doctor@xuhui.demo');
    expect(pdf.headers.get('Content-Type')).toBe('application/pdf');
    writeFileSync(join(dir, 'report.pdf'), new Uint8Array(await pdf.arrayBuffer()));
    const text = execFileSync('pdftotext', [join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain('右肺上叶');
    // The name as people read it; the centre and the hospital once each; who asked for the reading.
    expect(text).toContain('CompressedSamples CT1');
    expect(text).not.toContain(REAL_NAME);
    expect(text.split('Shanghai Cancer Center (demo)').length - 1).toBe(1);
    expect(text.split('Xuhui District Hospital (demo)').length - 1).toBe(1);
    expect(text).toContain('Li Na (radiographer)');

    const [exported] = await t.repos.audit.list({ eventCode: '110106', limit: 1 });
    expect(exported).toMatchObject({ event_action: 'R', detail: { format: 'pdf', audience: 'sender' } });
  });

  it('answers another hospital 404 for the report and its outputs', async () => {
    for (const path of ['report', 'report/pdf', 'report/fhir', 'report/sr', 'report/history']) {
      expect((await call('GET', `/api/consults/${consultId}/${path}`, 'doctor@minhang.demo')).status, path).toBe(404);
    }
  });

  it('records a second reader’s opinion on the report', async () => {
    const scc = (await t.repos.tenants.findByName('Shanghai Cancer Center (demo)'))!;
    const { hashPassword } = await import('../auth/passwords.js');
    const second = await t.repos.users.create({ tenantId: scc.id, email: 'board@scc.demo', displayName: 'Tumour board', role: 'specialist', licensed: true, passwordHash: await hashPassword('yunzhen-demo') });
    tokens['board@scc.demo'] = await t.token('board@scc.demo');
    expect((await call('POST', `/api/consults/${consultId}/report/opinions`, 'board@scc.demo', { verdict: 'agree' })).status).toBe(403);
    expect((await call('POST', `/api/consults/${consultId}/readers`, 'specialist@scc.demo', { userId: second.id, kind: 'tumour-board' })).status).toBe(201);
    const opinion = await call('POST', `/api/consults/${consultId}/report/opinions`, 'board@scc.demo', { verdict: 'partial', comment: { 'zh-CN': '建议 3 个月后复查。' } });
    expect(opinion.status).toBe(200);
    expect((await opinion.json()).report.secondOpinions).toMatchObject([{ kind: 'tumour-board', verdict: 'partial', reader: { displayName: 'Tumour board' } }]);
  });

  it('lets the referring doctor acknowledge the signed report', async () => {
    expect((await call('POST', `/api/consults/${consultId}/acknowledge`, 'specialist@scc.demo')).status).toBe(403);
    expect((await call('POST', `/api/consults/${consultId}/acknowledge`, 'doctor@xuhui.demo')).status).toBe(200);
    const consult = (await (await call('GET', `/api/consults/${consultId}`, 'doctor@xuhui.demo')).json()).consult;
    expect(consult.turnaround.acknowledgedAt).toEqual(expect.any(String));
  });

  it('delivers an HMAC-signed webhook to the sending hospital, retrying after a failure', async () => {
    const secret = 'hospital-webhook-secret-0001';
    // The payload is the re-identified report: plain http is refused except to this machine.
    expect((await call('PUT', '/api/webhook', 'admin@xuhui.demo', { url: 'http://his.example.org/hook', secret })).status).toBe(400);
    expect((await call('PUT', '/api/webhook', 'admin@xuhui.demo', { url: receiverUrl, secret })).status).toBe(200);
    // A second consult signed now produces a delivery.
    const [study] = (await (await call('GET', '/api/studies', 'rad@xuhui.demo')).json()).studies;
    void study;
    const addendum = await call('POST', `/api/consults/${consultId}/report/addenda`, 'specialist@scc.demo', {
      version: (await (await call('GET', `/api/consults/${consultId}/report`, 'specialist@scc.demo')).json()).report.version,
      text: { 'zh-CN': '第二次补充。' },
    });
    expect(addendum.status).toBe(200);
    let clock = Date.now();
    const dispatcher = createWebhookDispatcher({ repos: t.repos, vault: createVault(createHospitalKeys('test-root-secret-of-at-least-32-characters'), t.repos.vault), now: () => new Date(clock) });
    await dispatcher.tick();
    expect(received).toHaveLength(1);
    let log = (await (await call('GET', '/api/webhook', 'admin@xuhui.demo')).json()).deliveries;
    expect(log[0]).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500 });
    clock += 31_000;
    await dispatcher.tick();
    expect(received).toHaveLength(2);
    log = (await (await call('GET', '/api/webhook', 'admin@xuhui.demo')).json()).deliveries;
    expect(log[0]).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 204 });

    const { headers, body } = received[1]!;
    const [, t_, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['x-yunzhen-signature']))!;
    expect(v1).toBe(createHmac('sha256', secret).update(`${t_}.${body}`).digest('hex'));
    const payload = JSON.parse(body);
    expect(payload).toMatchObject({ event: 'report.amended', report: { status: 'amended' } });
    expect(JSON.stringify(payload.fhir)).toContain('CompressedSamples');
  });
});
