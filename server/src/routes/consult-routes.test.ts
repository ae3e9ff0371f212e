import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testDbKinds } from '@yunzhen/db/testing';

import { readSample, rewriteInstances, stowBody } from '../testing/dicom-fixtures.js';
import { textPdf } from '../testing/pdf-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

describe.each(testDbKinds)('consults and hospital isolation on %s', (db) => {
  let t: TestApp;
  let rad: string;
  let studyId: string;
  let pendingStudyId: string;
  let centreId: string;
  beforeAll(async () => {
    t = await createTestApp({ db });
    rad = await t.token('rad@xuhui.demo');
    await stow([readSample('modalities/CT_small.dcm')]);
    // The ultrasound as a second study of the CT's patient: a consult is about one patient.
    await stow(rewriteInstances([readSample('modalities/US-RGB-8-esopecho')], { replace: { 0x00100010: 'CompressedSamples^CT1', 0x00100020: '1CT1' } }));
    const inbox = (await (await get('/api/studies?inbox=true', rad)).json()).studies;
    studyId = inbox.find((s: { modalities: string[] }) => s.modalities.includes('CT')).id;
    pendingStudyId = inbox.find((s: { modalities: string[] }) => s.modalities.includes('US')).id;
    centreId = (await (await get('/api/me', rad)).json()).readingCentres[0].id;
  }, 60_000);
  afterAll(() => t.close());

  const stow = async (instances: Uint8Array[]) => {
    const { body, contentType } = stowBody(instances);
    const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': contentType }, body });
    expect(response.status).toBe(200);
  };
  const get = (path: string, token: string) => t.request(path, { headers: { Authorization: `Bearer ${token}` } });
  const post = (path: string, token: string, body: unknown) =>
    t.request(path, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('shows the sending hospital its inbox with real identity, and flags ultrasound for pixel review', async () => {
    const inbox = (await (await get('/api/studies?inbox=true', rad)).json()).studies;
    const ct = inbox.find((s: { id: string }) => s.id === studyId);
    expect(ct.identity.name).toBe('CompressedSamples^CT1');
    expect(ct.patient.pseudonymName).toMatch(/^ANONYMOUS\^YZ/);
    expect(inbox.find((s: { id: string }) => s.id === pendingStudyId).pendingReviewCount).toBe(1);
    const [event] = await t.repos.audit.list({ eventCode: '110110', limit: 1 });
    expect(event).toMatchObject({ event_action: 'R', detail: { purpose: 're-identification' } });
  });

  it('creates a consult that the reading centre sees with pseudonyms only', async () => {
    const created = await post('/api/consults', rad, { readingCentreId: centreId, studyIds: [studyId, pendingStudyId], clinicalQuestion: 'Pulmonary nodule?', priority: 'stat' });
    expect(created.status).toBe(201);
    const { consult } = await created.json();
    expect(consult).toMatchObject({ priority: 'stat', status: 'new', readingCentre: { name: 'Shanghai Cancer Center (demo)' } });
    expect(new Date(consult.dueAt).getTime() - new Date(consult.createdAt).getTime()).toBeCloseTo(3_600_000, -4);

    const specialist = await t.token('specialist@scc.demo');
    const listed = (await (await get('/api/consults', specialist)).json()).consults;
    expect(listed.map((c: { id: string }) => c.id)).toContain(consult.id);
    const seen = (await (await get(`/api/consults/${consult.id}`, specialist)).json()).consult;
    const text = JSON.stringify(seen);
    expect(text).not.toContain('CompressedSamples');
    expect(seen.studies.every((s: { identity?: unknown }) => s.identity === undefined)).toBe(true);
    // The ultrasound image waits for pixel review: the reading centre does not get it yet.
    expect(seen.studies.find((s: { id: string }) => s.id === pendingStudyId).instanceCount).toBe(0);

    const doctor = await t.token('doctor@xuhui.demo');
    const mine = (await (await get(`/api/consults/${consult.id}`, doctor)).json()).consult;
    expect(mine.studies.find((s: { id: string }) => s.id === studyId).identity.name).toBe('CompressedSamples^CT1');
  });

  it('shows the sending hospital the real study date in every view, and the reading centre only the shifted one', async () => {
    // CT_small was acquired on 2004-01-19; the stored copy carries a date shifted per patient.
    const { consults } = await (await get('/api/consults', rad)).json();
    const consultId = consults.find((c: { studies: { id: string }[] }) => c.studies.some((s) => s.id === studyId)).id;
    const doctor = await t.token('doctor@xuhui.demo');
    const dateIn = (studies: { id: string; studyDate: string | null }[]) => studies.find((s) => s.id === studyId)?.studyDate;
    const senderViews = {
      studies: dateIn((await (await get('/api/studies', rad)).json()).studies),
      study: (await (await get(`/api/studies/${studyId}`, rad)).json()).study.studyDate,
      consultList: dateIn(consults.find((c: { id: string }) => c.id === consultId).studies),
      consult: dateIn((await (await get(`/api/consults/${consultId}`, doctor)).json()).consult.studies),
    };
    expect(senderViews).toEqual({ studies: '2004-01-19', study: '2004-01-19', consultList: '2004-01-19', consult: '2004-01-19' });

    const specialist = await t.token('specialist@scc.demo');
    const seen = (await (await get(`/api/consults/${consultId}`, specialist)).json()).consult.studies.find((s: { id: string }) => s.id === studyId);
    const [qido] = await (await get(`/dicomweb/studies?StudyInstanceUID=${seen.studyInstanceUid}`, specialist)).json();
    const stored = qido['00080020'].Value[0] as string;
    expect(seen.studyDate).toBe(`${stored.slice(0, 4)}-${stored.slice(4, 6)}-${stored.slice(6, 8)}`);
    expect(seen.studyDate).not.toBe('2004-01-19');
  });

  it('answers 404 to another hospital for consults and studies, exactly as for ids that do not exist', async () => {
    const { consults } = await (await get('/api/consults', rad)).json();
    const consultId = consults[0].id;
    const minhang = await t.token('doctor@minhang.demo');
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const path of [`/api/consults/${consultId}`, `/api/studies/${studyId}`]) {
      const response = await get(path, minhang);
      expect(response.status, path).toBe(404);
      const absent = await get(path.replace(/[0-9a-f-]{36}$/, missing), minhang);
      expect(await response.json()).toEqual(await absent.json());
    }
    expect((await (await get('/api/consults', minhang)).json()).consults).toEqual([]);
    expect((await (await get('/api/studies', minhang)).json()).studies).toEqual([]);
  });

  it('refuses consults with another hospital’s studies, a centre outside the union, or a study already sent', async () => {
    const minhangRad = await t.token('rad@minhang.demo');
    expect((await post('/api/consults', minhangRad, { readingCentreId: centreId, studyIds: [studyId], clinicalQuestion: 'x', priority: 'routine' })).status).toBe(404);
    const xuhui = (await t.repos.tenants.findByName('Xuhui District Hospital (demo)'))!.id;
    expect((await post('/api/consults', rad, { readingCentreId: xuhui, studyIds: [studyId], clinicalQuestion: 'x', priority: 'routine' })).status).toBe(400);
    const again = await post('/api/consults', rad, { readingCentreId: centreId, studyIds: [studyId], clinicalQuestion: 'x', priority: 'routine' });
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('StudyInConsult');
  });

  it('refuses a consult spanning two patients, and one of studies that nothing shows to be one patient', async () => {
    const before = (await (await get('/api/consults', rad)).json()).consults.length;
    await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00100010: 'OTHER^PATIENT', 0x00100020: 'OTHER-0002' } }));
    await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00100010: 'OTHER^PATIENT', 0x00100020: 'OTHER-0002' } }));
    const inbox: { id: string; identity: { id: string }; consultId: string | null }[] = (await (await get('/api/studies?inbox=true', rad)).json()).studies;
    const other = inbox.filter((s) => s.identity.id === 'OTHER-0002').map((s) => s.id);
    expect(other).toHaveLength(2);
    expect(inbox.every((s) => s.consultId === null)).toBe(true);

    // The studies of this patient together are fine to send; with another patient's study they are not.
    const mixed = await post('/api/consults', rad, { readingCentreId: centreId, studyIds: [other[0], studyId], clinicalQuestion: 'x', priority: 'routine' });
    expect(mixed.status).toBe(422);
    expect((await mixed.json()).error).toMatchObject({ code: 'ConsultSpansPatients', message: expect.not.stringMatching(/OTHER|CompressedSamples/) });

    // Neither Patient ID nor name: each such study is its own patient, so two are refused together.
    const nameless = { 0x00100010: '', 0x00100020: '', 0x00100030: '' };
    await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: nameless }));
    await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: nameless }));
    const anonymous = (await (await get('/api/studies?inbox=true', rad)).json()).studies.filter((s: { identity: { id: string; name: string } }) => !s.identity.id && !s.identity.name);
    expect(anonymous).toHaveLength(2);
    const unidentified = await post('/api/consults', rad, { readingCentreId: centreId, studyIds: anonymous.map((s: { id: string }) => s.id), clinicalQuestion: 'x', priority: 'routine' });
    expect(unidentified.status).toBe(422);
    expect((await unidentified.json()).error.code).toBe('ConsultSpansPatients');
    expect((await (await get('/api/consults', rad)).json()).consults).toHaveLength(before);

    const together = await post('/api/consults', rad, { readingCentreId: centreId, studyIds: other, clinicalQuestion: 'x', priority: 'routine' });
    expect(together.status).toBe(201);
    const { consult } = await together.json();
    const listed: { id: string; consultId: string | null }[] = (await (await get('/api/studies', rad)).json()).studies;
    expect(listed.filter((s) => other.includes(s.id)).map((s) => s.consultId)).toEqual([consult.id, consult.id]);
  });

  it('adds a later study of the same patient to an open consult, and refuses another patient’s, another hospital, a reader and a closed consult', async () => {
    const followUp = { 0x00100010: 'FOLLOW^UP', 0x00100020: 'FU-0001' };
    await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: followUp }));
    const first = (await (await get('/api/studies?inbox=true', rad)).json()).studies.find((s: { identity: { id: string } }) => s.identity.id === 'FU-0001');
    const { consult } = await (await post('/api/consults', rad, { readingCentreId: centreId, studyIds: [first.id], clinicalQuestion: 'Progression?', priority: 'routine' })).json();
    await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: followUp }));
    await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00100010: 'SOMEONE^ELSE', 0x00100020: 'SE-0001' } }));
    const inbox: { id: string; identity: { id: string } }[] = (await (await get('/api/studies?inbox=true', rad)).json()).studies;
    const later = inbox.find((s) => s.identity.id === 'FU-0001')!.id;
    const stranger = inbox.find((s) => s.identity.id === 'SE-0001')!.id;

    const spans = await post(`/api/consults/${consult.id}/studies`, rad, { studyIds: [stranger] });
    expect(spans.status).toBe(422);
    expect((await spans.json()).error.code).toBe('ConsultSpansPatients');
    expect((await post(`/api/consults/${consult.id}/studies`, await t.token('rad@minhang.demo'), { studyIds: [later] })).status).toBe(404);
    expect((await post(`/api/consults/${consult.id}/studies`, await t.token('specialist@scc.demo'), { studyIds: [later] })).status).toBe(403);

    const added = await post(`/api/consults/${consult.id}/studies`, rad, { studyIds: [later] });
    expect(added.status).toBe(200);
    expect((await added.json()).consult.studies.map((s: { id: string }) => s.id).sort()).toEqual([first.id, later].sort());
    const seen = (await (await get(`/api/consults/${consult.id}`, await t.token('specialist@scc.demo'))).json()).consult;
    expect(seen.studies).toHaveLength(2);
    expect((await post(`/api/consults/${consult.id}/studies`, rad, { studyIds: [later] })).status).toBe(409);

    await t.repos.consults.mark(consult.id, 'signed', new Date());
    await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: followUp }));
    const third = (await (await get('/api/studies?inbox=true', rad)).json()).studies.find((s: { identity: { id: string } }) => s.identity.id === 'FU-0001');
    const closed = await post(`/api/consults/${consult.id}/studies`, rad, { studyIds: [third.id] });
    expect(closed.status).toBe(409);
    expect((await closed.json()).error.code).toBe('ConsultClosed');
  });

  it('carries the clinical history to the reading centre, and refuses one past 8,000 characters', async () => {
    await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00100010: 'HISTORY^CASE', 0x00100020: 'HC-0001' } }));
    const study = (await (await get('/api/studies?inbox=true', rad)).json()).studies.find((s: { identity: { id: string } }) => s.identity.id === 'HC-0001');
    const base = { readingCentreId: centreId, studyIds: [study.id], clinicalQuestion: 'Mass?', priority: 'routine' };
    const tooLong = await post('/api/consults', rad, { ...base, clinicalHistory: 'x'.repeat(8001) });
    expect(tooLong.status).toBe(400);
    const history = '咳嗽三周，抗感染治疗无效。\nSmoker, 30 pack-years.';
    const { consult } = await (await post('/api/consults', rad, { ...base, clinicalHistory: history })).json();
    expect(consult.clinicalHistory).toBe(history);
    const seen = (await (await get(`/api/consults/${consult.id}`, await t.token('specialist@scc.demo'))).json()).consult;
    expect(seen.clinicalHistory).toBe(history);
  });

  it('releases pixel-review images to the reading centre and audits it', async () => {
    const detail = await (await get(`/api/studies/${pendingStudyId}`, rad)).json();
    const held = detail.instances.filter((i: { pixelReview: string }) => i.pixelReview === 'pending');
    expect(held).toHaveLength(1);
    expect(held[0].pixelReviewReasons.length).toBeGreaterThan(0);
    const doctor = await t.token('doctor@xuhui.demo');
    expect((await post(`/api/studies/${pendingStudyId}/pixel-review`, doctor, { release: [held[0].id] })).status).toBe(403);
    const released = await post(`/api/studies/${pendingStudyId}/pixel-review`, rad, { release: [held[0].id] });
    expect(await released.json()).toEqual({ released: 1, removed: 0 });
    const specialist = await t.token('specialist@scc.demo');
    const { consults } = await (await get('/api/consults', specialist)).json();
    expect(consults[0].studies.find((s: { id: string }) => s.id === pendingStudyId).instanceCount).toBe(1);
  });

  it('keeps PDF attachments encrypted at rest and serves them to both sides', async () => {
    const { consults } = await (await get('/api/consults', rad)).json();
    const pdf = await textPdf(['prior report of PATIENT-CANARY-NAME']);
    const added = await t.request(`/api/consults/${consults[0].id}/attachments?label=prior-report`, { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': 'application/pdf' }, body: pdf });
    expect(added.status).toBe(201);
    const { attachment } = await added.json();
    for await (const object of t.store.list('attachments/')) {
      const stored = new Uint8Array(await new Response((await t.store.get(object.key))!.body).arrayBuffer());
      expect(Buffer.from(stored).includes('PATIENT-CANARY-NAME')).toBe(false);
    }
    const specialist = await t.token('specialist@scc.demo');
    expect((await post(`/api/consults/${consults[0].id}/attachments/${attachment.id}/release`, rad, {})).status).toBe(200);
    const fetched = await get(`/api/consults/${consults[0].id}/attachments/${attachment.id}`, specialist);
    expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(pdf);
    expect((await get(`/api/consults/${consults[0].id}/attachments/${attachment.id}`, await t.token('doctor@minhang.demo'))).status).toBe(404);
  });

  it('refuses an oversized attachment with 413 while it streams in, without reading all of it', async () => {
    const { consults } = await (await get('/api/consults', rad)).json();
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) chunk.set(new TextEncoder().encode('%PDF-1.4\n'));
        sent += chunk.length;
        if (sent > 200 * 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const response = await t.request(`/api/consults/${consults[0].id}/attachments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${rad}`, 'Content-Type': 'application/pdf' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe('PayloadTooLarge');
    expect(sent).toBeLessThan(60 * 1024 * 1024);
  });

  it('refuses a new image of a sent study that names the patient differently; the study keeps its identity', async () => {
    // Same patient ID and study, a new image under another name: a mix-up until someone checks.
    const [renamed] = rewriteInstances([readSample('modalities/CT_small.dcm')], { replace: { 0x00100010: 'Corrected^Name', 0x00080018: '1.2.826.0.1.3680043.2.1125.99.1' } });
    const { body, contentType } = stowBody([renamed!]);
    expect((await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${rad}`, 'Content-Type': contentType }, body })).status).toBe(409);
    const studies = (await (await get('/api/studies', rad)).json()).studies;
    const ct = studies.find((s: { id: string }) => s.id === studyId);
    expect(ct.identity.name).toBe('CompressedSamples^CT1');
    expect(ct.instanceCount).toBe(1);
  });

  it('lists consults from several hospitals, each with its own studies, as each consult reads alone', async () => {
    const minhangRad = await t.token('rad@minhang.demo');
    const [mr] = rewriteInstances([readSample('studies/mr-16slice/MR01.dcm')], { freshUids: true });
    const { body, contentType } = stowBody([mr!]);
    expect((await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${minhangRad}`, 'Content-Type': contentType }, body })).status).toBe(200);
    const minhangStudy = (await (await get('/api/studies?inbox=true', minhangRad)).json()).studies[0].id;
    expect((await post('/api/consults', minhangRad, { readingCentreId: centreId, studyIds: [minhangStudy], clinicalQuestion: 'Brain?', priority: 'routine' })).status).toBe(201);

    for (const token of [await t.token('specialist@scc.demo'), rad, minhangRad]) {
      const { consults } = await (await get('/api/consults', token)).json();
      for (const listed of consults) {
        const { attachments: _attachments, ...alone } = (await (await get(`/api/consults/${listed.id}`, token)).json()).consult;
        expect(listed).toEqual(alone);
      }
      const studyIds = consults.map((c: { studies: { id: string }[] }) => c.studies.map((s) => s.id).sort());
      expect(new Set(studyIds.flat()).size).toBe(studyIds.flat().length); // no study under two consults
    }
    // The centre sees every consult of both hospitals, each under its sender.
    const fromXuhui = (await (await get('/api/consults', rad)).json()).consults.length;
    const { consults } = await (await get('/api/consults', await t.token('specialist@scc.demo'))).json();
    expect(consults.map((c: { sendingHospital: { name: string } }) => c.sendingHospital.name).sort()).toEqual(['Minhang District Hospital (demo)', ...Array(fromXuhui).fill('Xuhui District Hospital (demo)')]);
  });
});
