import { request } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, stowBody } from './testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from './testing/test-app.js';

/** pino levels: 50 error, 40 warn, 30 info. */
const levelsOf = (logs: string[]) => logs.flatMap((line) => line.split('\n').filter(Boolean)).map((line) => JSON.parse(line) as { level: number; msg: string });

describe('a client that goes away mid-upload', () => {
  let t: TestApp;
  let base: string;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    base = await t.listen();
    token = await t.token('rad@xuhui.demo');
  }, 60_000);
  afterAll(() => t.close());

  it('is logged as the client leaving (info), not as a server error, and the server keeps serving', async () => {
    const stow = stowBody([readSample('modalities/CT_small.dcm'), readSample('modalities/CT_small.dcm')]);
    const body = new Uint8Array(await stow.body.arrayBuffer());
    const contentType = stow.contentType;
    const before = t.logs.length;
    await new Promise<void>((resolve) => {
      const req = request(new URL("/dicomweb/studies", base), {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, 'Content-Length': String(body.length) },
      });
      req.on('error', () => resolve());
      req.write(body.subarray(0, Math.floor(body.length / 2)));
      // The radiographer closes the tab: the connection is torn down with half the body sent.
      setTimeout(() => req.destroy(), 300);
    });
    // Give the server time to notice the reset and finish the request.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const lines = levelsOf(t.logs.slice(before));
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(lines.some((line) => line.level === 30 && /client closed/i.test(line.msg))).toBe(true);
    expect((await fetch(new URL("/healthz", base))).status).toBe(200);
  });
});
