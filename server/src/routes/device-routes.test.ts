import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testDbKinds } from '@yunzhen/db/testing';

import { createTestApp, type TestApp, type TestSession } from '../testing/test-app.js';

describe.each(testDbKinds)('DICOM devices on %s', (db) => {
  let t: TestApp;
  let xuhuiAdmin: TestSession;
  let centreAdmin: TestSession;
  beforeAll(async () => {
    t = await createTestApp({ db });
    xuhuiAdmin = await t.login('admin@xuhui.demo');
    centreAdmin = await t.login('admin@scc.demo');
  }, 60_000);
  afterAll(() => t.close());

  const send = (path: string, method: string, body: unknown, session: TestSession) =>
    t.request(path, { method, session, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const pacs = { name: 'Xuhui PACS', aeTitle: 'XUHUI_PACS', allowedCidrs: ['10.20.0.0/16', '127.0.0.1'], maySend: true, mayReceive: true, host: '10.20.1.5', port: 104 };

  it('registers, lists, changes and removes a device of the admin’s own hospital, audited', async () => {
    const created = await send('/api/devices', 'POST', pacs, xuhuiAdmin);
    expect(created.status).toBe(201);
    const { device } = await created.json();
    expect(device).toMatchObject({ ...pacs, enabled: true });

    const list = await (await t.request('/api/devices', { session: xuhuiAdmin })).json();
    expect(list.devices.map((d: { id: string }) => d.id)).toEqual([device.id]);

    const changed = await send(`/api/devices/${device.id}`, 'PATCH', { enabled: false, port: 11112 }, xuhuiAdmin);
    expect(changed.status).toBe(200);
    expect((await changed.json()).device).toMatchObject({ enabled: false, port: 11112 });

    expect((await send(`/api/devices/${device.id}`, 'DELETE', undefined, xuhuiAdmin)).status).toBe(200);
    expect((await (await t.request('/api/devices', { session: xuhuiAdmin })).json()).devices).toEqual([]);

    const xuhui = (await t.repos.users.findByEmail('admin@xuhui.demo'))!;
    const events = await t.repos.audit.list({ tenantId: xuhui.tenant_id, limit: 500 });
    const actions = events.filter((e) => e.object_type === 'dicom_device' && e.object_id === device.id).map((e) => e.event_action);
    expect(actions.sort()).toEqual(['C', 'D', 'U']);
  });

  it('refuses incomplete or malformed devices and a second device with the same AE title, with reasons', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ ...pacs, aeTitle: 'A_TITLE_LONGER_THAN_16' }, 400, /aeTitle/],
      [{ ...pacs, aeTitle: 'BAD\\AE' }, 400, /aeTitle/],
      [{ ...pacs, allowedCidrs: ['10.0.0.0/33'] }, 400, /allowedCidrs/],
      [{ ...pacs, allowedCidrs: [] }, 400, /source address/],
      [{ ...pacs, host: null }, 400, /host and port/],
      [{ ...pacs, port: 70000 }, 400, /./],
    ];
    for (const [body, status, message] of cases) {
      const response = await send('/api/devices', 'POST', body, xuhuiAdmin);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect((await response.json()).error.message).toMatch(message);
    }
    expect((await send('/api/devices', 'POST', { ...pacs, aeTitle: 'DUP' }, xuhuiAdmin)).status).toBe(201);
    const again = await send('/api/devices', 'POST', { ...pacs, aeTitle: 'DUP', name: 'other' }, xuhuiAdmin);
    expect(again.status).toBe(409);
    // Another hospital may use the same AE title for its own device.
    expect((await send('/api/devices', 'POST', { ...pacs, aeTitle: 'DUP' }, centreAdmin)).status).toBe(201);
  });

  it('keeps devices within their hospital: another admin sees none and gets 404; other roles are refused', async () => {
    const { device } = await (await send('/api/devices', 'POST', { ...pacs, aeTitle: 'OWN_ONLY' }, xuhuiAdmin)).json();
    const centreList = await (await t.request('/api/devices', { session: centreAdmin })).json();
    expect(centreList.devices.map((d: { aeTitle: string }) => d.aeTitle)).not.toContain('OWN_ONLY');
    expect((await send(`/api/devices/${device.id}`, 'PATCH', { enabled: false }, centreAdmin)).status).toBe(404);
    expect((await send(`/api/devices/${device.id}`, 'DELETE', undefined, centreAdmin)).status).toBe(404);
    expect((await send('/api/devices/not-a-uuid', 'PATCH', { enabled: false }, xuhuiAdmin)).status).toBe(404);
    for (const email of ['rad@xuhui.demo', 'doctor@xuhui.demo', 'specialist@scc.demo']) {
      const session = await t.login(email);
      expect((await t.request('/api/devices', { session })).status, email).toBe(403);
      expect((await send('/api/devices', 'POST', { ...pacs, aeTitle: 'X' }, session)).status, email).toBe(403);
    }
    expect((await t.request(`/api/devices`, { session: xuhuiAdmin })).status).toBe(200);
  });
});
