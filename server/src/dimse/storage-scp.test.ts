import { execFile } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { scanDicom } from '@yunzhen/dicom';
import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';

import { samplesDir } from '../testing/dicom-fixtures.js';
import { createConsult } from '../testing/seed-consult.js';
import { createTestApp, type TestApp, type TestSession } from '../testing/test-app.js';
import { createStorageScp } from './storage-scp.js';

/** Runs a DCMTK tool; resolves with its exit code and output (never throws on a non-zero exit). */
function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

const sample = (path: string) => join(samplesDir, path);

/** What the sending modality names the patients (PatientName of the samples sent below). */
const originalNames = ['CompressedSamples', 'DOE^J1', 'Lestrade'];

/**
 * Real peers: DCMTK's echoscu and storescu against the DIMSE listener, with devices
 * registered through the admin API, into the same ingest pipeline as STOW-RS.
 */
describe('DIMSE storage SCP with DCMTK peers', () => {
  let t: TestApp;
  let scp: ReturnType<typeof createStorageScp>;
  let port: number;
  let admin: TestSession;
  let xuhuiId: string;

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    scp = createStorageScp({ repos: t.repos, ingest: t.ingest, logger: t.logger, aeTitle: 'YUNZHEN', maxInstanceBytes: 64 * 1024 * 1024 });
    port = await scp.listen(0, '127.0.0.1');
    admin = await t.login('admin@xuhui.demo');
    xuhuiId = (await t.repos.users.findByEmail('admin@xuhui.demo'))!.tenant_id;
    const register = async (body: unknown) => {
      const response = await t.request('/api/devices', { method: 'POST', session: admin, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(201);
    };
    await register({ name: 'CT room 1', aeTitle: 'XUHUI_CT', allowedCidrs: ['127.0.0.0/8'], maySend: true });
    await register({ name: 'MR (other subnet)', aeTitle: 'XUHUI_MR', allowedCidrs: ['10.99.0.0/16'], maySend: true });
    await register({ name: 'Disabled', aeTitle: 'XUHUI_OLD', allowedCidrs: ['127.0.0.1'], maySend: true, enabled: false });
  }, 120_000);
  afterAll(async () => {
    await scp?.close();
    await t?.close();
  });

  const echo = (callingAe: string, calledAe = 'YUNZHEN') => run('echoscu', ['-aet', callingAe, '-aec', calledAe, '127.0.0.1', String(port)]);

  it('answers C-ECHO from a registered device', async () => {
    const result = await echo('XUHUI_CT');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);

  it('rejects an unregistered AE, a registered AE from another address, a disabled device and a wrong called AE, with the right reason, audited', async () => {
    for (const ae of ['STRANGER', 'XUHUI_MR', 'XUHUI_OLD']) {
      const result = await echo(ae);
      expect(result.code, ae).not.toBe(0);
      expect(result.output, ae).toMatch(/Association Rejected/i);
      expect(result.output, ae).toMatch(/Calling AE Title Not Recognized/i);
    }
    const wrongCalled = await echo('XUHUI_CT', 'SOMEONE_ELSE');
    expect(wrongCalled.code).not.toBe(0);
    expect(wrongCalled.output).toMatch(/Called AE Title Not Recognized/i);

    const alerts = (await t.repos.audit.list({ eventCode: '110113', limit: 100 })).filter((e) => (e.detail as { entryPoint?: string }).entryPoint === 'dimse');
    expect(alerts.map((e) => (e.detail as { callingAe: string }).callingAe)).toEqual(expect.arrayContaining(['STRANGER', 'XUHUI_MR', 'XUHUI_OLD']));
  }, 120_000);

  it('refuses an AE title and address that two hospitals registered, since the studies could be either’s', async () => {
    const centreAdmin = await t.login('admin@scc.demo');
    for (const session of [admin, centreAdmin]) {
      const response = await t.request('/api/devices', { method: 'POST', session, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Shared', aeTitle: 'SHARED_AE', allowedCidrs: ['127.0.0.1'] }) });
      expect(response.status).toBe(201);
    }
    const result = await echo('SHARED_AE');
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/Calling AE Title Not Recognized/i);
    const [alert] = (await t.repos.audit.list({ eventCode: '110113', limit: 1 }));
    expect(alert!.detail).toMatchObject({ entryPoint: 'dimse', reason: 'calling-ae-ambiguous', callingAe: 'SHARED_AE' });
  }, 120_000);

  it('stores what storescu sends in several transfer syntaxes, de-identified, in the hospital’s inbox, audited', async () => {
    const peer = ['-aet', 'XUHUI_CT', '-aec', 'YUNZHEN', '127.0.0.1', String(port)];
    // storescu proposes uncompressed syntaxes unless told one compressed syntax to propose;
    // dcmsend proposes each file's own. Both as a hospital would run them.
    const runs = [
      ['storescu', '-xi', '+sd', 'studies/mr-16slice'], // Implicit VR Little Endian, 16 slices
      ['storescu', 'modalities/CT_small.dcm'], // Explicit VR Little Endian
      ['storescu', '-xr', 'transfer-syntaxes/MR_small_RLE.dcm'], // RLE Lossless
      ['storescu', '-xw', 'transfer-syntaxes/JPEG2000.dcm'], // JPEG 2000
      ['storescu', '-xy', 'transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm'], // JPEG Baseline
      ['dcmsend', 'transfer-syntaxes/image_dfl.dcm'], // Deflated Explicit VR LE
    ];
    for (const [tool, ...args] of runs) {
      const options = args.filter((a) => a.startsWith('-') || a.startsWith('+'));
      const files = args.filter((a) => !options.includes(a)).map(sample);
      const result = await run(tool!, [...options, ...peer, ...files]);
      expect(result.output, args.join(' ')).not.toMatch(/Store Failed|Warning|Error|failed/i);
      expect(result.code, args.join(' ')).toBe(0);
    }

    const studies = await t.repos.studies.listStudies({ tenantId: xuhuiId, inboxOnly: true });
    const instances = (await Promise.all(studies.map((s) => t.repos.studies.listInstances(s.id)))).flat();
    expect(instances).toHaveLength(21);
    expect(new Set(instances.map((i) => i.transfer_syntax_uid))).toEqual(
      new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.1.99']),
    );
    for (const study of studies) {
      expect(study.pseudonym_name).not.toMatch(/CompressedSamples|DOE|Lestrade/);
      expect(study.study_uid.startsWith('2.25.')).toBe(true);
    }
    // The stored objects carry no original name (the deflated one is checked by its index row above).
    for (const instance of instances.filter((i) => i.transfer_syntax_uid !== '1.2.840.10008.1.2.1.99')) {
      const object = await t.store.get(instance.object_key);
      const bytes = Buffer.from(await new Response(object!.body).arrayBuffer()).toString('latin1');
      for (const name of originalNames) expect(bytes).not.toContain(name);
    }

    const imports = (await t.repos.audit.list({ tenantId: xuhuiId, eventCode: '110107', limit: 10 })).filter((e) => (e.detail as { entryPoint?: string }).entryPoint === 'dimse');
    // One Import event per association, attributed to the device (no user), none rejected.
    expect(imports).toHaveLength(runs.length);
    for (const event of imports) expect(event).toMatchObject({ user_id: null, object_type: 'dicom_device', source_ip: expect.stringContaining('127.0.0.1'), detail: expect.objectContaining({ rejected: 0, aeTitle: 'XUHUI_CT' }) });
    expect(imports.reduce((n, e) => n + (e.detail as { stored: number }).stored, 0)).toBe(21);
    // No patient data in the logs.
    for (const name of originalNames) expect(t.logs.join('')).not.toContain(name);
  }, 300_000);

  it('takes a 300-slice CT in one association, which the reading centre sees after a consult, de-identified', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const folder = await mkdtemp(join(tmpdir(), 'yunzhen-dimse-ct-'));
    const files = buildCtSeries({ slices: 300, rows: 64, columns: 64, seed: 31 });
    await Promise.all(files.map((f, i) => writeFile(join(folder, `CT${i}.dcm`), f)));
    const scan = scanDicom(files[0]!);
    if (!scan.ok) throw new Error('synthetic CT');
    const originalStudyUid = scan.attributes.StudyInstanceUID!;

    const result = await run('storescu', ['-aet', 'XUHUI_CT', '-aec', 'YUNZHEN', '+sd', '127.0.0.1', String(port), folder]);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);

    const stored = (await t.repos.studies.listStudies({ tenantId: xuhuiId, inboxOnly: true })).find((study) => Number(study.instance_count) === 300);
    expect(stored).toBeDefined();
    expect(stored!.study_uid).not.toBe(originalStudyUid);
    const baseUrl = await t.listen();
    const consult = await createConsult(baseUrl, await t.token('rad@xuhui.demo'), [stored!.study_uid], { clinicalQuestion: 'DIMSE 300' });
    const specialist = await t.token('specialist@scc.demo');
    const studies = (await (await t.request('/dicomweb/studies', { headers: { Authorization: `Bearer ${specialist}`, Accept: 'application/dicom+json' } })).json()) as Record<string, { Value?: unknown[] }>[];
    const seen = studies.filter((study) => study['00201208']?.Value?.[0] === 300);
    expect(seen).toHaveLength(1);
    // The reading centre sees the pseudonymous study, never the original UID.
    expect(JSON.stringify(studies)).not.toContain(originalStudyUid);
    expect(consult.id).toEqual(expect.any(String));
  }, 300_000);

  it('answers an image without pixel data with A900 and stores nothing', async () => {
    const { mkdtemp, copyFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const file = join(await mkdtemp(join(tmpdir(), 'yunzhen-dimse-')), 'no-pixels.dcm');
    await copyFile(sample('modalities/CT_small.dcm'), file);
    expect((await run('dcmodify', ['-nb', '-ie', '-e', '(7fe0,0010)', '-m', '(0008,0018)=1.2.3.4.5.6.7.8.9', file])).code).toBe(0);
    const before = (await t.repos.studies.listStudies({ tenantId: xuhuiId })).length;
    const result = await run('storescu', ['-v', '-aet', 'XUHUI_CT', '-aec', 'YUNZHEN', '127.0.0.1', String(port), file]);
    expect(result.output).toMatch(/Received Store Response \(Error: DataSetDoesNotMatchSOPClass\)/);
    expect((await t.repos.studies.listStudies({ tenantId: xuhuiId })).length).toBe(before);
    // Audited with the pipeline's reason.
    const [latest] = await t.repos.audit.list({ tenantId: xuhuiId, eventCode: '110107', limit: 1 });
    expect(latest!.detail).toMatchObject({ entryPoint: 'dimse', stored: 0, rejected: 1, reasons: ['MissingPixelData'] });
  }, 120_000);

  it('aborts a peer that announces a PDU longer than allowed, before buffering it', async () => {
    const { connect } = await import('node:net');
    const socket = connect(port, '127.0.0.1');
    const header = Buffer.from([0x01, 0, 0x7f, 0xff, 0xff, 0xff]);
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(chunk));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(header);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // A-ABORT (type 7), source 2 (service provider), reason 6 (invalid parameter value).
    expect([...Buffer.concat(received)]).toEqual([0x07, 0, 0, 0, 0, 4, 0, 0, 2, 6]);
  }, 60_000);

  it('refuses an instance over MAX_INSTANCE_MB with A700, reading and dropping the rest, and the association goes on', async () => {
    const small = createStorageScp({ repos: t.repos, ingest: t.ingest, logger: t.logger, aeTitle: 'YUNZHEN', maxInstanceBytes: 20_000 });
    const smallPort = await small.listen(0, '127.0.0.1');
    try {
      const result = await run('storescu', ['-v', '-nh', '-aet', 'XUHUI_CT', '-aec', 'YUNZHEN', '127.0.0.1', String(smallPort), sample('modalities/CT_small.dcm'), sample('transfer-syntaxes/MR_small.dcm')]);
      expect(result.output).toMatch(/Received Store Response \(Refused: OutOfResources\)/);
      // The second, smaller file on the same association is answered on its own merits.
      expect(result.output).toMatch(/Received Store Response \(Success\)/);
    } finally {
      await small.close();
    }
  }, 120_000);
});
