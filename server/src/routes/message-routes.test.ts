import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, rewriteInstances } from '../testing/dicom-fixtures.js';
import { textPdf } from '../testing/pdf-fixtures.js';
import { createConsult, stowInstances } from '../testing/seed-consult.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { createEmailOutbox } from '../notify/email-outbox.js';
import { mailText, startLoopbackSmtp, type LoopbackSmtp } from '../testing/smtp.js';

/**
 * The consult's conversation: the hospital asks, the reading centre answers, each side sees what
 * it has not read, e-mail tells the other side without naming the patient, and a message that
 * names the patient never reaches the reading centre.
 */
describe('consult conversation with e-mail notices', () => {
  let t: TestApp;
  let smtp: LoopbackSmtp;
  let consultId: string;
  let tokens: Record<string, string>;
  let clockOffsetMs = 0;
  const now = () => new Date(Date.now() + clockOffsetMs);

  const call = async (who: string, method: string, path: string, body?: unknown) =>
    t.request(path, { method, headers: { Authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    smtp = await startLoopbackSmtp();
    t = await createTestApp({ db: 'embedded', settings: { email: true, publicUrl: 'https://yunzhen.example.org' } });
    tokens = {};
    for (const who of ['rad@xuhui.demo', 'doctor@xuhui.demo', 'specialist@scc.demo', 'admin@scc.demo', 'rad@minhang.demo']) tokens[who] = await t.token(who);
    const base = await t.listen();
    // CT_small: patient "CompressedSamples^CT1", ID 1CT1.
    const [uid] = await stowInstances(base, tokens['rad@xuhui.demo']!, [readSample('modalities/CT_small.dcm')]);
    consultId = (await createConsult(base, tokens['rad@xuhui.demo']!, [uid!], { clinicalQuestion: 'Nodule?' })).id;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('carries a question and its answer between the two sides, with unread counts on both worklists', async () => {
    const asked = await call('rad@xuhui.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'question', text: { 'zh-CN': '请重点看右上肺。', en: 'Please look at the right upper lobe.' } });
    expect(asked.status).toBe(201);

    const worklist = async (who: string) => ((await (await call(who, 'GET', '/api/consults')).json()).consults as { id: string; unreadMessages: number }[]).find((c) => c.id === consultId)!;
    expect((await worklist('specialist@scc.demo')).unreadMessages).toBe(1);
    expect((await worklist('rad@xuhui.demo')).unreadMessages).toBe(0);

    const thread = await (await call('specialist@scc.demo', 'GET', `/api/consults/${consultId}/messages`)).json();
    expect(thread).toMatchObject({ unread: 1, canWrite: true, messages: [{ kind: 'question', side: 'sender', text: { 'zh-CN': '请重点看右上肺。', en: 'Please look at the right upper lobe.' }, author: { displayName: 'Li Na (radiographer)', mine: false } }] });
    const read = await call('specialist@scc.demo', 'POST', `/api/consults/${consultId}/messages/read`, { upTo: thread.messages[0].createdAt });
    expect((await read.json()).unread).toBe(0);
    expect((await worklist('specialist@scc.demo')).unreadMessages).toBe(0);

    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'request', text: { en: 'Please send the prior CT from 2023.' } })).status).toBe(201);
    expect((await worklist('rad@xuhui.demo')).unreadMessages).toBe(1);
    expect((await worklist('doctor@xuhui.demo')).unreadMessages).toBe(1);
    expect((await worklist('specialist@scc.demo')).unreadMessages).toBe(0);
  }, 120_000);

  it('refuses a message from the hospital that names the patient, and keeps nothing of it', async () => {
    const before = (await (await call('specialist@scc.demo', 'GET', `/api/consults/${consultId}/messages`)).json()).messages.length;
    for (const text of ['Patient CompressedSamples CT1 had surgery', 'ID 1CT1: see the prior', '患者 compressedsamples^ct1 复查']) {
      const response = await call('doctor@xuhui.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'note', text: { en: text } });
      expect(response.status, text).toBe(422);
      const body = await response.json();
      expect(body.error.code).toBe('MessageNamesPatient');
      expect(JSON.stringify(body)).not.toMatch(/CompressedSamples|1CT1/i);
    }
    expect((await (await call('specialist@scc.demo', 'GET', `/api/consults/${consultId}/messages`)).json()).messages).toHaveLength(before);
    for (const line of t.logs) expect(line).not.toMatch(/CompressedSamples|1CT1/);
  }, 60_000);

  it('lets only the two hospitals write: another hospital gets 404, an admin 403, an empty message 400', async () => {
    expect((await call('rad@minhang.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'note', text: { en: 'hello' } })).status).toBe(404);
    expect((await call('rad@minhang.demo', 'GET', `/api/consults/${consultId}/messages`)).status).toBe(404);
    expect((await call('admin@scc.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'note', text: { en: 'hello' } })).status).toBe(403);
    expect((await call('rad@xuhui.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'note', text: { en: '   ' } })).status).toBe(400);
  }, 60_000);

  it('e-mails the other side a notice with a link and without patient or message text, once, retrying a refusal', async () => {
    const refusing = await startLoopbackSmtp({ refuse: true });
    const failing = createEmailOutbox({ repos: t.repos, logger: t.logger, smtpUrl: refusing.url, from: 'Yunzhen <noreply@yunzhen.example.org>', now });
    expect(await failing.tick()).toBe(4);
    failing.close();
    await refusing.close();
    const pending = await t.repos.messages.claimDueEmails({ now: now(), leaseMs: 0, claimant: 'test', limit: 50 });
    expect(pending).toHaveLength(0); // not due again before the backoff

    clockOffsetMs += 2 * 60_000;
    const outbox = createEmailOutbox({ repos: t.repos, logger: t.logger, smtpUrl: smtp.url, from: 'Yunzhen <noreply@yunzhen.example.org>', now });
    expect(await outbox.tick()).toBe(4);
    expect(await outbox.tick()).toBe(0);
    outbox.close();

    // The question went to the centre's specialists (nobody had claimed the consult); the request to the radiographer who sent the consult and the referring doctor.
    const recipients = smtp.received.flatMap((m) => m.to).sort();
    expect(recipients).toEqual(['doctor@xuhui.demo', 'lin@scc.demo', 'rad@xuhui.demo', 'specialist@scc.demo']);
    const toSpecialist = mailText(smtp.received.find((m) => m.to.includes('specialist@scc.demo'))!.data);
    expect(toSpecialist).toContain(`https://yunzhen.example.org/consults/${consultId}/read`);
    expect(toSpecialist).toContain('Xuhui District Hospital');
    for (const mail of smtp.received.map((m) => mailText(m.data))) {
      expect(mail).not.toMatch(/CompressedSamples|1CT1|right upper lobe|右上肺|prior CT/i);
    }
  }, 120_000);

  it('sends documents with a message: the reading centre gets each once the hospital released it, and nothing of another consult', async () => {
    const upload = async (label: string, pages: string[]) => {
      const response = await t.request(`/api/consults/${consultId}/attachments?label=${label}`, { method: 'POST', headers: { Authorization: `Bearer ${tokens['rad@xuhui.demo']}`, 'Content-Type': 'application/pdf' }, body: Buffer.from(await textPdf(pages)) });
      expect(response.status).toBe(201);
      return ((await response.json()) as { attachment: { id: string } }).attachment.id;
    };
    const prior = await upload('prior-report', ['CT chest 2023: 4 mm nodule, right upper lobe.']);
    const sent = await call('rad@xuhui.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'answer', text: { en: 'The prior CT report is attached.' }, attachmentIds: [prior] });
    expect(sent.status).toBe(201);
    const attached = async (who: string) => ((await (await call(who, 'GET', `/api/consults/${consultId}/messages`)).json()).messages as { attachments: unknown[] }[]).at(-1)!.attachments;
    expect(await attached('rad@xuhui.demo')).toEqual([{ id: prior, label: 'prior-report', available: true }]);
    // Not yet released: the centre knows a document is coming, and cannot open it.
    expect(await attached('specialist@scc.demo')).toEqual([{ id: prior, label: 'prior-report', available: false }]);
    expect((await call('specialist@scc.demo', 'GET', `/api/consults/${consultId}/attachments/${prior}`)).status).toBe(404);
    expect((await call('rad@xuhui.demo', 'POST', `/api/consults/${consultId}/attachments/${prior}/release`, {})).status).toBe(200);
    expect(await attached('specialist@scc.demo')).toEqual([{ id: prior, label: 'prior-report', available: true }]);
    expect((await call('specialist@scc.demo', 'GET', `/api/consults/${consultId}/attachments/${prior}`)).status).toBe(200);

    // Only this consult's documents, only from the hospital, at most five.
    const other = (await createConsult(await t.listen(), tokens['rad@xuhui.demo']!, [(await stowInstances(await t.listen(), tokens['rad@xuhui.demo']!, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true })))[0]!], { clinicalQuestion: 'Other' })).id;
    const otherDocument = ((await (await t.request(`/api/consults/${other}/attachments?label=other`, { method: 'POST', headers: { Authorization: `Bearer ${tokens['rad@xuhui.demo']}`, 'Content-Type': 'application/pdf' }, body: Buffer.from(await textPdf(['Lab result'])) })).json()) as { attachment: { id: string } }).attachment.id;
    expect((await call('rad@xuhui.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'note', text: { en: 'wrong one' }, attachmentIds: [otherDocument] })).status).toBe(404);
    expect((await call('specialist@scc.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'note', text: { en: 'mine' }, attachmentIds: [prior] })).status).toBe(403);
    expect((await call('rad@xuhui.demo', 'POST', `/api/consults/${consultId}/messages`, { kind: 'note', text: { en: 'many' }, attachmentIds: Array.from({ length: 6 }, () => prior) })).status).toBe(400);
  }, 120_000);
});
