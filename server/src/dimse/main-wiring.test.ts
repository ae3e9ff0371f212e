import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { samplesDir } from '../testing/dicom-fixtures.js';
import { demoToken, spawnServer, type SpawnedServer } from '../testing/spawn-server.js';

const run = (command: string, args: string[]) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    execFile(command, args, { timeout: 120_000 }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}` }));
  });

/** The server as an operator starts it (main.ts): the DIMSE listener is on, and feeds the hospital's inbox. */
describe('DIMSE listener of the started server', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer();
  }, 120_000);
  afterAll(() => server?.stop());

  it('listens for DICOM, accepts a device registered by the admin, and stores what it sends in the inbox', async () => {
    expect(server.dicomPort).toEqual(expect.any(Number));
    const port = String(server.dicomPort);
    expect((await run('echoscu', ['-aet', 'XUHUI_CT', '-aec', 'YUNZHEN', '127.0.0.1', port])).code).not.toBe(0);

    const admin = await demoToken(server.url, 'admin@xuhui.demo');
    const created = await fetch(new URL('/api/devices', server.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'CT', aeTitle: 'XUHUI_CT', allowedCidrs: ['127.0.0.1/32', '::1/128'] }),
    });
    expect(created.status).toBe(201);

    const echo = await run('echoscu', ['-aet', 'XUHUI_CT', '-aec', 'YUNZHEN', '127.0.0.1', port]);
    expect(echo.output).toBe('');
    expect(echo.code).toBe(0);
    const store = await run('storescu', ['-aet', 'XUHUI_CT', '-aec', 'YUNZHEN', '127.0.0.1', port, join(samplesDir, 'modalities/CT_small.dcm')]);
    expect(store.output).toBe('');
    expect(store.code).toBe(0);

    const rad = await demoToken(server.url, 'rad@xuhui.demo');
    const { studies } = (await (await fetch(new URL('/api/studies?inbox=true', server.url), { headers: { Authorization: `Bearer ${rad}` } })).json()) as { studies: unknown[] };
    expect(studies).toHaveLength(1);
  }, 180_000);

  describe('with DICOM TLS configured and a device rule', () => {
    let secured: SpawnedServer;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'yunzhen-tls-wiring-'));
      for (const name of ['server', 'modality']) {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '30', '-subj', `/CN=${name}`], { stdio: 'ignore' });
      }
      secured = await spawnServer({ env: { DICOM_TLS_PORT: '0', DICOM_TLS_CERT: join(dir, 'server.pem'), DICOM_TLS_KEY: join(dir, 'server.key') } });
    }, 120_000);
    afterAll(async () => {
      await secured?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('accepts a TLS device on the TLS port, and its rule sends the quiet study to the reading centre', async () => {
      expect(secured.dicomTlsPort).toEqual(expect.any(Number));
      const admin = await demoToken(secured.url, 'admin@xuhui.demo');
      const api = (path: string, body?: unknown) =>
        fetch(new URL(path, secured.url), { method: body ? 'POST' : 'GET', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const { readingCentres, radiographers, tlsAvailable } = (await (await api('/api/devices')).json()) as { readingCentres: { id: string }[]; radiographers: { id: string }[]; tlsAvailable: boolean };
      expect(tlsAvailable).toBe(true);
      const autoConsult = { readingCentreId: readingCentres[0]!.id, priority: 'routine', quietSeconds: 10, clinicalQuestion: 'MR: please read', onBehalfOf: radiographers[0]!.id };
      expect((await api('/api/devices', { name: 'MR (TLS)', aeTitle: 'XUHUI_MR', allowedCidrs: ['127.0.0.1/32', '::1/128'], tls: true, autoConsult })).status).toBe(201);

      const tls = ['+tls', join(dir, 'modality.key'), join(dir, 'modality.pem'), '+cf', join(dir, 'server.pem')];
      const store = await run('storescu', [...tls, '-aet', 'XUHUI_MR', '-aec', 'YUNZHEN', '+sd', '127.0.0.1', String(secured.dicomTlsPort), join(samplesDir, 'studies/mr-16slice')]);
      expect(store.output).toBe('');
      expect(store.code).toBe(0);

      // The rule's pass runs every 5 s; the study is quiet after 10 s.
      const rad = await demoToken(secured.url, 'rad@xuhui.demo');
      let consults: { clinicalQuestion: string }[] = [];
      for (let i = 0; i < 120 && consults.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        consults = ((await (await fetch(new URL('/api/consults', secured.url), { headers: { Authorization: `Bearer ${rad}` } })).json()) as { consults: typeof consults }).consults;
      }
      expect(consults.map((c) => c.clinicalQuestion)).toEqual(['MR: please read']);
    }, 240_000);
  });
});
