import { execFile } from 'node:child_process';
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
});
