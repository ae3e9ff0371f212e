import { readSample, rewriteInstances, stowBody } from './dicom-fixtures.js';
import type { TestApp } from './test-app.js';

/** Who the documents of these tests name: Wang Xiaoming, in Latin and Chinese, with his ID, birth date and accession. */
export const NAMED_PATIENT = { 0x00080005: 'ISO_IR 192', 0x00100010: 'WANG^XIAOMING=王^小明', 0x00100020: 'P-20231107', 0x00100030: '19800703', 0x00080050: 'ACC-998877' };

/**
 * A consult to the sender's first reading centre for one CT whose header names the patient
 * (`NAMED_PATIENT` and any `extra` elements), sent with the radiographer's token; its id.
 */
export async function consultOfNamedPatient(t: TestApp, token: string, extra: Record<number, string> = {}): Promise<string> {
  const [ct] = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { ...NAMED_PATIENT, ...extra } });
  const { body, contentType } = stowBody([ct!]);
  const stored = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
  if (stored.status !== 200) throw new Error(`STOW-RS answered ${stored.status}`);
  const call = async (path: string, init?: { body: unknown }) =>
    (
      await t.request(path, {
        method: init ? 'POST' : 'GET',
        headers: { Authorization: `Bearer ${token}`, ...(init && { 'Content-Type': 'application/json' }) },
        body: init && JSON.stringify(init.body),
      })
    ).json();
  const study = (await call('/api/studies?inbox=true')).studies.find((s: { identity: { id: string } }) => s.identity.id === NAMED_PATIENT[0x00100020]);
  const centre = (await call('/api/me')).readingCentres[0].id;
  return (await call('/api/consults', { body: { readingCentreId: centre, studyIds: [study.id], clinicalQuestion: 'Nodule?', priority: 'routine' } })).consult.id;
}
