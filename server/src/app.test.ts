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
