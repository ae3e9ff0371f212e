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
