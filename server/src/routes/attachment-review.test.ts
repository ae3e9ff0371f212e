import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { consultOfNamedPatient } from '../testing/named-patient-consult.js';
import { scannedPdf, textPdf } from '../testing/pdf-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

/**
 * A referral letter or prior report names the patient: the reading centre, which sees
 * pseudonyms only, gets a document once the sending hospital has released it, and the sender
 * is shown where the patient's identifiers are in it.
 */
describe('documents attached to a consult wait for the sending hospital’s review', () => {
  let t: TestApp;
  let rad: string;
  let specialist: string;
  let consultId: string;
  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    rad = await t.token('rad@xuhui.demo');
    specialist = await t.token('specialist@scc.demo');
    consultId = await consultOfNamedPatient(t, rad);
  }, 60_000);
  afterAll(() => t.close());

  const get = (path: string, token: string) => t.request(path, { headers: { Authorization: `Bearer ${token}` } });
  const post = (path: string, token: string, body: unknown) =>
    t.request(path, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const attach = async (pdf: Uint8Array, label = 'referral') => {
    const response = await t.request(`/api/consults/${consultId}/attachments?label=${label}`, { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': 'application/pdf' }, body: pdf });
    expect(response.status).toBe(201);
    return (await response.json()).attachment as { id: string; review: string; check: { pages: number; textPages: number; findings: { kind: string; page: number; read: string; boxes: object[] }[] } | null };
  };
  const centreSees = async () => ((await (await get(`/api/consults/${consultId}`, specialist)).json()).consult.attachments as { id: string }[]).map((a) => a.id);

  it('finds the patient’s name, ID, birth date and accession on the pages that carry them, in Latin and Chinese', async () => {
    const pdf = await textPdf([
      'Referral letter\nDr. Li, Xuhui District Hospital',
      'Patient: Wang, Xiaoming (王 小明)\nDate of birth: 03/07/1980\nHospital no. P-20231107',
      '检查号 ACC-998877，出生日期 1980年7月3日',
    ]);
    const attachment = await attach(pdf);
    expect(attachment.review).toBe('pending');
    expect(attachment.check).toMatchObject({ pages: 3, textPages: 3 });
    const byPage = attachment.check!.findings.map((f) => `${f.page}:${f.kind}`).sort();
    expect(attachment.check!.findings.every((f) => f.read === 'text' && f.boxes.length > 0)).toBe(true);
    expect(byPage).toEqual(['2:birthDate', '2:id', '2:name', '3:accession', '3:birthDate']);
    // Nothing of what was found is kept in words: kinds and pages only.
    const stored = JSON.stringify((await t.repos.consults.attachments(consultId)).map((a) => a.check_result));
    expect(stored).not.toMatch(/WANG|Xiaoming|王|P-20231107|1980|ACC-998877/i);
  });

  it('keeps a document from the reading centre until it is released, and a document naming the patient needs a reason', async () => {
    const attachment = await attach(await textPdf(['Prior report', 'Name: XIAOMING WANG']), 'prior-report');
    expect(attachment.check!.findings).toMatchObject([{ kind: 'name', page: 2 }]);
    expect(await centreSees()).not.toContain(attachment.id);
    expect((await get(`/api/consults/${consultId}/attachments/${attachment.id}`, specialist)).status).toBe(404);

    const noReason = await post(`/api/consults/${consultId}/attachments/${attachment.id}/release`, rad, {});
    expect(noReason.status).toBe(422);
    expect((await noReason.json()).error.code).toBe('AttachmentNeedsReason');
    expect((await post(`/api/consults/${consultId}/attachments/${attachment.id}/release`, specialist, { reason: 'x'.repeat(10) })).status).toBe(403);

    const released = await post(`/api/consults/${consultId}/attachments/${attachment.id}/release`, rad, { reason: 'the reading centre needs the prior report as it is' });
    expect(released.status).toBe(200);
    expect(await centreSees()).toContain(attachment.id);
    expect((await get(`/api/consults/${consultId}/attachments/${attachment.id}`, specialist)).status).toBe(200);
    const events = await t.repos.audit.list({ limit: 10 });
    expect(events.find((e) => e.object_id === attachment.id && e.event_action === 'U')).toMatchObject({ detail: { action: 'release-attachment', findings: 1, withReason: true } });
  });

  it('releases a document without identifiers as it is, and a scanned one only with a reason', async () => {
    const clean = await attach(await textPdf(['Laboratory results', 'CEA 3.1 ng/mL']), 'lab-result');
    expect(clean.check!.findings).toEqual([]);
    expect((await post(`/api/consults/${consultId}/attachments/${clean.id}/release`, rad, {})).status).toBe(200);

    const scanned = await attach(await scannedPdf(2));
    expect(scanned.check).toMatchObject({ pages: 2, textPages: 0, findings: [] });
    expect((await post(`/api/consults/${consultId}/attachments/${scanned.id}/release`, rad, {})).status).toBe(422);
    expect((await post(`/api/consults/${consultId}/attachments/${scanned.id}/release`, rad, { reason: 'looked at both pages: no identity' })).status).toBe(200);
  });

  it('lets the sender remove a document, refuses one pdf.js cannot open, and shows the reading centre no check', async () => {
    const removed = await attach(await textPdf(['Wrong patient’s letter']));
    const deleted = await t.request(`/api/consults/${consultId}/attachments/${removed.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${rad}` } });
    expect(deleted.status).toBe(204);
    expect((await get(`/api/consults/${consultId}/attachments/${removed.id}`, rad)).status).toBe(404);

    const broken = await t.request(`/api/consults/${consultId}/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': 'application/pdf' }, body: new TextEncoder().encode('%PDF-1.4\nnot really a PDF\n') });
    expect(broken.status).toBe(422);
    expect((await broken.json()).error.code).toBe('UnreadableDocument');

    const seen = (await (await get(`/api/consults/${consultId}`, specialist)).json()).consult.attachments;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((a: object) => !('check' in a) && !('review' in a))).toBe(true);
  });
});
