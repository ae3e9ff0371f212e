import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { asTenant } from '@yunzhen/db';

import { openPdf, textRuns } from '../documents/pdf.js';
import { readSample } from '../testing/dicom-fixtures.js';
import { textPdf } from '../testing/pdf-fixtures.js';
import { createConsult, stowInstances } from '../testing/seed-consult.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

const SPECIALIST = 'specialist@scc.demo';
const PARTNER = 'reader@partner.demo';
const RAD = 'rad@xuhui.demo';
const DOCTOR = 'doctor@xuhui.demo';

/**
 * Referral between centres: the cancer centre refers a consult to its foreign partner; nothing
 * reaches the partner before the sending hospital consents; the partner then sees that consult
 * alone, under pseudonyms, in the API, over DICOMweb and in the database itself; its report
 * comes back through the first centre, which returns it with a comment or countersigns it; the
 * sender's report names who read it and who countersigned.
 */
describe('referral of a consult to a partner centre', () => {
  let t: TestApp;
  let base: string;
  const tokens: Record<string, string> = {};
  let referredId: string;
  let otherId: string;
  let referredStudyUid: string;
  let partnerCentreId: string;
  let partnerTenantId: string;
  let partnerUserId: string;

  const call = async (who: string, method: string, path: string, body?: unknown) =>
    t.request(path, { method, headers: { Authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });

  /** What the partner can reach, by every door: its worklist, the consult, DICOMweb, and rows under row-level security. */
  const partnerReach = async () => {
    const worklist = (await (await call(PARTNER, 'GET', '/api/consults')).json()).consults as { id: string }[];
    const studies = (await (await call(PARTNER, 'GET', '/dicomweb/studies')).json()) as Record<string, { Value?: unknown[] }>[];
    const rows = await asTenant(partnerTenantId, partnerUserId, async () => ({
      consult: await t.appDb.kysely.selectFrom('consult').select('id').execute(),
      study: await t.appDb.kysely.selectFrom('study').select('study_uid').execute(),
      series: await t.appDb.kysely.selectFrom('series').select('id').execute(),
      instance: await t.appDb.kysely.selectFrom('instance').select('id').execute(),
      patient: await t.appDb.kysely.selectFrom('patient').select('id').execute(),
      vault: await t.appDb.kysely.selectFrom('vault_entry').select('tenant_id').execute(),
      attachments: await t.appDb.kysely.selectFrom('consult_attachment').select('id').execute(),
      messages: await t.appDb.kysely.selectFrom('consult_message').select('id').execute(),
    }));
    return { worklist: worklist.map((c) => c.id), studyUids: studies.map((s) => (s['0020000D']?.Value ?? [])[0]), rows };
  };

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    base = await t.listen();
    for (const who of [SPECIALIST, PARTNER, RAD, DOCTOR, 'admin@scc.demo', 'admin@xuhui.demo', 'rad@minhang.demo']) tokens[who] = await t.token(who);
    // CT_small: patient "CompressedSamples^CT1"; MR_small another patient, in a consult that is not referred.
    [referredStudyUid] = (await stowInstances(base, tokens[RAD]!, [readSample('modalities/CT_small.dcm')])) as [string];
    referredId = (await createConsult(base, tokens[RAD]!, [referredStudyUid], { clinicalQuestion: 'Nodule: second opinion?' })).id;
    const [otherUid] = await stowInstances(base, tokens[RAD]!, [readSample('transfer-syntaxes/MR_small.dcm')]);
    otherId = (await createConsult(base, tokens[RAD]!, [otherUid!], { clinicalQuestion: 'Other patient' })).id;
    // A message and a released document on the referred consult: the sender's and the first centre's, never the partner's.
    expect((await call(RAD, 'POST', `/api/consults/${referredId}/messages`, { kind: 'note', text: { en: 'Prior CT attached.' } })).status).toBe(201);
    const attached = await t.request(`/api/consults/${referredId}/attachments?label=prior-report`, { method: 'POST', headers: { Authorization: `Bearer ${tokens[RAD]}`, 'Content-Type': 'application/pdf' }, body: await textPdf(['Prior report: nodule stable']) });
    expect(attached.status).toBe(201);
    const attachmentId = (await attached.json()).attachment.id as string;
    expect((await call(RAD, 'POST', `/api/consults/${referredId}/attachments/${attachmentId}/release`, { reason: 'looked at it' })).status).toBe(200);
    const partner = (await t.repos.users.findByEmail(PARTNER))!;
    partnerTenantId = partner.tenant_id;
    partnerUserId = partner.id;
    partnerCentreId = partner.tenant_id;
  }, 120_000);
  afterAll(() => t?.close());

  it('refers only along a configured relationship, once at a time, and only from the consult\'s centre', async () => {
    const offered = await (await call(SPECIALIST, 'GET', `/api/consults/${referredId}/referral`)).json();
    expect(offered).toMatchObject({ referral: null, canReferTo: [{ id: partnerCentreId, kind: 'partner', name: 'Pacific Partner Hospital (demo)' }] });
    const xuhui = (await t.repos.users.findByEmail(RAD))!.tenant_id;
    const elsewhere = await call(SPECIALIST, 'POST', `/api/consults/${referredId}/referral`, { toCentreId: xuhui, reason: 'second opinion' });
    expect(elsewhere.status).toBe(422);
    expect((await elsewhere.json()).error.code).toBe('ReferralNotAllowed');
    expect((await call(RAD, 'POST', `/api/consults/${referredId}/referral`, { toCentreId: partnerCentreId, reason: 'second opinion' })).status).toBe(403);
    expect((await call(PARTNER, 'POST', `/api/consults/${referredId}/referral`, { toCentreId: partnerCentreId, reason: 'second opinion' })).status).toBe(404);

    const referred = await call(SPECIALIST, 'POST', `/api/consults/${referredId}/referral`, { toCentreId: partnerCentreId, reason: 'Rare histology: partner sarcoma board' });
    expect(referred.status).toBe(201);
    expect((await referred.json()).referral).toMatchObject({ status: 'awaiting-consent', kind: 'partner', toCentre: { name: 'Pacific Partner Hospital (demo)' }, requestedBy: { displayName: 'Dr. Chen Wei (specialist)' }, consent: null });
    const again = await call(SPECIALIST, 'POST', `/api/consults/${referredId}/referral`, { toCentreId: partnerCentreId, reason: 'again' });
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('ReferralPending');
  });

  it('shows the partner nothing before the sending hospital consents', async () => {
    expect(await partnerReach()).toEqual({ worklist: [], studyUids: [], rows: { consult: [], study: [], series: [], instance: [], patient: [], vault: [], attachments: [], messages: [] } });
    for (const path of [`/api/consults/${referredId}`, `/api/consults/${referredId}/referral`, `/api/consults/${referredId}/report`, `/api/consults/${referredId}/annotations`]) {
      expect((await call(PARTNER, 'GET', path)).status, path).toBe(404);
    }
    expect((await call(PARTNER, 'POST', `/api/consults/${referredId}/report`, { templateId: 'general', language: 'en' })).status).toBe(404);
    expect((await call(PARTNER, 'GET', `/dicomweb/studies/${referredStudyUid}/metadata`)).status).toBe(404);
  });

  it('records the consent of the sending hospital: who and when, audited; nobody else consents', async () => {
    expect((await call(SPECIALIST, 'POST', `/api/consults/${referredId}/referral/consent`)).status).toBe(403);
    expect((await call('admin@xuhui.demo', 'POST', `/api/consults/${referredId}/referral/consent`)).status).toBe(403);
    expect((await call('rad@minhang.demo', 'POST', `/api/consults/${referredId}/referral/consent`)).status).toBe(404);
    const asked = await (await call(RAD, 'GET', `/api/consults/${referredId}`)).json();
    expect(asked.consult.referral).toMatchObject({ status: 'awaiting-consent', reason: 'Rare histology: partner sarcoma board' });
    const consented = await call(RAD, 'POST', `/api/consults/${referredId}/referral/consent`);
    expect(consented.status).toBe(200);
    expect((await consented.json()).referral).toMatchObject({ status: 'open', consent: { by: { displayName: 'Li Na (radiographer)' } } });
    expect((await call(DOCTOR, 'POST', `/api/consults/${referredId}/referral/consent`)).status).toBe(409);
    const audited = await t.repos.audit.list({ eventCode: '110111', limit: 20 });
    expect(audited.filter((e) => e.object_id === referredId).map((e) => (e.detail as { change?: string }).change)).toEqual(['referral-consented', 'referral-requested']);
  });

  it('lets the partner see exactly the referred consult, under pseudonyms, and nothing of other consults', async () => {
    const reach = await partnerReach();
    expect(reach.worklist).toEqual([referredId]);
    expect(reach.studyUids).toEqual([referredStudyUid]);
    expect(reach.rows.consult.map((r) => r.id)).toEqual([referredId]);
    expect(reach.rows.study.map((r) => r.study_uid)).toEqual([referredStudyUid]);
    expect(reach.rows.patient).toHaveLength(1);
    expect(reach.rows.series.length).toBeGreaterThan(0);
    expect(reach.rows.vault).toEqual([]); // the real identity stays sealed with the sending hospital
    // The conversation and documents stay between the sender and the first centre, at the database too.
    expect(reach.rows.attachments).toEqual([]);
    expect(reach.rows.messages).toEqual([]);
    expect(await t.db.kysely.selectFrom('consult_message').select('id').where('consult_id', '=', referredId).execute()).toHaveLength(1);
    expect(await t.db.kysely.selectFrom('consult_attachment').select('id').where('consult_id', '=', referredId).execute()).toHaveLength(1);

    const consult = await call(PARTNER, 'GET', `/api/consults/${referredId}`);
    expect(consult.status).toBe(200);
    const consultText = await consult.text();
    const metadata = await call(PARTNER, 'GET', `/dicomweb/studies/${referredStudyUid}/metadata`);
    expect(metadata.status).toBe(200);
    // The sender's own view names the patient (so the pattern is the right one to look for); the partner's never does.
    expect(await (await call(RAD, 'GET', `/api/consults/${referredId}`)).text()).toMatch(/CompressedSamples/i);
    for (const text of [consultText, await metadata.text(), await (await call(PARTNER, 'GET', '/api/consults')).text()]) {
      expect(text).not.toMatch(/CompressedSamples|1CT1/i);
    }
    expect(JSON.parse(consultText).consult.attachments).toEqual([]);
    for (const path of [`/api/consults/${otherId}`, `/api/consults/${otherId}/referral`, `/api/consults/${otherId}/report`, `/api/consults/${referredId}/messages`]) {
      expect((await call(PARTNER, 'GET', path)).status, path).toBe(404);
    }
    // Nor does it act for the first centre.
    expect((await call(PARTNER, 'POST', `/api/consults/${referredId}/claim`)).status).toBe(404);
    expect((await call(PARTNER, 'POST', `/api/consults/${referredId}/messages`, { kind: 'note', text: { en: 'hello' } })).status).toBe(404);
  });

  const values = { technique: { en: 'CT of the chest.' }, findings: { en: 'Solid nodule, 6 mm.' }, impression: { en: 'Small nodule; follow up.' } };

  it('has the partner write and submit the report, while the first centre and the sender wait', async () => {
    const mine = await call(SPECIALIST, 'POST', `/api/consults/${referredId}/report`, { templateId: 'general', language: 'en' });
    expect(mine.status).toBe(409);
    expect((await mine.json()).error.code).toBe('ReferralPending');
    expect((await call(PARTNER, 'POST', `/api/consults/${referredId}/report`, { templateId: 'general', language: 'en' })).status).toBe(201);
    expect((await call(PARTNER, 'PUT', `/api/consults/${referredId}/annotations`, { version: 0, data: { measurements: [] } })).status).toBe(200);
    const incomplete = await call(PARTNER, 'POST', `/api/consults/${referredId}/referral/submit`, { version: 1 });
    expect(incomplete.status).toBe(422);
    expect((await call(PARTNER, 'PUT', `/api/consults/${referredId}/report`, { version: 1, changes: { values } })).status).toBe(200);
    expect((await call(SPECIALIST, 'POST', `/api/consults/${referredId}/report/sign`, { version: 2, kind: 'final' })).status).toBe(409); // not submitted yet
    const submitted = await call(PARTNER, 'POST', `/api/consults/${referredId}/referral/submit`, { version: 2 });
    expect(submitted.status).toBe(200);
    expect((await submitted.json()).referral).toMatchObject({ status: 'submitted', partnerReader: { displayName: 'Dr. Sarah Miller (partner specialist)' } });
    expect((await call(PARTNER, 'PUT', `/api/consults/${referredId}/report`, { version: 2, changes: { values } })).status).toBe(409); // with the first centre now
    expect((await (await call(DOCTOR, 'GET', `/api/consults/${referredId}/report`)).json()).report).toBeNull();
  });

  it('returns the report with a comment, then countersigns the revised one', async () => {
    expect((await call(PARTNER, 'POST', `/api/consults/${referredId}/referral/return`, { comment: 'x' })).status).toBe(404);
    const returned = await call(SPECIALIST, 'POST', `/api/consults/${referredId}/referral/return`, { comment: 'Please give the Lung-RADS category.' });
    expect((await returned.json()).referral).toMatchObject({ status: 'returned', comment: 'Please give the Lung-RADS category.' });
    const revised = { ...values, impression: { en: 'Small solid nodule (Lung-RADS 2); follow up in 12 months.' } };
    expect((await call(PARTNER, 'PUT', `/api/consults/${referredId}/report`, { version: 2, changes: { values: revised } })).status).toBe(200);
    expect((await call(PARTNER, 'POST', `/api/consults/${referredId}/referral/submit`, { version: 3 })).status).toBe(200);
    expect((await call(PARTNER, 'POST', `/api/consults/${referredId}/report/sign`, { version: 3, kind: 'final' })).status).toBe(403);
    expect((await call(SPECIALIST, 'POST', `/api/consults/${referredId}/report/sign`, { version: 3, kind: 'preliminary' })).status).toBe(409);
    const countersigned = await call(SPECIALIST, 'POST', `/api/consults/${referredId}/report/sign`, { version: 3, kind: 'final' });
    expect(countersigned.status).toBe(200);
    expect((await countersigned.json()).report).toMatchObject({ status: 'final', signatures: [{ signer: { displayName: 'Dr. Chen Wei (specialist)' } }] });
    const view = await (await call(SPECIALIST, 'GET', `/api/consults/${referredId}/referral`)).json();
    expect(view.referral).toMatchObject({ status: 'countersigned', countersignedBy: { displayName: 'Dr. Chen Wei (specialist)' } });
    // The partner reads what it wrote, and writes no more.
    expect((await call(PARTNER, 'GET', `/api/consults/${referredId}/report`)).status).toBe(200);
    expect((await call(PARTNER, 'POST', `/api/consults/${referredId}/report/addenda`, { version: 4, text: { en: 'more' } })).status).toBe(403);
  });

  it('gives the sender the report naming who read it and who countersigned, in every output', async () => {
    const consult = (await (await call(DOCTOR, 'GET', `/api/consults/${referredId}`)).json()).consult;
    expect(consult.referral).toMatchObject({
      status: 'countersigned',
      toCentre: { name: 'Pacific Partner Hospital (demo)' },
      partnerReader: { displayName: 'Dr. Sarah Miller (partner specialist)' },
      countersignedBy: { displayName: 'Dr. Chen Wei (specialist)' },
    });
    const fhir = await (await call(DOCTOR, 'GET', `/api/consults/${referredId}/report/fhir`)).json();
    const resources = fhir.entry.map((e: { resource: { resourceType: string; name?: unknown } }) => e.resource);
    expect(resources.filter((r: { resourceType: string }) => r.resourceType === 'Practitioner').map((r: { name: { text: string }[] }) => r.name[0]!.text).sort()).toEqual([
      'Dr. Chen Wei (specialist)',
      'Dr. Sarah Miller (partner specialist)',
    ]);
    expect(resources.some((r: { resourceType: string; name?: string }) => r.resourceType === 'Organization' && JSON.stringify(r).includes('Pacific Partner Hospital (demo)'))).toBe(true);
    const sr = Buffer.from(await (await call(DOCTOR, 'GET', `/api/consults/${referredId}/report/sr`)).arrayBuffer()).toString('latin1');
    expect(sr).toContain('Dr. Sarah Miller (partner specialist)');
    expect(sr).toContain('Pacific Partner Hospital (demo)');
    const pdf = await openPdf(new Uint8Array(await (await call(DOCTOR, 'GET', `/api/consults/${referredId}/report/pdf`)).arrayBuffer()));
    let text = '';
    for (let n = 1; n <= pdf.numPages; n++) text += (await textRuns(await pdf.getPage(n))).map((run) => run.text).join(' ');
    await pdf.destroy();
    expect(text).toContain('Dr. Sarah Miller (partner specialist)');
    expect(text).toContain('Countersigned by');
  });

  it('keeps centre relationships as configuration for deployment administrators', async () => {
    for (const who of [SPECIALIST, 'admin@xuhui.demo', PARTNER]) expect((await call(who, 'GET', '/api/centre-relationships')).status, who).toBe(403);
    const listed = await (await call('admin@scc.demo', 'GET', '/api/centre-relationships')).json();
    expect(listed.relationships).toMatchObject([{ kind: 'partner', fromCentre: { name: 'Shanghai Cancer Center (demo)' }, toCentre: { name: 'Pacific Partner Hospital (demo)' } }]);
    const scc = listed.relationships[0].fromCentre.id as string;
    const back = await call('admin@scc.demo', 'POST', '/api/centre-relationships', { fromCentreId: partnerCentreId, toCentreId: scc, kind: 'partner' });
    expect(back.status).toBe(201);
    expect((await call('admin@scc.demo', 'POST', '/api/centre-relationships', { fromCentreId: partnerCentreId, toCentreId: scc, kind: 'partner' })).status).toBe(409);
    const xuhui = (await t.repos.users.findByEmail(RAD))!.tenant_id;
    expect((await call('admin@scc.demo', 'POST', '/api/centre-relationships', { fromCentreId: scc, toCentreId: xuhui, kind: 'union' })).status).toBe(400);
    expect((await call('admin@scc.demo', 'DELETE', `/api/centre-relationships/${(await back.json()).relationship.id}`)).status).toBe(204);
  });
});
