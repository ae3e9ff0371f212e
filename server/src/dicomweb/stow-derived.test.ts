import { parseDicom, readIndexAttributes } from '@yunzhen/dicom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { COMPREHENSIVE_SR, randomUid as newUid, readSample, rewriteInstances, stowBody, structuredReport } from '../testing/dicom-fixtures.js';
import { createConsult } from '../testing/seed-consult.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

type Item = Record<string, { Value?: unknown[] }>;
const value = (item: Item | undefined, tag: string) => item?.[tag]?.Value?.[0];

describe('STOW-RS to /studies without a study UID (derived objects, as OHIF and dicomweb-client send them)', () => {
  let t: TestApp;
  let rad: string;
  let specialist: string;
  /** A study in a consult to the reading centre, sent without Patient ID or Name. */
  let consulted: string;
  /** A study of the same hospital in no consult. */
  let unsent: string;
  let sentCtSop: string;
  let storedCtSop: string;

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    const url = await t.listen();
    rad = await t.token('rad@xuhui.demo');
    specialist = await t.token('specialist@scc.demo');
    const [nameless, other] = [
      rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00100020: '', 0x00100010: '' } })[0]!,
      rewriteInstances([readSample('transfer-syntaxes/MR_small.dcm')], { freshUids: true })[0]!,
    ];
    sentCtSop = readIndexAttributes(parseDicom(nameless)).SOPInstanceUID!;
    const stored = await stow([nameless, other], rad);
    expect(stored.status).toBe(200);
    const items = (await stored.json())['00081199'].Value as Item[];
    // The answer names, per instance, the UID it was sent with beside the UID it was stored under.
    expect(items.map((i) => value(i, '00090010'))).toEqual(['YUNZHEN', 'YUNZHEN']);
    expect(value(items[0], '00091002')).toBe(sentCtSop);
    storedCtSop = value(items[0], '00081155') as string;
    expect(storedCtSop).not.toBe(sentCtSop);
    const studyOf = (item: Item | undefined) => /\/studies\/([0-9.]+)\//.exec(String(value(item, '00081190')))![1]!;
    [consulted, unsent] = [studyOf(items[0]), studyOf(items[1])];
    await createConsult(url, rad, [consulted], { clinicalQuestion: 'Nodule?' });
  }, 60_000);
  afterAll(() => t.close());

  const stow = (instances: Uint8Array[], token: string, path = '/dicomweb/studies') => {
    const { body, contentType } = stowBody(instances);
    return t.request(path, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
  };

  it('files each object by its StudyInstanceUID with the access check of /studies/{study}, naming failed parts by the UIDs sent', async () => {
    const [ours, elsewhere, otherPatient] = [newUid(), newUid(), newUid()];
    const ct = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true })[0]!;
    const ctSop = readIndexAttributes(parseDicom(ct)).SOPInstanceUID!;
    const answer = await stow(
      [
        structuredReport(consulted, { sopInstanceUid: ours }),
        structuredReport(unsent, { sopInstanceUid: elsewhere }),
        structuredReport(consulted, { sopInstanceUid: otherPatient, patient: { id: 'REAL-ID-123', name: 'Real^Name' } }),
        ct,
      ],
      specialist,
    );
    expect(answer.status).toBe(202);
    const json = await answer.json();
    const stored = json['00081199'].Value as Item[];
    expect(stored.map((i) => [value(i, '00081155'), value(i, '00091002')])).toEqual([[ours, ours]]);
    expect(value(stored[0], '00081190')).toContain(`/dicomweb/studies/${consulted}/series/`);
    const failed = json['00081198'].Value as Item[];
    expect(failed.map((f) => [value(f, '00081150'), value(f, '00081155'), value(f, '00091001'), value(f, '00081197')])).toEqual([
      [COMPREHENSIVE_SR, elsewhere, 'StudyNotFound', 0x0124],
      [COMPREHENSIVE_SR, otherPatient, 'PatientMismatch', 0xa900],
      ['1.2.840.10008.5.1.4.1.1.2', ctSop, 'NotADerivedObject', 0x0122],
    ]);
    // Nothing landed in the study the specialist does not read.
    const series = await (await t.request(`/dicomweb/studies/${unsent}/series`, { headers: { Authorization: `Bearer ${rad}` } })).json();
    expect(series.map((s: Item) => value(s, '00080060'))).toEqual(['MR']);
  });

  it('stores an SR that names no patient (its images were sent without Patient ID) under the study’s pseudonyms', async () => {
    const sop = newUid();
    const answer = await stow([structuredReport(consulted, { sopInstanceUid: sop })], specialist, `/dicomweb/studies/${consulted}`);
    expect(answer.status).toBe(200);
    // Metadata is read from the stored file: it names the pseudonymous patient of the study's images.
    const metadata = (await (await t.request(`/dicomweb/studies/${consulted}/metadata`, { headers: { Authorization: `Bearer ${specialist}` } })).json()) as Item[];
    const image = metadata.find((m) => value(m, '00080018') === storedCtSop);
    const report = metadata.find((m) => value(m, '00080018') === sop);
    expect(value(image, '00100020')).toMatch(/^YZ[A-Z2-9]{10}$/);
    expect(value(report, '00100020')).toBe(value(image, '00100020'));
    expect(value(report, '00100010')).toEqual(value(image, '00100010'));
  });

  it('still answers 404 for a study in the URL the specialist does not read', async () => {
    expect((await stow([structuredReport(unsent)], specialist, `/dicomweb/studies/${unsent}`)).status).toBe(404);
  });
});
