import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testDbKinds } from '@yunzhen/db/testing';

import { createTestApp, type TestApp } from '../testing/test-app.js';

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

describe.each(testDbKinds)('authentication on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ db });
  }, 60_000);
  afterAll(() => t.close());

  it('refuses an endless login body after a few kilobytes, without reading the rest (no Content-Length)', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 16 * 1024;
        controller.enqueue(new TextEncoder().encode('{"email":"' + 'a'.repeat(16 * 1024 - 10)));
      },
    });
    const response = await t.request('/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: endless, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe('PayloadTooLarge');
    expect(pulled).toBeLessThanOrEqual(64 * 1024);
    // Nothing is locked or broken by it.
    expect((await t.request('/api/auth/login', json({ email: 'rad@xuhui.demo', password: 'yunzhen-demo' }))).status).toBe(200);
  });

  it('refuses a JSON body over its route\'s limit with 413, signed in or not', async () => {
    const token = await t.token('rad@xuhui.demo');
    const huge = JSON.stringify({ readingCentreId: 'x', studyIds: [], clinicalQuestion: 'q'.repeat(600 * 1024), priority: 'routine' });
    const response = await t.request('/api/consults', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: huge });
    expect(response.status).toBe(413);
    const login = await t.request('/api/auth/login', json({ email: 'rad@xuhui.demo', password: 'p'.repeat(20_000) }));
    expect(login.status).toBe(413);
  });

  it('logs in with a HttpOnly, SameSite=Lax session cookie and a new id each time', async () => {
    const first = await t.request('/api/auth/login', json({ email: 'rad@xuhui.demo', password: 'yunzhen-demo' }));
    expect(first.status).toBe(200);
    const cookie = first.headers.get('Set-Cookie')!;
    expect(cookie).toMatch(/^yz_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    const body = await first.json();
    expect(body).toMatchObject({ user: { email: 'rad@xuhui.demo', role: 'radiographer', licensed: true }, tenant: { name: 'Xuhui District Hospital (demo)', kind: 'sending' } });
    expect(body.user).not.toHaveProperty('passwordHash');

    const firstId = cookie.split(';')[0]!;
    const second = await t.request('/api/auth/login', {
      ...json({ email: 'rad@xuhui.demo', password: 'yunzhen-demo' }),
      headers: { 'Content-Type': 'application/json', Cookie: firstId },
    });
    expect(second.status).toBe(200);
    const secondId = second.headers.get('Set-Cookie')!.split(';')[0]!;
    expect(secondId).not.toBe(firstId);
    // Logging in again retired the old session.
    expect((await t.request('/api/me', { headers: { Cookie: firstId } })).status).toBe(401);
    expect((await t.request('/api/me', { headers: { Cookie: secondId } })).status).toBe(200);
  });

  it('answers a wrong password with 401 InvalidCredentials and an audit record', async () => {
    const response = await t.request('/api/auth/login', json({ email: 'doctor@xuhui.demo', password: 'wrong password' }));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'InvalidCredentials', message: 'email or password is wrong' } });
    const user = await t.repos.users.findByEmail('doctor@xuhui.demo');
    const [event] = await t.repos.audit.list({ eventCode: '110114', limit: 1 });
    expect(event).toMatchObject({ event_action: 'E', outcome: 4, user_id: user!.id, tenant_id: user!.tenant_id, detail: { via: 'session', reason: 'InvalidCredentials' } });
  });

  it('audits successful logins and treats an unknown email like a wrong password', async () => {
    await t.login('specialist@scc.demo');
    const [success] = await t.repos.audit.list({ eventCode: '110114', limit: 1 });
    expect(success).toMatchObject({ outcome: 0, detail: { via: 'session' } });
    const response = await t.request('/api/auth/login', json({ email: 'nobody@nowhere.demo', password: 'yunzhen-demo' }));
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe('InvalidCredentials');
  });

  it('answers malformed JSON with 400 MalformedJson and missing fields with 400 InvalidRequest', async () => {
    const malformed = await t.request('/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"email": ' });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.code).toBe('MalformedJson');
    const missing = await t.request('/api/auth/login', json({ email: 'rad@xuhui.demo' }));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: { code: 'InvalidRequest', message: 'invalid or missing: password' } });
  });

  it('issues Bearer API tokens that authenticate without a CSRF header, and revokes them', async () => {
    const token = await t.token('specialist@scc.demo');
    expect(token).toMatch(/^yz_/);
    const me = await t.request('/api/me', { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { email: 'specialist@scc.demo' }, csrfToken: null });
    const logout = await t.request('/api/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(204);
    expect((await t.request('/api/me', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await t.request('/api/me', { headers: { Authorization: 'Bearer yz_not-a-token' } })).status).toBe(401);
  });

  it('refuses cookie-authenticated writes without the CSRF token or from another origin', async () => {
    const session = await t.login('rad@minhang.demo');
    const noToken = await t.request('/api/auth/logout', { method: 'POST', headers: { Cookie: session.cookie } });
    expect(noToken.status).toBe(403);
    expect((await noToken.json()).error.code).toBe('CsrfTokenInvalid');
    const crossSite = await t.request('/api/auth/logout', { method: 'POST', session, headers: { Origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect((await crossSite.json()).error.code).toBe('CrossOriginRequest');
    const sameSite = await t.request('/api/auth/logout', { method: 'POST', session, headers: { Origin: 'http://localhost' } });
    expect(sameSite.status).toBe(204);
    expect((await t.request('/api/me', { session })).status).toBe(401);
  });

  it('throttles password guessing with 429 and Retry-After', async () => {
    for (let i = 0; i < 10; i++) {
      await t.request('/api/auth/login', json({ email: 'admin@scc.demo', password: `guess ${i}` }));
    }
    const blocked = await t.request('/api/auth/login', json({ email: 'admin@scc.demo', password: 'yunzhen-demo' }));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect((await blocked.json()).error.code).toBe('TooManyAttempts');
  });

  it('needs a user for /api/me', async () => {
    const response = await t.request('/api/me');
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe('Unauthenticated');
  });

  it('never writes passwords, tokens or cookies to the logs', async () => {
    const session = await t.login('doctor@minhang.demo');
    const token = await t.token('doctor@minhang.demo');
    await t.request('/api/me', { session });
    await t.request('/api/me', { headers: { Authorization: `Bearer ${token}` } });
    await t.request('/api/auth/login', json({ email: 'doctor@minhang.demo', password: 'a-wrong-secret-password' }));
    const logs = t.logs.join('');
    expect(logs).toContain('"path":"/api/me"');
    for (const secret of ['yunzhen-demo', 'a-wrong-secret-password', token, session.cookie.split('=')[1]!, session.csrfToken]) {
      expect(logs).not.toContain(secret);
    }
  });
});
