import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../testing/test-app.js';
import { createHospitalKeys } from '../vault/keys.js';
import { createVault } from '../vault/vault.js';
import { createWebhookDispatcher, webhookUrlRefusal, webhookUrlRefusals } from './webhooks.js';

const ADMIN = 'admin@xuhui.demo';
const OTHER_ADMIN = 'admin@scc.demo';
const RAD = 'rad@xuhui.demo';

describe('a hospital admin sets up report webhooks and reads every delivery', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let answer = 204;
  let receiver: Server;
  let receiverUrl: string;
  /** Every secret the server ever gave out: none may show up in a GET or a log line. */
  const secrets: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    for (const email of [ADMIN, OTHER_ADMIN, RAD]) tokens[email] = await t.token(email);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = answer;
        res.end(answer >= 400 ? 'receiver says: secret internals, patient Zhang San' : undefined);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  }, 60_000);
  afterAll(async () => {
    receiver?.close();
    await t?.close();
  });

  function call(method: string, path: string, who: string, body?: unknown) {
    return t.request(path, {
      method,
      headers: { Authorization: `Bearer ${tokens[who]}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  const deliveries = async (who = ADMIN, query = '') => (await (await call('GET', `/api/webhook/deliveries${query}`, who)).json()).deliveries as any[];

  it('refuses a bad URL with a reason code', async () => {
    const cases: [string, string][] = [
      ['not a url', 'WebhookUrlInvalid'],
      ['ftp://his.example.org/hook', 'WebhookUrlScheme'],
      ['javascript:alert(1)', 'WebhookUrlScheme'],
      ['https://user:password@his.example.org/hook', 'WebhookUrlCredentials'],
      ['http://his.example.org/hook', 'WebhookHttpsRequired'],
      ['http://10.0.0.5/hook', 'WebhookHttpsRequired'],
    ];
    for (const [url, code] of cases) {
      const response = await call('PUT', '/api/webhook', ADMIN, { url });
      expect(response.status, url).toBe(400);
      expect((await response.json()).error.code, url).toBe(code);
    }
    expect((await (await call('GET', '/api/webhook', ADMIN)).json()).webhook).toBeNull();
    // Plain http to this machine only where the deployment allows it.
    expect(webhookUrlRefusal('http://127.0.0.1:9/hook', { allowHttpLoopback: true })).toBeNull();
    expect(webhookUrlRefusal('http://localhost/hook', { allowHttpLoopback: false })).toBe('WebhookHttpsRequired');
    expect(webhookUrlRefusal('https://his.example.org/hook', { allowHttpLoopback: false })).toBeNull();
  });

  it('has words in Chinese and English for every refusal code', async () => {
    // Imported by path, so the server's type check does not follow it into browser code.
    const modulePath = new URL('../../../viewer/src/reasons.js', import.meta.url).pathname;
    const { reasons } = (await import(/* @vite-ignore */ modulePath)) as { reasons: Record<string, { en: string; 'zh-CN': string }> };
    for (const code of Object.keys(webhookUrlRefusals)) {
      expect(reasons[code]?.en, code).toBeTruthy();
      expect(reasons[code]?.['zh-CN'], code).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('generates the secret on creation and on rotation, shows it once, never in a GET or the log', async () => {
    const created = await call('PUT', '/api/webhook', ADMIN, { url: receiverUrl, enabled: true });
    expect(created.status).toBe(200);
    const first = (await created.json()).secret as string;
    expect(first).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    secrets.push(first);
    // Saving the address again keeps the secret and does not show it.
    const saved = await (await call('PUT', '/api/webhook', ADMIN, { url: receiverUrl, enabled: true })).json();
    expect(saved.secret).toBeUndefined();

    const rotated = await call('POST', '/api/webhook/secret', ADMIN);
    expect(rotated.status).toBe(200);
    const second = (await rotated.json()).secret as string;
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    secrets.push(second);

    const own = 'admin-chosen-secret-0123456789';
    const chosen = await (await call('POST', '/api/webhook/secret', ADMIN, { secret: own })).json();
    expect(chosen.secret).toBeNull(); // the admin has it already: not echoed
    secrets.push(own);
    expect((await call('POST', '/api/webhook/secret', ADMIN, { secret: 'short' })).status).toBe(400);

    // Back to a generated one, which the later tests verify signatures with.
    secrets.push((await (await call('POST', '/api/webhook/secret', ADMIN, {})).json()).secret);

    const get = await (await call('GET', '/api/webhook', ADMIN)).text();
    expect(JSON.parse(get).webhook).toMatchObject({ url: receiverUrl, enabled: true });
    for (const secret of secrets) expect(get).not.toContain(secret);

    // Every write is audited (110137 on the hospital's webhook), without the secret.
    const audit = (await t.repos.audit.list({ eventCode: '110137', limit: 100 })).filter((event) => event.object_type === 'webhook');
    expect(audit.length).toBeGreaterThanOrEqual(5);
    for (const secret of secrets) expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('sends a signed test event with no patient data to a loopback receiver, and logs it', async () => {
    const before = received.length;
    const response = await call('POST', '/api/webhook/test', ADMIN);
    expect(response.status).toBe(200);
    const outcome = await response.json();
    expect(outcome.result).toMatchObject({ delivered: true, statusCode: 204, error: null });
    expect(outcome.result.durationMs).toBeGreaterThanOrEqual(0);
    expect(received).toHaveLength(before + 1);

    const { headers, body } = received.at(-1)!;
    expect(headers['x-yunzhen-event']).toBe('webhook.test');
    expect(headers['x-yunzhen-delivery']).toBe(outcome.delivery.id);
    const [, stamp, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['x-yunzhen-signature']))!;
    expect(v1).toBe(createHmac('sha256', secrets.at(-1)!).update(`${stamp}.${body}`).digest('hex'));
    const payload = JSON.parse(body);
    expect(Object.keys(payload).sort()).toEqual(['deliveryId', 'event', 'occurredAt', 'test']);
    expect(payload).toMatchObject({ event: 'webhook.test', deliveryId: outcome.delivery.id, test: true });

    const [latest] = await deliveries();
    expect(latest).toMatchObject({ id: outcome.delivery.id, consultId: null, event: 'webhook.test', status: 'delivered', attempts: 1, lastStatusCode: 204, lastError: null, nextAttemptAt: null });
    expect(latest.createdAt).toBeTruthy();
    expect(latest.deliveredAt).toBeTruthy();
  });

  it('logs a failed test by its status code, never the receiver’s answer', async () => {
    answer = 500;
    const outcome = await (await call('POST', '/api/webhook/test', ADMIN)).json();
    answer = 204;
    expect(outcome.result).toMatchObject({ delivered: false, statusCode: 500, error: 'http' });
    const [latest] = await deliveries();
    expect(latest).toMatchObject({ id: outcome.delivery.id, status: 'given_up', lastStatusCode: 500, lastError: 'http' });
    const text = await (await call('GET', '/api/webhook/deliveries', ADMIN)).text();
    expect(text).not.toContain('receiver says');
    expect(text).not.toContain('Zhang San');
  });

  it('classes an unreachable receiver as refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await call('PUT', '/api/webhook', ADMIN, { url: `http://127.0.0.1:${port}/gone`, enabled: true });
    const outcome = await (await call('POST', '/api/webhook/test', ADMIN)).json();
    expect(outcome.result).toMatchObject({ delivered: false, statusCode: null, error: 'refused' });
    await call('PUT', '/api/webhook', ADMIN, { url: receiverUrl, enabled: true });
  });

  it('retries a given-up delivery: re-queued, then delivered by the dispatcher', async () => {
    const givenUp = (await deliveries()).find((d) => d.status === 'given_up')!;
    expect(givenUp).toBeTruthy();
    const retried = await call('POST', `/api/webhook/deliveries/${givenUp.id}/retry`, ADMIN);
    expect(retried.status).toBe(200);
    expect((await retried.json()).delivery).toMatchObject({ id: givenUp.id, status: 'failed' });
    // Only a given-up delivery goes back in the queue.
    expect((await call('POST', `/api/webhook/deliveries/${givenUp.id}/retry`, ADMIN)).status).toBe(409);

    const before = received.length;
    const dispatcher = createWebhookDispatcher({ repos: t.repos, vault: createVault(createHospitalKeys('test-root-secret-of-at-least-32-characters'), t.repos.vault), now: () => new Date() });
    await dispatcher.tick();
    const sent = received.slice(before).filter((r) => r.headers['x-yunzhen-delivery'] === givenUp.id);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body)).toMatchObject({ event: 'webhook.test', test: true });
    const after = (await deliveries()).find((d) => d.id === givenUp.id);
    expect(after).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 204 });
  });

  it('pages the log newest first', async () => {
    for (let i = 0; i < 3; i++) await call('POST', '/api/webhook/test', ADMIN);
    const all = await deliveries(ADMIN, '?limit=100');
    expect(all.length).toBeGreaterThanOrEqual(6);
    const times = all.map((d) => d.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    const first = await (await call('GET', '/api/webhook/deliveries?limit=2', ADMIN)).json();
    expect(first.deliveries.map((d: any) => d.id)).toEqual(all.slice(0, 2).map((d) => d.id));
    expect(first.nextBefore).toBe(all[1].id);
    const second = await deliveries(ADMIN, `?limit=2&before=${first.nextBefore}`);
    expect(second.map((d) => d.id)).toEqual(all.slice(2, 4).map((d) => d.id));
    expect((await call('GET', '/api/webhook/deliveries?limit=1000', ADMIN)).status).toBe(400);
  });

  it('shows another hospital’s admin none of it, and 404 for its ids', async () => {
    const [own] = await deliveries();
    expect(await deliveries(OTHER_ADMIN)).toEqual([]);
    expect((await call('GET', `/api/webhook/deliveries?before=${own.id}`, OTHER_ADMIN)).status).toBe(404);
    expect((await call('POST', `/api/webhook/deliveries/${own.id}/retry`, OTHER_ADMIN)).status).toBe(404);
    expect((await call('POST', '/api/webhook/deliveries/not-a-uuid/retry', ADMIN)).status).toBe(404);
    // The other hospital has no webhook: nothing to test or rotate.
    expect((await call('POST', '/api/webhook/test', OTHER_ADMIN)).status).toBe(404);
    expect((await call('POST', '/api/webhook/secret', OTHER_ADMIN)).status).toBe(404);
    expect((await (await call('GET', '/api/webhook', OTHER_ADMIN)).json()).webhook).toBeNull();
  });

  it('refuses every other role with 403', async () => {
    const [own] = await deliveries();
    const probes: [string, string, unknown?][] = [
      ['GET', '/api/webhook'],
      ['PUT', '/api/webhook', { url: receiverUrl }],
      ['GET', '/api/webhook/deliveries'],
      ['POST', '/api/webhook/test'],
      ['POST', '/api/webhook/secret'],
      ['POST', `/api/webhook/deliveries/${own.id}/retry`],
    ];
    const before = received.length;
    for (const [method, path, body] of probes) expect((await call(method, path, RAD, body)).status, `${method} ${path}`).toBe(403);
    expect(received).toHaveLength(before);
  });

  it('never writes a secret to the log', () => {
    const log = t.logs.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(log).not.toContain(secret);
  });
});
