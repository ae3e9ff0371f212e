import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testDbKinds } from '@yunzhen/db/testing';

import { createTestApp, type TestApp, type TestSession } from '../testing/test-app.js';

describe.each(testDbKinds)('users and hospitals on %s', (db) => {
  let t: TestApp;
  let xuhuiAdmin: TestSession;
  beforeAll(async () => {
    t = await createTestApp({ db });
    xuhuiAdmin = await t.login('admin@xuhui.demo');
  }, 60_000);
  afterAll(() => t.close());

  const send = (path: string, method: string, body: unknown, session: TestSession) =>
    t.request(path, { method, session, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('shows each role its own hospital and the reading centres of its union', async () => {
    const me = await (await t.request('/api/me', { session: await t.login('rad@xuhui.demo') })).json();
    expect(me.tenant).toMatchObject({ name: 'Xuhui District Hospital (demo)', kind: 'sending' });
    expect(me.readingCentres.map((c: { name: string }) => c.name)).toEqual(['Shanghai Cancer Center (demo)']);
    expect(me.csrfToken).toEqual(expect.any(String));
  });

  it('lists only the admin’s own hospital’s users', async () => {
    const response = await t.request('/api/users', { session: xuhuiAdmin });
    expect(response.status).toBe(200);
    const emails = (await response.json()).users.map((u: { email: string }) => u.email);
    expect(emails).toEqual(['admin@xuhui.demo', 'doctor@xuhui.demo', 'rad@xuhui.demo']);
  });

  it('answers 404 for another hospital’s user, and for ids that are not ids', async () => {
    const minhangRad = await t.repos.users.findByEmail('rad@minhang.demo');
    const own = await t.repos.users.findByEmail('rad@xuhui.demo');
    expect((await t.request(`/api/users/${own!.id}`, { session: xuhuiAdmin })).status).toBe(200);
    for (const id of [minhangRad!.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const response = await t.request(`/api/users/${id}`, { session: xuhuiAdmin });
      expect(response.status, id).toBe(404);
      expect(await response.json()).toEqual({ error: { code: 'NotFound', message: 'user not found' } });
    }
    const patch = await send(`/api/users/${minhangRad!.id}`, 'PATCH', { licensed: false }, xuhuiAdmin);
    expect(patch.status).toBe(404);
    expect((await t.repos.users.get(minhangRad!.id))!.licensed).toBe(true);
  });

  it('refuses user administration to other roles', async () => {
    const doctor = await t.login('doctor@xuhui.demo');
    const response = await t.request('/api/users', { session: doctor });
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('Forbidden');
  });

  it('creates a user who can log in, audits it, and refuses a duplicate email or a short password', async () => {
    const created = await send('/api/users', 'POST', { email: 'New.Rad@Xuhui.demo', displayName: 'New radiographer', role: 'radiographer', licensed: true, password: 'a-long-enough-password' }, xuhuiAdmin);
    expect(created.status).toBe(201);
    const { user } = await created.json();
    expect(user).toMatchObject({ email: 'new.rad@xuhui.demo', role: 'radiographer', licensed: true, disabled: false });
    await expect(t.login('new.rad@xuhui.demo', 'a-long-enough-password')).resolves.toBeTruthy();
    const [event] = await t.repos.audit.list({ eventCode: '110137', limit: 1 });
    expect(event).toMatchObject({ event_action: 'C', object_id: user.id });

    const duplicate = await send('/api/users', 'POST', { email: 'new.rad@xuhui.demo', displayName: 'x', role: 'radiographer', password: 'a-long-enough-password' }, xuhuiAdmin);
    expect(duplicate.status).toBe(409);
    const short = await send('/api/users', 'POST', { email: 'short@xuhui.demo', displayName: 'x', role: 'radiographer', password: 'short' }, xuhuiAdmin);
    expect(short.status).toBe(400);
    expect((await short.json()).error).toEqual({ code: 'InvalidRequest', message: 'invalid or missing: password' });
  });

  it('lets everyone change their own password, given the current one, audited', async () => {
    const created = await send('/api/users', 'POST', { email: 'self.service@xuhui.demo', displayName: 'Self service', role: 'referring_doctor', password: 'first-password-of-12' }, xuhuiAdmin);
    expect(created.status).toBe(201);
    const session = await t.login('self.service@xuhui.demo', 'first-password-of-12');
    const wrong = await send('/api/me/password', 'POST', { currentPassword: 'not-the-password', newPassword: 'second-password-of-12' }, session);
    expect(wrong.status).toBe(401);
    const short = await send('/api/me/password', 'POST', { currentPassword: 'first-password-of-12', newPassword: 'short' }, session);
    expect(short.status).toBe(400);
    const changed = await send('/api/me/password', 'POST', { currentPassword: 'first-password-of-12', newPassword: 'second-password-of-12' }, session);
    expect(changed.status).toBe(200);
    await expect(t.login('self.service@xuhui.demo', 'first-password-of-12')).rejects.toThrow();
    await expect(t.login('self.service@xuhui.demo', 'second-password-of-12')).resolves.toBeTruthy();
    const [event] = await t.repos.audit.list({ eventCode: '110137', limit: 1 });
    expect(event).toMatchObject({ event_action: 'U', detail: { changed: ['password'], by: 'self' } });
  });

  it('throttles guesses of the current password from an open session as it throttles logins', async () => {
    const created = await send('/api/users', 'POST', { email: 'left.open@xuhui.demo', displayName: 'Left open', role: 'referring_doctor', password: 'first-password-of-12' }, xuhuiAdmin);
    expect(created.status).toBe(201);
    const session = await t.login('left.open@xuhui.demo', 'first-password-of-12');
    const guess = (currentPassword: string) => send('/api/me/password', 'POST', { currentPassword, newPassword: 'taken-over-password-1' }, session);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await guess(`guess-number-${i}`)).status);
    // Five free guesses, then each waits: the right password is refused too until the wait is over.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toContain(429);
    const right = await guess('first-password-of-12');
    expect(right.status).toBe(429);
    expect((await right.json()).error.code).toBe('TooManyAttempts');
    await expect(t.login('left.open@xuhui.demo', 'first-password-of-12')).rejects.toThrow();
  });

  it('disables a user, which ends their access', async () => {
    const victim = await t.repos.users.findByEmail('doctor@xuhui.demo');
    const session = await t.login('doctor@xuhui.demo');
    const response = await send(`/api/users/${victim!.id}`, 'PATCH', { disabled: true }, xuhuiAdmin);
    expect(response.status).toBe(200);
    expect((await response.json()).user.disabled).toBe(true);
    expect((await t.request('/api/me', { session })).status).toBe(401);
    await send(`/api/users/${victim!.id}`, 'PATCH', { disabled: false }, xuhuiAdmin);
  });
});
