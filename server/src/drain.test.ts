import { request } from 'node:http';

import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';

import { readSample, stowBody } from './testing/dicom-fixtures.js';
import { demoToken, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

/**
 * A replica taken out of the balancer (SIGTERM) stops accepting connections and lets an upload
 * in flight finish, for up to DRAIN_SECONDS, before it exits.
 */
describe('graceful drain on SIGTERM', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer({ env: { DRAIN_SECONDS: '60', DICOM_PORT: 'off' } });
  }, 120_000);
  afterAll(() => server?.stop());

  it('finishes an upload that is still arriving well after SIGTERM, refuses new connections, then exits 0', async () => {
    // What the server said, when the drain goes wrong: its warnings and errors (the log has no patient data).
    onTestFailed(() => console.log(readFileSync(server.logPath, 'utf8').split('\n').filter((line) => /"level":(40|50|60)/.test(line)).join('\n')));
    const token = await demoToken(server.url, 'rad@xuhui.demo');
    const stow = stowBody([readSample('studies/mr-16slice/MR01.dcm')]);
    const body = Buffer.from(await stow.body.arrayBuffer());
    const contentType = stow.contentType;
    const url = new URL('/dicomweb/studies', server.url);
    const half = Math.floor(body.length / 2);
    // The request must be in flight when SIGTERM comes: a connection whose request the server has
    // not read yet is idle, and a draining server closes idle connections. "Expect: 100-continue"
    // makes the server say when it has read the headers; only then does half the body go.
    let inFlight!: () => void;
    const started = new Promise<void>((resolve) => (inFlight = resolve));
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, 'Content-Length': String(body.length), Expect: '100-continue' } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.on('continue', () => {
        req.write(body.subarray(0, half), () => inFlight());
        // The rest comes long after SIGTERM: past the 10 s at which the server used to exit regardless.
        setTimeout(() => req.end(body.subarray(half)), 13_000);
      });
    });
    await started;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await expect(fetch(new URL('/healthz', server.url)), 'a new connection while draining').rejects.toThrow();
    const { status, text } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(text)['00081199'].Value).toHaveLength(1);
    expect(await exited).toBe(0);
  }, 120_000);
});
