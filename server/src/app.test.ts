import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from './testing/test-app.js';

describe('app shell on S3 storage', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded', store: 's3' });
  }, 60_000);
  afterAll(() => t.close());

  it('answers /healthz and /readyz', async () => {
    expect(await (await t.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await t.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', objectStore: 'ok' } });
  });

  it('reports a dead object store on /readyz with 503 and Retry-After, while /healthz stays up', async () => {
    await t.s3!.kill();
    try {
      const ready = await t.request('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.headers.get('Retry-After')).toBe('5');
      expect(await ready.json()).toMatchObject({ checks: { database: 'ok', objectStore: 'unavailable' } });
      expect((await t.request('/healthz')).status).toBe(200);
    } finally {
      await t.s3!.start();
    }
    expect((await t.request('/readyz')).status).toBe(200);
  });

  it('sends security headers on every response', async () => {
    const response = await t.request('/healthz');
    const csp = response.headers.get('Content-Security-Policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain("'unsafe-eval'");
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(response.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(response.headers.get('X-Request-Id')).toMatch(/.+/);
  });

  it('keeps a client’s X-Request-Id only when it is a UUID, so free text never reaches the logs', async () => {
    const canary = 'ZHANG-WEI-MRN-0038841';
    const refused = await t.request('/healthz', { headers: { 'X-Request-Id': canary } });
    expect(refused.headers.get('X-Request-Id')).not.toBe(canary);
    expect(t.logs.join('')).not.toContain(canary);
    const uuid = '3f2c7a4e-9b1d-4c8e-a5f6-0d2e4b6c8a10';
    expect((await t.request('/healthz', { headers: { 'X-Request-Id': uuid } })).headers.get('X-Request-Id')).toBe(uuid);
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const response = await t.request('/api/nothing-here');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'NotFound', message: 'no such API route' } });
  });
});

describe('cross-origin requests', () => {
  let t: TestApp;
  const allowed = 'https://viewer.hospital.example';
  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded', store: 'filesystem', settings: { corsOrigins: [allowed] } });
  }, 60_000);
  afterAll(() => t.close());

  it('answers an allowed origin with CORS headers, and any other origin without them', async () => {
    const preflight = await t.request('/dicomweb/studies', { method: 'OPTIONS', headers: { Origin: allowed, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'Authorization' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe(allowed);
    expect(preflight.headers.get('Access-Control-Allow-Headers')).toContain('Authorization');
    const fromAllowed = await t.request('/api/nothing-here', { headers: { Origin: allowed } });
    expect(fromAllowed.headers.get('Access-Control-Allow-Origin')).toBe(allowed);
    expect(fromAllowed.headers.get('Access-Control-Expose-Headers')).toContain('X-Request-Id');
    for (const origin of ['https://elsewhere.example', undefined]) {
      const response = await t.request('/api/nothing-here', { headers: origin ? { Origin: origin } : {} });
      expect(response.headers.get('Access-Control-Allow-Origin')).toBeNull();
      expect(response.headers.get('X-Request-Id')).toMatch(/.+/);
    }
  });
});

describe('the built viewer', () => {
  let t: TestApp;
  const dist = mkdtempSync(join(tmpdir(), 'yunzhen-dist-'));
  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Yunzhen</title>');
    writeFileSync(join(dist, 'assets', 'app-abc123.js'), 'export {};');
    t = await createTestApp({ db: 'embedded', settings: { viewerDist: dist } });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('caches fingerprinted assets for a year, answers a missing one 404 (not the page, not cached), and routes the rest to the page', async () => {
    const asset = await t.request('/assets/app-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('Cache-Control')).toContain('immutable');
    const missing = await t.request('/assets/app-gone999.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Cache-Control')).not.toContain('max-age=31536000');
    const page = await t.request('/consults/some-id');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Yunzhen</title>');
  });
});
