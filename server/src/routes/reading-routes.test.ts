import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { randomUid as newUid, readSample, stowBody, structuredReport } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

describe('reading: claim, annotations and derived objects', () => {
  let t: TestApp;
  let rad: string;
  let specialist: string;
  let consultId: string;
  let study: { studyInstanceUid: string; patient: { pseudonymId: string; pseudonymName: string } };
  beforeAll(async () => {
    t = await createTestApp({ db: 'postgres' });
    rad = await t.token('rad@xuhui.demo');
    specialist = await t.token('specialist@scc.demo');
    const { body, contentType } = stowBody([readSample('modalities/CT_small.dcm')]);
    await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': contentType }, body });
    const [inbox] = (await (await get('/api/studies?inbox=true', rad)).json()).studies;
    study = inbox;
    const centre = (await (await get('/api/me', rad)).json()).readingCentres[0].id;
    consultId = (await (await send('POST', '/api/consults', rad, { readingCentreId: centre, studyIds: [inbox.id], clinicalQuestion: 'Nodule?', priority: 'urgent' })).json()).consult.id;
  }, 60_000);
  afterAll(() => t.close());

  const get = (path: string, token: string) => t.request(path, { headers: { Authorization: `Bearer ${token}` } });
  const send = (method: string, path: string, token: string, body?: unknown) =>
    t.request(path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('lists the consult on the worklist with waiting time, modalities and body parts', async () => {
    const [consult] = (await (await get('/api/consults', specialist)).json()).consults;
    expect(consult).toMatchObject({ id: consultId, status: 'new', claimedBy: null, modalities: ['CT'], bodyParts: expect.any(Array) });
    expect(consult.waitingMinutes).toBeGreaterThanOrEqual(0);
  });

  it('claims and releases, and refuses a claim held by another specialist', async () => {
    const claimed = await send('POST', `/api/consults/${consultId}/claim`, specialist);
    expect(claimed.status).toBe(200);
    expect((await claimed.json()).consult).toMatchObject({ status: 'in_progress', claimedBy: { displayName: 'Dr. Chen Wei (specialist)' } });
    const scc = (await t.repos.tenants.findByName('Shanghai Cancer Center (demo)'))!;
    const { hashPassword } = await import('../auth/passwords.js');
    await t.repos.users.create({ tenantId: scc.id, email: 'second@scc.demo', displayName: 'Second reader', role: 'specialist', licensed: true, passwordHash: await hashPassword('yunzhen-demo') });
    const second = await t.token('second@scc.demo');
    expect((await send('POST', `/api/consults/${consultId}/claim`, second)).status).toBe(409);
    expect((await send('POST', `/api/consults/${consultId}/release`, second)).status).toBe(409);
    expect((await send('POST', `/api/consults/${consultId}/claim`, rad)).status).toBe(403);
    const released = await send('POST', `/api/consults/${consultId}/release`, specialist);
    expect((await released.json()).consult).toMatchObject({ status: 'new', claimedBy: null });
  });

  it('keeps annotations per author, versioned, and refuses a save against an old version', async () => {
    expect(await (await get(`/api/consults/${consultId}/annotations`, specialist)).json()).toEqual({ mine: null, others: [] });
    const first = await send('PUT', `/api/consults/${consultId}/annotations`, specialist, { version: 0, data: { measurements: [{ tool: 'Length', mm: 12.5 }] } });
    expect(await first.json()).toMatchObject({ version: 1 });
    const stale = await send('PUT', `/api/consults/${consultId}/annotations`, specialist, { version: 0, data: { measurements: [] } });
    expect(stale.status).toBe(409);
    const racing = await Promise.all([1, 1].map(() => send('PUT', `/api/consults/${consultId}/annotations`, specialist, { version: 1, data: { n: Math.random() } })));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
    const loaded = await (await get(`/api/consults/${consultId}/annotations`, specialist)).json();
    expect(loaded.mine.version).toBe(2);
    const second = await t.token('second@scc.demo');
    expect((await (await get(`/api/consults/${consultId}/annotations`, second)).json()).others[0]).toMatchObject({ author: { displayName: 'Dr. Chen Wei (specialist)' }, version: 2 });
    // Nobody else reaches them.
    for (const outsider of ['rad@minhang.demo', 'doctor@xuhui.demo']) {
      expect((await get(`/api/consults/${consultId}/annotations`, await t.token(outsider))).status).toBe(403);
    }
  });

  it('stores a specialist’s SR into the study as a new series, without re-anonymizing it', async () => {
    const patient = { id: study.patient.pseudonymId, name: study.patient.pseudonymName };
    const sop = newUid();
    const { body, contentType } = stowBody([structuredReport(study.studyInstanceUid, { patient, sopInstanceUid: sop })]);
    const stored = await t.request(`/dicomweb/studies/${study.studyInstanceUid}`, { method: 'POST', headers: { Authorization: `Bearer ${specialist}`, 'Content-Type': contentType }, body });
    expect(stored.status).toBe(200);
    const series = await (await get(`/dicomweb/studies/${study.studyInstanceUid}/series`, specialist)).json();
    expect(series.map((s: Record<string, { Value?: string[] }>) => s['00080060']?.Value?.[0]).sort()).toEqual(['CT', 'SR']);
    const instances = await (await get(`/dicomweb/instances?SOPInstanceUID=${sop}`, await t.token('doctor@xuhui.demo'))).json();
    expect(instances).toHaveLength(1);
    // The consult counts the SR among the study's instances, not among its images.
    const { consult } = await (await get(`/api/consults/${consultId}`, specialist)).json();
    const shown = consult.studies.find((s: { studyInstanceUid: string }) => s.studyInstanceUid === study.studyInstanceUid);
    expect(shown).toMatchObject({ instanceCount: 2, imageCount: 1 });
  });

  it('refuses derived objects that name another patient, belong elsewhere, or are images', async () => {
    const wrongPatient = stowBody([structuredReport(study.studyInstanceUid, { patient: { id: 'REAL-ID-123', name: 'Real^Name' } })]);
    const refused = await t.request(`/dicomweb/studies/${study.studyInstanceUid}`, { method: 'POST', headers: { Authorization: `Bearer ${specialist}`, 'Content-Type': wrongPatient.contentType }, body: wrongPatient.body });
    expect(refused.status).toBe(409);
    expect((await refused.json())['00081198'].Value[0]['00091001'].Value[0]).toBe('PatientMismatch');
    const image = stowBody([readSample('modalities/CT_small.dcm')]);
    const imageRefused = await t.request(`/dicomweb/studies/${study.studyInstanceUid}`, { method: 'POST', headers: { Authorization: `Bearer ${specialist}`, 'Content-Type': image.contentType }, body: image.body });
    expect((await imageRefused.json())['00081198'].Value[0]['00091001'].Value[0]).toBe('NotADerivedObject');
    const minhang = await t.token('rad@minhang.demo');
    const sr = stowBody([structuredReport(study.studyInstanceUid, { patient: { id: study.patient.pseudonymId, name: study.patient.pseudonymName } })]);
    // Without a study in the URL each object names its own, which must be one the specialist reads.
    const elsewhere = stowBody([structuredReport(newUid(), { patient: { id: study.patient.pseudonymId, name: study.patient.pseudonymName } })]);
    const unknown = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${specialist}`, 'Content-Type': elsewhere.contentType }, body: elsewhere.body });
    expect(unknown.status).toBe(409);
    expect((await unknown.json())['00081198'].Value[0]['00091001'].Value[0]).toBe('StudyNotFound');
    // Another hospital's upload to that URL is its own upload, de-identified under its own
    // keys into its own study: Xuhui's study is untouched.
    await t.request(`/dicomweb/studies/${study.studyInstanceUid}`, { method: 'POST', headers: { Authorization: `Bearer ${minhang}`, 'Content-Type': sr.contentType }, body: sr.body });
    const series = await (await get(`/dicomweb/studies/${study.studyInstanceUid}/series`, rad)).json();
    expect(series).toHaveLength(2);
  });
});
