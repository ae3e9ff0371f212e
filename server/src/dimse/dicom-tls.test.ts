import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, samplesDir } from '../testing/dicom-fixtures.js';
import { freePort } from '../testing/orthanc.js';
import { createTestApp, type TestApp, type TestSession } from '../testing/test-app.js';
import { createAutoConsults } from './auto-consult.js';
import { createStorageScp } from './storage-scp.js';
import { StoreError, storeFiles } from './store-scu.js';

/** Runs a DCMTK tool; resolves with its exit code and output (never throws on a non-zero exit). */
function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Self-signed certificates, as hospitals' modalities and PACS mostly carry, made with openssl. */
function makeCertificates(dir: string, names: string[]): Record<string, { key: string; cert: string; sha256: string }> {
  const made: Record<string, { key: string; cert: string; sha256: string }> = {};
  for (const name of names) {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.pem`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    made[name] = { key, cert, sha256: new X509Certificate(readFileSync(cert)).fingerprint256 };
  }
  return made;
}

const json = (body: unknown) => ({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/**
 * DICOM TLS (PS3.15 Annex B) with DCMTK as the peer on both sides, and the per-device rule that
 * creates the consult once a study sent by DIMSE is complete.
 */
describe('DICOM TLS and device rules', () => {
  let t: TestApp;
  let scp: ReturnType<typeof createStorageScp>;
  let plainPort: number;
  let tlsPort: number;
  let admin: TestSession;
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let clockOffsetMs = 0;
  const now = () => new Date(Date.now() + clockOffsetMs);

  const register = (body: Record<string, unknown>) => t.request('/api/devices', { method: 'POST', session: admin, ...json(body) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'yunzhen-tls-'));
    certs = makeCertificates(dir, ['yunzhen', 'modality', 'stranger', 'pacs']);
    t = await createTestApp({ db: 'embedded', settings: { dicomTls: true } });
    scp = createStorageScp({ repos: t.repos, ingest: t.ingest, logger: t.logger, aeTitle: 'YUNZHEN', maxInstanceBytes: 64 * 1024 * 1024, now });
    plainPort = await scp.listen(0, '127.0.0.1');
    tlsPort = await scp.listenTls(0, '127.0.0.1', { cert: readFileSync(certs.yunzhen!.cert), key: readFileSync(certs.yunzhen!.key) });
    admin = await t.login('admin@xuhui.demo');
  }, 120_000);
  afterAll(async () => {
    await scp?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsPeer = (name: string) => ['+tls', certs[name]!.key, certs[name]!.cert, '+cf', certs.yunzhen!.cert];

  it('accepts a TLS device only over TLS and with its pinned certificate, in words in the audit', async () => {
    const created = await register({ name: 'CT (TLS)', aeTitle: 'XUHUI_CT_TLS', allowedCidrs: ['127.0.0.1'], tls: true, certificateSha256: certs.modality!.sha256 });
    expect(created.status).toBe(201);
    // The fingerprint as openssl prints it (colons, upper case) is stored in one form.
    expect((await created.json()).device).toMatchObject({ tls: true, certificateSha256: certs.modality!.sha256.replace(/:/g, '').toLowerCase() });

    const plain = await run('echoscu', ['-aet', 'XUHUI_CT_TLS', '-aec', 'YUNZHEN', '127.0.0.1', String(plainPort)]);
    expect(plain.code).not.toBe(0);
    expect(plain.output).toMatch(/Calling AE Title Not Recognized/i);

    const otherCertificate = await run('echoscu', [...tlsPeer('stranger'), '-aet', 'XUHUI_CT_TLS', '-aec', 'YUNZHEN', '127.0.0.1', String(tlsPort)]);
    expect(otherCertificate.code).not.toBe(0);
    expect(otherCertificate.output).toMatch(/Calling AE Title Not Recognized/i);

    const right = await run('echoscu', [...tlsPeer('modality'), '-aet', 'XUHUI_CT_TLS', '-aec', 'YUNZHEN', '127.0.0.1', String(tlsPort)]);
    expect(right.output).toBe('');
    expect(right.code).toBe(0);

    const reasons = (await t.repos.audit.list({ eventCode: '110113', limit: 10 })).map((e) => (e.detail as { reason?: string }).reason);
    expect(reasons).toEqual(expect.arrayContaining(['tls-required', 'client-certificate-not-accepted']));
  }, 120_000);

  it('refuses a TLS device when the server has no certificate, and a rule without a licensed radiographer or a reading centre', async () => {
    const plainServer = await createTestApp({ db: 'embedded' });
    try {
      const session = await plainServer.login('admin@xuhui.demo');
      const response = await plainServer.request('/api/devices', { method: 'POST', session, ...json({ name: 'CT', aeTitle: 'CT1', allowedCidrs: ['127.0.0.1'], tls: true }) });
      expect(response.status).toBe(400);
      expect((await response.json()).error.message).toMatch(/DICOM_TLS_CERT/);
    } finally {
      await plainServer.close();
    }
    const { readingCentres, radiographers } = await (await t.request('/api/devices', { session: admin })).json();
    const doctor = (await t.repos.users.findByEmail('doctor@xuhui.demo'))!;
    const minhangRadiographer = (await t.repos.users.findByEmail('rad@minhang.demo'))!;
    const rule = { readingCentreId: readingCentres[0].id, priority: 'urgent', quietSeconds: 60, clinicalQuestion: 'CT chest: nodules?', onBehalfOf: radiographers[0].id };
    for (const [label, changed] of [
      ['a referring doctor', { onBehalfOf: doctor.id }],
      ["another hospital's radiographer", { onBehalfOf: minhangRadiographer.id }],
      ['a hospital that is not a reading centre', { readingCentreId: doctor.tenant_id }],
    ] as const) {
      const response = await register({ name: 'CT', aeTitle: 'CT_RULE', allowedCidrs: ['127.0.0.1'], autoConsult: { ...rule, ...changed } });
      expect(response.status, label).toBe(400);
    }
    expect(radiographers.map((r: { displayName: string }) => r.displayName)).toEqual(['Li Na (radiographer)']);
  }, 120_000);

  it('creates the consult once a study sent by C-STORE has been quiet for the rule’s time, once, in the radiographer’s name', async () => {
    const { readingCentres, radiographers } = await (await t.request('/api/devices', { session: admin })).json();
    const rule = { readingCentreId: readingCentres[0].id, priority: 'urgent', quietSeconds: 60, clinicalQuestion: 'CT chest: nodules?', onBehalfOf: radiographers[0].id };
    expect((await register({ name: 'CT with rule', aeTitle: 'XUHUI_CT_AUTO', allowedCidrs: ['127.0.0.1'], autoConsult: rule })).status).toBe(201);
    const rules = createAutoConsults({ repos: t.repos, logger: t.logger, now });

    const sent = await run('storescu', ['-aet', 'XUHUI_CT_AUTO', '-aec', 'YUNZHEN', '+sd', '127.0.0.1', String(plainPort), join(samplesDir, 'studies/mr-16slice')]);
    expect(sent.code, sent.output).toBe(0);
    // Not quiet long enough yet: nothing.
    expect(await rules.tick()).toBe(0);
    clockOffsetMs += 61_000;
    expect(await rules.tick()).toBe(1);
    expect(await rules.tick()).toBe(0);

    const radiographer = await t.login('rad@xuhui.demo');
    const { consults } = await (await t.request('/api/consults', { session: radiographer })).json();
    expect(consults).toHaveLength(1);
    expect(consults[0]).toMatchObject({ clinicalQuestion: 'CT chest: nodules?', priority: 'urgent', readingCentre: { id: readingCentres[0].id } });
    const consult = await t.repos.consults.get(consults[0].sendingHospital.id, consults[0].id);
    expect(consult!.created_by).toBe(radiographers[0].id);
    const [audit] = await t.repos.audit.list({ eventCode: '110111', limit: 1 });
    expect(audit).toMatchObject({ object_type: 'consult', object_id: consults[0].id, user_id: null });

    // A later instance of the same study joins no second consult; the radiographer adds studies by hand.
    const again = await run('storescu', ['-aet', 'XUHUI_CT_AUTO', '-aec', 'YUNZHEN', '127.0.0.1', String(plainPort), join(samplesDir, 'studies/mr-16slice', readdirSync(join(samplesDir, 'studies/mr-16slice'))[0]!)]);
    expect(again.code, again.output).toBe(0);
    clockOffsetMs += 61_000;
    expect(await rules.tick()).toBe(0);
  }, 180_000);

  describe('the signed report to a PACS over DICOM TLS (storescp +tls)', () => {
    let pacsPort: number;
    let storescp: ChildProcess;
    // Any Part 10 file will do: the SR and PDF are tested beside; here the transport is.
    const anyInstance = () => readSample('modalities/CT_small.dcm');
    const target = (tls: Parameters<typeof storeFiles>[0]['tls']) => ({ host: '127.0.0.1', port: pacsPort, calledAe: 'XUHUI_PACS', callingAe: 'YUNZHEN', tls });
    const ours = () => ({ cert: readFileSync(certs.yunzhen!.cert), key: readFileSync(certs.yunzhen!.key) });

    beforeAll(async () => {
      pacsPort = await freePort();
      // The PACS requires a client certificate and trusts ours only.
      storescp = spawn('storescp', ['+tls', certs.pacs!.key, certs.pacs!.cert, '+cf', certs.yunzhen!.cert, '-aet', 'XUHUI_PACS', '-od', dir, String(pacsPort)], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        const probe = await run('echoscu', ['+tls', certs.yunzhen!.key, certs.yunzhen!.cert, '+cf', certs.pacs!.cert, '-aec', 'XUHUI_PACS', '127.0.0.1', String(pacsPort)]);
        if (probe.code === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }, 60_000);
    afterAll(() => {
      storescp?.kill();
    });

    it('delivers to the pinned certificate, and says in words when the certificate differs or no CA vouches for it', async () => {
      const pinned = certs.pacs!.sha256.replace(/:/g, '').toLowerCase();
      await expect(storeFiles(target({ ...ours(), certificateSha256: pinned }), [{ bytes: anyInstance() }])).resolves.toEqual([{ status: 0 }]);

      const wrongPin = storeFiles(target({ ...ours(), certificateSha256: certs.stranger!.sha256.replace(/:/g, '').toLowerCase() }), [{ bytes: anyInstance() }]);
      await expect(wrongPin).rejects.toThrow(StoreError);
      await expect(wrongPin).rejects.toThrow(/not the one registered for the device/);

      await expect(storeFiles(target({ ...ours(), certificateSha256: null }), [{ bytes: anyInstance() }])).rejects.toThrow(/TLS certificate was not accepted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
      // The PACS's certificate given as a trusted CA (DICOM_TLS_CA): verified and accepted.
      await expect(storeFiles(target({ ...ours(), certificateSha256: null, ca: readFileSync(certs.pacs!.cert) }), [{ bytes: anyInstance() }])).resolves.toEqual([{ status: 0 }]);

      // Without our client certificate the PACS hangs up during the handshake.
      await expect(storeFiles(target({ certificateSha256: pinned }), [{ bytes: anyInstance() }])).rejects.toThrow(StoreError);
    }, 120_000);
  });
});
