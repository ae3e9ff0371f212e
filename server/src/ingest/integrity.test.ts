/**
 * What is stored is whole, and identities never drift: hostile and careless uploads against
 * the whole app, on PostgreSQL with an S3 object store (and on the embedded database with the
 * filesystem store).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseDicom } from '@yunzhen/dicom';

import { readSample, rewriteInstances, stowBody } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

const PatientName = 0x00100010;
const PatientID = 0x00100020;
const PatientBirthDate = 0x00100030;

describe.each([
  ['PostgreSQL and S3', { db: 'postgres', store: 's3' }],
  ['the embedded database and the filesystem', { db: 'embedded', store: 'filesystem' }],
] as const)('integrity on %s', (_name, kinds) => {
  let t: TestApp;
  let rad: string;
  const dir = mkdtempSync(join(tmpdir(), 'yunzhen-integrity-'));

  beforeAll(async () => {
    t = await createTestApp(kinds);
    rad = await t.token('rad@xuhui.demo');
  }, 120_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  const auth = () => ({ Authorization: `Bearer ${rad}` });
  async function stow(instances: Uint8Array[]) {
    const { body, contentType } = stowBody(instances);
    const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { ...auth(), 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
    const json = response.status === 204 ? {} : await response.json();
    const failed = (json['00081198']?.Value ?? []) as Record<string, { Value: unknown[] }>[];
    const stored = (json['00081199']?.Value ?? []) as Record<string, { Value: unknown[] }>[];
    return { status: response.status, stored: stored.length, failures: failed.map((f) => f['00081197']!.Value[0] as number) };
  }
  const inbox = async () => (await (await t.request('/api/studies', { headers: auth() })).json()).studies as { id: string; studyInstanceUid: string; instanceCount: number; identity: { name: string; id: string; identityConflict: boolean } }[];

  it('stores no cut of a real CT, at any offset; the whole file afterwards is stored and retrievable', async () => {
    const whole = rewriteInstances([readSample('studies/ct-4slice-with-seg/17106')], { freshUids: true })[0]!;
    const before = await inbox();
    let sent = 0;
    for (let start = 1; start < whole.length; start += 400) {
      const cuts = Array.from({ length: Math.min(400, whole.length - start) }, (_, i) => whole.subarray(0, start + i));
      const answer = await stow(cuts);
      expect(answer.stored, `cuts ${start}…${start + cuts.length - 1}`).toBe(0);
      expect(answer.failures).toHaveLength(cuts.length);
      sent += cuts.length;
    }
    expect(sent).toBe(whole.length - 1);
    expect(await inbox()).toHaveLength(before.length);

    const answer = await stow([whole]);
    expect(answer).toMatchObject({ status: 200, stored: 1 });
    const [study] = (await inbox()).filter((s) => !before.some((b) => b.id === s.id));
    const metadata = await t.request(`/dicomweb/studies/${study!.studyInstanceUid}/metadata`, { headers: auth() });
    expect(metadata.status).toBe(200);
    const [instance] = await metadata.json();
    const retrieved = await t.request(`/dicomweb/studies/${study!.studyInstanceUid}/series/${instance['0020000E'].Value[0]}/instances/${instance['00080018'].Value[0]}`, {
      headers: { ...auth(), Accept: 'multipart/related; type="application/dicom"' },
    });
    expect(retrieved.status).toBe(200);
  }, 300_000);

  it('answers the same SOP Instance UID with other content as a conflict, and the same bytes as stored', async () => {
    const original = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true })[0]!;
    expect((await stow([original])).status).toBe(200);
    expect(await stow([original])).toMatchObject({ status: 200, failures: [] });
    // Other pixels under the same UIDs.
    const file = parseDicom(original);
    const pixels = file.dataset.elements.find((e) => e.tag === 0x7fe00010)!;
    const changed = original.slice();
    changed[pixels.offset + 100] = changed[pixels.offset + 100]! ^ 0xff;
    expect(await stow([changed])).toMatchObject({ status: 409, stored: 0, failures: [0x0111] });
  });

  it('keeps each study’s identity: a second patient under the same ID is flagged, and a signed report never changes', async () => {
    const ct = readSample('modalities/CT_small.dcm');
    const upload = (name: string) => stow(rewriteInstances([ct], { freshUids: true, replace: { [PatientID]: `SAMEID-${kinds.db}`, [PatientName]: name } }));
    expect((await upload('ALPHA^ONE')).status).toBe(200);
    const alpha = (await inbox()).find((s) => s.identity.name === 'ALPHA^ONE')!;
    expect((await upload('BETA^TWO')).status).toBe(200);
    const studies = await inbox();
    const beta = studies.find((s) => s.identity.name === 'BETA^TWO')!;
    expect(studies.find((s) => s.id === alpha.id)!.identity).toMatchObject({ name: 'ALPHA^ONE', identityConflict: false });
    expect(beta.identity).toMatchObject({ name: 'BETA^TWO', id: `SAMEID-${kinds.db}`, identityConflict: true });

    // Sending both in one consult is refused: they are not shown to be one patient.
    const centre = (await (await t.request('/api/me', { headers: auth() })).json()).readingCentres[0].id;
    const post = (body: unknown) => t.request('/api/consults', { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const both = await post({ readingCentreId: centre, studyIds: [alpha.id, beta.id], clinicalQuestion: 'x', priority: 'routine' });
    expect((await both.json()).error?.code).toBe('ConsultSpansPatients');

    // A report signed on A names ALPHA^ONE, also after a third upload under the same ID.
    const consultId = (await (await post({ readingCentreId: centre, studyIds: [alpha.id], clinicalQuestion: 'Nodule?', priority: 'routine' })).json()).consult.id;
    const specialist = await t.token('specialist@scc.demo');
    const asSpecialist = (method: string, path: string, body?: unknown) =>
      t.request(path, { method, headers: { Authorization: `Bearer ${specialist}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await asSpecialist('POST', `/api/consults/${consultId}/report`, { templateId: 'general', language: 'en' })).status).toBe(201);
    const values = { technique: { en: 'CT.' }, findings: { en: 'A nodule.' }, impression: { en: 'Small nodule.' } };
    expect((await asSpecialist('PUT', `/api/consults/${consultId}/report`, { version: 1, changes: { values } })).status).toBe(200);
    expect((await asSpecialist('POST', `/api/consults/${consultId}/report/sign`, { version: 2, kind: 'final' })).status).toBe(200);
    expect((await upload('GAMMA^THREE')).status).toBe(200);
    const fhir = JSON.stringify(await (await t.request(`/api/consults/${consultId}/report/fhir`, { headers: auth() })).json());
    expect(fhir).toContain('ALPHA');
    expect(fhir).not.toMatch(/BETA|GAMMA/);
    const pdf = await t.request(`/api/consults/${consultId}/report/pdf`, { headers: auth() });
    writeFileSync(join(dir, 'report.pdf'), new Uint8Array(await pdf.arrayBuffer()));
    const text = execFileSync('pdftotext', [join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain('ALPHA');
    expect(text).not.toMatch(/BETA|GAMMA/);
  }, 120_000);

  it('refuses an instance that names another patient than the rest of its study', async () => {
    const [first] = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true });
    expect((await stow([first!])).status).toBe(200);
    // Same study, a new instance UID, another patient's name.
    const [other] = rewriteInstances([first!], { replace: { [PatientName]: 'SOMEONE^ELSE', 0x00080018: '2.25.81234567890123456789' } });
    expect(await stow([other!])).toMatchObject({ status: 409, failures: [0xa900] });
  });

  it('never merges patients without ID or name, and writes the pseudonymous Patient ID into the stored file', async () => {
    const nameless = { [PatientID]: '', [PatientName]: '', [PatientBirthDate]: '' };
    const before = await inbox();
    for (let n = 0; n < 3; n++) expect((await stow(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: nameless }))).status).toBe(200);
    const added = (await inbox()).filter((s) => !before.some((b) => b.id === s.id));
    expect(added).toHaveLength(3);
    const specialistView = await Promise.all(
      added.map(async (s) => {
        const [instance] = await (await t.request(`/dicomweb/studies/${s.studyInstanceUid}/metadata`, { headers: auth() })).json();
        return instance['00100020']?.Value?.[0] as string | undefined;
      }),
    );
    // Three patients, each with a pseudonymous ID in the stored file.
    expect(specialistView.every((id) => /^YZ[A-Z0-9]+$/.test(id ?? ''))).toBe(true);
    expect(new Set(specialistView).size).toBe(3);
  });
});
