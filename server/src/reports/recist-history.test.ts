import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, rewriteInstances } from '../testing/dicom-fixtures.js';
import { seedConsult } from '../testing/seed-consult.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

const SPECIALIST = 'specialist@scc.demo';
const values = { technique: { en: 'Contrast-enhanced CT.' }, findings: { en: 'Liver metastases.' }, impression: { en: 'See RECIST.' } };

describe('RECIST 1.1 across time points: baseline and nadir from the patient’s signed reports at the centre', () => {
  let t: TestApp;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    baseUrl = await t.listen();
    token = await t.token(SPECIALIST);
  }, 60_000);
  afterAll(async () => {
    await t.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await t.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (response.headers.get('content-type')?.includes('json') ? await response.json() : null) as any };
  };

  /** A consult of a new CT study of the patient with this Patient ID at the sending hospital. */
  const consultOf = async (patientId: string) => {
    const instances = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00100020: patientId, 0x00100010: `RECIST^${patientId}` } });
    return seedConsult(baseUrl, instances, { clinicalQuestion: `RECIST ${patientId}` });
  };

  const measurement = (id: string, study: string, mm: number) => ({
    id,
    tool: 'Length',
    values: { length_mm: mm },
    image: { studyInstanceUid: study, seriesInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4', sopClassUid: '1.2.840.10008.5.1.4.1.1.2' },
    points: [
      [10, 10],
      [20, 20],
    ],
  });

  /** Writes a RECIST report on the consult with these lesions and measurements; answers the sign response. */
  const report = async (consult: { id: string; studyInstanceUids: string[] }, recist: unknown, measurements: unknown[]) => {
    expect((await call('POST', `/api/consults/${consult.id}/report`, { templateId: 'recist', language: 'en' })).status).toBe(201);
    expect((await call('PUT', `/api/consults/${consult.id}/report`, { version: 1, changes: { values, recist, measurements } })).status).toBe(200);
    return call('POST', `/api/consults/${consult.id}/report/sign`, { version: 2, kind: 'final' });
  };

  it('refuses to sign a baseline without target lesions, naming the field', async () => {
    const consult = await consultOf('RECIST-EMPTY');
    const refused = await report(consult, { timepoint: 'baseline', targetLesions: [], nonTargetLesions: [], newLesions: [], priorSumsMm: [] }, []);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('ReportIncomplete');
    expect(refused.body.error.issues).toContainEqual({ path: 'recist.targetLesions', code: 'Required' });
  });

  it('pulls the baseline and the nadir into a follow-up of the same patient, not of another', async () => {
    const baseline = await consultOf('RECIST-P1');
    const study = baseline.studyInstanceUids[0]!;
    const signed = await report(
      baseline,
      {
        timepoint: 'baseline',
        targetLesions: [
          { id: 'T1', organ: 'liver', nodal: false, measurementId: 'm1', site: { en: 'segment VII' } },
          { id: 'T2', organ: 'liver', nodal: false, measurementId: 'm2' },
        ],
        nonTargetLesions: [{ id: 'N1', organ: 'bone', nodal: false, status: 'present' }],
        newLesions: [],
        priorSumsMm: [],
      },
      [measurement('m1', study, 30), measurement('m2', study, 20)],
    );
    expect(signed.status).toBe(200);
    expect(signed.body.report.assessment.recist).toMatchObject({ sumMm: 50, baselineSumMm: 50 });

    // A first follow-up: 40 mm, partial response is not yet reached (−20 %), SD; it becomes the nadir.
    const first = await consultOf('RECIST-P1');
    const firstHistory = await call('GET', `/api/consults/${first.id}/report/recist-history`);
    expect(firstHistory.status).toBe(200);
    expect(firstHistory.body.history).toMatchObject({ baseline: { consultId: baseline.id, sumMm: 50 }, priorSumsMm: [], nadirMm: 50 });
    expect(firstHistory.body.followUp).toMatchObject({
      timepoint: 'follow-up',
      targetLesions: [
        { id: 'T1', organ: 'liver', baselineMm: 30, site: { en: 'segment VII' } },
        { id: 'T2', organ: 'liver', baselineMm: 20 },
      ],
      nonTargetLesions: [{ id: 'N1', status: 'present' }],
      priorSumsMm: [],
    });
    const firstStudy = first.studyInstanceUids[0]!;
    const withMeasurements = (followUp: any, a: string, b: string) => ({
      ...followUp,
      targetLesions: followUp.targetLesions.map((lesion: object, i: number) => ({ ...lesion, measurementId: i === 0 ? a : b })),
    });
    const firstSigned = await report(first, withMeasurements(firstHistory.body.followUp, 'f1', 'f2'), [measurement('f1', firstStudy, 24), measurement('f2', firstStudy, 16)]);
    expect(firstSigned.status).toBe(200);
    expect(firstSigned.body.report.assessment.recist).toMatchObject({ sumMm: 40, nadirMm: 50, targetResponse: 'SD', overallResponse: 'SD' });

    // A second follow-up: 48 mm is 20 % and 8 mm above the nadir of 40 mm, though below baseline: PD.
    const second = await consultOf('RECIST-P1');
    const secondHistory = await call('GET', `/api/consults/${second.id}/report/recist-history`);
    expect(secondHistory.body.history).toMatchObject({ baseline: { sumMm: 50 }, priorSumsMm: [40], nadirMm: 40 });
    const secondStudy = second.studyInstanceUids[0]!;
    const secondSigned = await report(second, withMeasurements(secondHistory.body.followUp, 's1', 's2'), [measurement('s1', secondStudy, 28), measurement('s2', secondStudy, 20)]);
    expect(secondSigned.status).toBe(200);
    expect(secondSigned.body.report.assessment.recist).toMatchObject({ sumMm: 48, baselineSumMm: 50, nadirMm: 40, changeFromNadirMm: 8, targetResponse: 'PD', overallResponse: 'PD' });

    // The response reaches what the sender gets: FHIR and SR carry it.
    const fhir = await t.request(`/api/consults/${second.id}/report/fhir`, { headers: { Authorization: `Bearer ${await t.token('rad@xuhui.demo')}` } });
    expect(fhir.status).toBe(200);
    const bundle = await fhir.text();
    expect(bundle).toContain('recist-overall-response');
    expect(bundle).toContain('"code": "PD"');
    const sr = await t.request(`/api/consults/${second.id}/report/sr`, { headers: { Authorization: `Bearer ${await t.token('rad@xuhui.demo')}` } });
    expect(sr.status).toBe(200);
    const srText = Buffer.from(await sr.arrayBuffer()).toString('latin1');
    expect(srText).toContain('recist-overall-response');
    expect(srText).toContain('recist-nadir');

    // Another patient of the same hospital has no RECIST history.
    const other = await consultOf('RECIST-P2');
    const none = await call('GET', `/api/consults/${other.id}/report/recist-history`);
    expect(none.body).toEqual({ history: { baseline: null, followUps: [], priorSumsMm: [], nadirMm: null }, followUp: null });
  }, 120_000);

  it('counts a new lesion as progression at follow-up even when the targets shrink', async () => {
    const baseline = await consultOf('RECIST-P3');
    const study = baseline.studyInstanceUids[0]!;
    const recist = { timepoint: 'baseline', targetLesions: [{ id: 'T1', organ: 'lung', nodal: false, measurementId: 'm1' }], nonTargetLesions: [], newLesions: [], priorSumsMm: [] };
    expect((await report(baseline, recist, [measurement('m1', study, 40)])).status).toBe(200);
    const follow = await consultOf('RECIST-P3');
    const { body } = await call('GET', `/api/consults/${follow.id}/report/recist-history`);
    const input = { ...body.followUp, targetLesions: [{ ...body.followUp.targetLesions[0], measurementId: 'f1' }], newLesions: [{ id: 'L1', equivocal: false, site: { en: 'liver' } }] };
    const signed = await report(follow, input, [measurement('f1', follow.studyInstanceUids[0]!, 20)]);
    expect(signed.body.report.assessment.recist).toMatchObject({ targetResponse: 'PR', newLesions: true, overallResponse: 'PD' });
  }, 60_000);

  it('is the reading centre’s: a sending hospital may not read a patient’s RECIST history', async () => {
    const consult = await consultOf('RECIST-P4');
    const refused = await t.request(`/api/consults/${consult.id}/report/recist-history`, { headers: { Authorization: `Bearer ${await t.token('rad@xuhui.demo')}` } });
    expect(refused.status).toBe(403);
  });
});
