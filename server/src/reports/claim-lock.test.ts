import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../auth/passwords.js';
import { readSample, rewriteInstances, stowBody } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

/** A claim locks a consult's report to its holder; the centre's admin reassigns it. */
describe('claims lock the report', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  let secondId: string;

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    const scc = (await t.repos.tenants.findByName('Shanghai Cancer Center (demo)'))!;
    secondId = (await t.repos.users.create({ tenantId: scc.id, email: 'second@scc.demo', displayName: 'Second reader', role: 'specialist', licensed: true, passwordHash: await hashPassword('yunzhen-demo') })).id;
    for (const email of ['rad@xuhui.demo', 'specialist@scc.demo', 'second@scc.demo', 'admin@scc.demo', 'admin@xuhui.demo']) tokens[email] = await t.token(email);
  }, 60_000);
  afterAll(() => t.close());

  function call(method: string, path: string, who: string, body?: unknown) {
    return t.request(path, {
      method,
      headers: { Authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function newConsult(): Promise<string> {
    const { body, contentType } = stowBody(rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }));
    expect((await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${tokens['rad@xuhui.demo']}`, 'Content-Type': contentType }, body })).status).toBe(200);
    const [study] = (await (await call('GET', '/api/studies?inbox=true', 'rad@xuhui.demo')).json()).studies;
    const centre = (await (await call('GET', '/api/me', 'rad@xuhui.demo')).json()).readingCentres[0].id;
    const created = await call('POST', '/api/consults', 'rad@xuhui.demo', { readingCentreId: centre, studyIds: [study.id], clinicalQuestion: 'Nodule?', priority: 'routine' });
    expect(created.status).toBe(201);
    return (await created.json()).consult.id;
  }

  const report = { templateId: 'general', language: 'en' };

  it('refuses another specialist’s writes on a claimed consult, and lets them read', async () => {
    const id = await newConsult();
    expect((await call('POST', `/api/consults/${id}/claim`, 'specialist@scc.demo')).status).toBe(200);
    const refused = await call('POST', `/api/consults/${id}/report`, 'second@scc.demo', report);
    expect(refused.status).toBe(409);
    expect((await refused.json()).error.code).toBe('ClaimedByOther');
    expect((await call('POST', `/api/consults/${id}/report`, 'specialist@scc.demo', report)).status).toBe(201);
    const changes = { values: { impression: { en: 'Small nodule.' } } };
    expect((await call('PUT', `/api/consults/${id}/report`, 'second@scc.demo', { version: 1, changes })).status).toBe(409);
    expect((await call('POST', `/api/consults/${id}/report/sign`, 'second@scc.demo', { version: 1, kind: 'final' })).status).toBe(409);
    expect((await call('GET', `/api/consults/${id}/report`, 'second@scc.demo')).status).toBe(200);
    expect((await call('PUT', `/api/consults/${id}/report`, 'specialist@scc.demo', { version: 1, changes })).status).toBe(200);
  });

  it('claims an unclaimed consult for whoever writes its report first', async () => {
    const id = await newConsult();
    expect((await call('POST', `/api/consults/${id}/report`, 'second@scc.demo', report)).status).toBe(201);
    const { consult } = await (await call('GET', `/api/consults/${id}`, 'specialist@scc.demo')).json();
    expect(consult.claimedBy).toMatchObject({ id: secondId });
    expect((await call('PUT', `/api/consults/${id}/report`, 'specialist@scc.demo', { version: 1, changes: { values: {} } })).status).toBe(409);
  });

  it('moves the lock when the centre’s admin reassigns the consult, audited; nobody else can', async () => {
    const id = await newConsult();
    expect((await call('POST', `/api/consults/${id}/claim`, 'specialist@scc.demo')).status).toBe(200);
    expect((await call('POST', `/api/consults/${id}/report`, 'specialist@scc.demo', report)).status).toBe(201);
    expect((await call('POST', `/api/consults/${id}/assign`, 'second@scc.demo', { userId: secondId })).status).toBe(403);
    expect((await call('POST', `/api/consults/${id}/assign`, 'admin@xuhui.demo', { userId: secondId })).status).toBe(404);
    const moved = await call('POST', `/api/consults/${id}/assign`, 'admin@scc.demo', { userId: secondId });
    expect(moved.status).toBe(200);
    expect((await moved.json()).consult.claimedBy).toMatchObject({ id: secondId });
    expect((await call('PUT', `/api/consults/${id}/report`, 'specialist@scc.demo', { version: 1, changes: { values: {} } })).status).toBe(409);
    expect((await call('PUT', `/api/consults/${id}/report`, 'second@scc.demo', { version: 1, changes: { values: {} } })).status).toBe(200);
    const [event] = await t.repos.audit.list({ eventCode: '110111', limit: 1 });
    expect(event).toMatchObject({ event_action: 'U', object_id: id, detail: { change: 'reassigned', to: secondId } });
  });
});
