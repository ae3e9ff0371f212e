import { createHmac, randomBytes, randomUUID } from 'node:crypto';

import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';

import type { Repositories } from '@yunzhen/db';
import { toFhirBundle, type ReportDocument } from '@yunzhen/report';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireRole } from '../auth/authenticate.js';
import { AppError, notFound } from '../errors.js';
import { createOutboxWorker, processClaimant } from '../outbox-worker.js';
import type { Vault } from '../vault/vault.js';
import { parseInput, readBodyBytes, readJson } from '../validation.js';
import { reportContext } from './report-context.js';

const MAX_ATTEMPTS = 8;
const TIMEOUT_MS = 10_000;

/** Wait before attempt `attempts + 1`: 30 s doubling, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60 * 60 * 1000, 30_000 * 2 ** (attempts - 1));
}

/**
 * `X-Yunzhen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
 * hospital's secret: the receiver recomputes it and rejects old timestamps (replays).
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** The event an admin sends to check the receiver: no consult, no report, no patient data. */
export const TEST_EVENT = 'webhook.test';

/** What one POST to the receiver came to. `error` is a class, never the receiver's answer. */
export interface AttemptResult {
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * POSTs one signed event (`X-Yunzhen-Signature`, see `signatureHeader`) with the delivery
 * timeout, following no redirect. The receiver's body is discarded unread.
 */
export async function postEvent(
  send: typeof fetch,
  target: { url: string; secret: string },
  event: { name: string; deliveryId: string; body: string; now: Date },
): Promise<AttemptResult> {
  const started = performance.now();
  const took = () => Math.max(0, Math.round(performance.now() - started));
  try {
    const response = await send(target.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Yunzhen-Webhook/1',
        'X-Yunzhen-Event': event.name,
        'X-Yunzhen-Delivery': event.deliveryId,
        // The same on every attempt of one delivery: a receiver that has seen it ignores it.
        'Idempotency-Key': event.deliveryId,
        'X-Yunzhen-Signature': signatureHeader(target.secret, event.body, Math.floor(event.now.getTime() / 1000)),
      },
      body: event.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => undefined);
    return { delivered: response.ok, statusCode: response.status, error: response.ok ? null : `HTTP ${response.status}`, durationMs: took() };
  } catch (error) {
    return { delivered: false, statusCode: null, error: failureClass(error), durationMs: took() };
  }
}

/** Why a request got no answer, in a few classes an admin can act on (never a message: it may quote the URL). */
function failureClass(error: unknown): string {
  if ((error as Error)?.name === 'TimeoutError') return 'timeout';
  const code = String(((error as { cause?: { code?: unknown } })?.cause?.code ?? (error as { code?: unknown })?.code) ?? '');
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns failed';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return 'tls failed';
  return 'connection failed';
}

/** The error classes of the delivery log, as the API names them. */
export type ErrorClass = 'http' | 'timeout' | 'refused' | 'dns' | 'tls' | 'connection' | 'disabled' | 'payload' | 'other';

export function errorClass(lastError: string | null): ErrorClass | null {
  if (lastError === null) return null;
  if (lastError.startsWith('HTTP ')) return 'http';
  const classes: Record<string, ErrorClass> = {
    timeout: 'timeout',
    'connection refused': 'refused',
    'dns failed': 'dns',
    'tls failed': 'tls',
    'connection failed': 'connection',
    'webhook disabled': 'disabled',
    'payload could not be built': 'payload',
  };
  return classes[lastError] ?? 'other';
}

export interface WebhookDispatcherDeps {
  repos: Repositories;
  vault: Vault;
  now: () => Date;
  fetch?: typeof fetch;
  /** Who claims deliveries (default: this host and process). */
  claimant?: string;
}

/** How long a claimed delivery is held: three times the longest POST, then another replica may retry it. */
export const WEBHOOK_LEASE_MS = 3 * TIMEOUT_MS;

/**
 * Delivers pending webhook events to sending hospitals. The payload (the signed report and
 * its FHIR Bundle, re-identified: it goes to the hospital's own systems) is built at delivery
 * time and never stored; each reveal is audited as the system's. Failures are retried with
 * backoff and every attempt is logged on the delivery. Each delivery is claimed in the
 * database for one attempt (`claimDue`), so replicas never send it at the same time; one
 * whose replica died mid-attempt is sent again with the same `Idempotency-Key`.
 */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps) {
  const send = deps.fetch ?? fetch;
  const claimant = deps.claimant ?? processClaimant();
  type Delivery = Awaited<ReturnType<Repositories['webhooks']['claimDue']>>[number];
  const record = (delivery: Delivery, outcome: Parameters<Repositories['webhooks']['recordAttempt']>[1]) =>
    deps.repos.webhooks.recordAttempt(delivery.id, outcome, deps.now(), claimant);

  async function attempt(delivery: Delivery): Promise<void> {
    const attempts = delivery.attempts + 1;
    const fail = (statusCode: number | null, error: string, durationMs: number | null) =>
      record(delivery, { delivered: false, statusCode, error, attempts, durationMs, nextAttemptAt: attempts < MAX_ATTEMPTS ? new Date(deps.now().getTime() + retryDelayMs(attempts)) : null });
    const webhook = await deps.repos.webhooks.get(delivery.tenant_id);
    if (!webhook?.enabled) {
      await record(delivery, { delivered: false, statusCode: null, error: 'webhook disabled', attempts, nextAttemptAt: null });
      return;
    }
    let body: string;
    try {
      body = JSON.stringify(delivery.event === TEST_EVENT ? testPayload(delivery.id, delivery.created_at) : await payload(deps, delivery));
    } catch {
      await fail(null, 'payload could not be built', null);
      return;
    }
    const secret = new TextDecoder().decode(deps.vault.decryptBytes(delivery.tenant_id, 'webhook-secret', webhook.secret_ciphertext));
    const result = await postEvent(send, { url: webhook.url, secret }, { name: delivery.event, deliveryId: delivery.id, body, now: deps.now() });
    if (result.delivered) {
      await record(delivery, { delivered: true, statusCode: result.statusCode, error: null, attempts, durationMs: result.durationMs, nextAttemptAt: null });
    } else {
      await fail(result.statusCode, result.error ?? 'connection failed', result.durationMs);
    }
  }

  return createOutboxWorker({ job: 'webhooks', claim: () => deps.repos.webhooks.claimDue({ now: deps.now(), leaseMs: WEBHOOK_LEASE_MS, claimant }), attempt });
}

/** A test event's body: who sends it and when, nothing about any patient, consult or report. */
export function testPayload(deliveryId: string, occurredAt: Date) {
  return { event: TEST_EVENT, deliveryId, occurredAt: occurredAt.toISOString(), test: true };
}

async function payload(deps: WebhookDispatcherDeps, delivery: { tenant_id: string; consult_id: string | null; event: string; id: string; created_at: Date }) {
  const consult = delivery.consult_id ? await deps.repos.consults.get(delivery.tenant_id, delivery.consult_id) : undefined;
  const report = consult && (await deps.repos.reports.getByConsult(consult.id));
  if (!consult || !report) throw new Error('consult or report gone');
  const doc = report.document as ReportDocument;
  const context = await reportContext(deps, consult, doc, 'sender', () =>
    deps.repos.audit.record({ eventCode: AuditEvent.PatientRecord, action: 'R', outcome: Outcome.Success, tenantId: delivery.tenant_id, objectType: 'consult', objectId: consult.id, detail: { purpose: 'webhook delivery' } }),
  );
  return {
    event: delivery.event,
    deliveryId: delivery.id,
    occurredAt: delivery.created_at.toISOString(),
    consult: { id: consult.id, status: consult.status, priority: consult.priority },
    report: { id: doc.id, version: doc.version, status: doc.status, signedAt: doc.signatures.at(-1)?.signedAt ?? null },
    fhir: toFhirBundle(doc, context),
  };
}

/**
 * Why a webhook address is refused, as reason codes with words in the viewer's `reasons`
 * table. The payload carries the re-identified report: https only, plain http only to this
 * machine (a local relay) and only where the server allows it.
 */
export const webhookUrlRefusals = {
  WebhookUrlInvalid: 'not a valid URL',
  WebhookUrlScheme: 'only https URLs are accepted',
  WebhookUrlCredentials: 'a user name or password in the URL is not accepted: the signature authenticates the sender',
  WebhookHttpsRequired: 'must be an https URL (plain http only to this machine, where the server allows it)',
} as const;

export type WebhookUrlRefusal = keyof typeof webhookUrlRefusals;

const MAX_URL_LENGTH = 2000;

export function webhookUrlRefusal(value: string, options: { allowHttpLoopback: boolean }): WebhookUrlRefusal | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'WebhookUrlInvalid';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'WebhookUrlScheme';
  if (value.length > MAX_URL_LENGTH || !url.hostname) return 'WebhookUrlInvalid';
  if (url.username || url.password) return 'WebhookUrlCredentials';
  if (url.protocol === 'http:' && !(options.allowHttpLoopback && isLoopback(url.hostname))) return 'WebhookHttpsRequired';
  return null;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function refuseUrl(c: Context<AppEnv>, code: WebhookUrlRefusal) {
  return c.json({ error: { code, message: webhookUrlRefusals[code] } }, 400);
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new AppError('MalformedJson', 'request body is not valid JSON');
  }
}

/** A fresh signing secret: 256 random bits. */
function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

const secretSchema = z.string().min(16).max(200);

const webhookSchema = z.object({
  url: z.string().max(MAX_URL_LENGTH),
  /** Omitted: the secret stays (or, for a new webhook, one is generated and shown once). */
  secret: secretSchema.optional(),
  enabled: z.boolean().default(true),
});

const rotateSchema = z.object({ secret: secretSchema.optional() });

const pageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.string().uuid().optional(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SMALL_BODY_BYTES = 4096;

type LogRow = NonNullable<Awaited<ReturnType<Repositories['webhooks']['delivery']>>>;

/** Pending (not tried yet), failed (the last attempt failed, another is due), given up (no attempt left) or delivered. */
function deliveryStatus(row: LogRow): 'pending' | 'delivered' | 'failed' | 'given_up' {
  if (row.status === 'delivered') return 'delivered';
  if (row.status === 'failed') return 'given_up';
  return row.attempts > 0 ? 'failed' : 'pending';
}

/** One line of the log: outcome classes and times only, never the payload, the response or the secret. */
function deliveryView(row: LogRow) {
  return {
    id: row.id,
    consultId: row.consult_id,
    event: row.event,
    status: deliveryStatus(row),
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: errorClass(row.last_error),
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    lastDurationMs: row.last_duration_ms,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
  };
}

export interface WebhookRouteDeps {
  repos: Repositories;
  vault: Vault;
  audit: AuditWriter;
  now: () => Date;
  fetch?: typeof fetch;
  /** Plain http to this machine (a local relay); true unless the deployment turns it off. */
  allowHttpLoopback?: boolean;
}

/**
 * A hospital admin configures its webhook, rotates the signing secret (shown once), sends a
 * test event and reads or retries the delivery log. Everything is the admin's own hospital:
 * another hospital's deliveries answer 404. Every write is audited.
 */
export function webhookRoutes(deps: WebhookRouteDeps) {
  const send = deps.fetch ?? fetch;
  const urlOptions = { allowHttpLoopback: deps.allowHttpLoopback ?? true };
  const encrypt = (tenantId: string, secret: string) => deps.vault.encryptBytes(tenantId, 'webhook-secret', new TextEncoder().encode(secret));
  return new Hono<AppEnv>()
    .get('/webhook', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const webhook = await deps.repos.webhooks.get(tenant.id);
      const deliveries = await deps.repos.webhooks.deliveries(tenant.id);
      return c.json({
        webhook: webhook ? { url: webhook.url, enabled: webhook.enabled, updatedAt: webhook.updated_at.toISOString() } : null,
        deliveries: deliveries.map((d) => ({
          id: d.id,
          consultId: d.consult_id,
          event: d.event,
          status: d.status,
          attempts: d.attempts,
          lastStatusCode: d.last_status_code,
          lastError: d.last_error,
          createdAt: d.created_at.toISOString(),
          deliveredAt: d.delivered_at?.toISOString() ?? null,
          nextAttemptAt: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
        })),
      });
    })
    .put('/webhook', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const input = await readJson(c, webhookSchema, SMALL_BODY_BYTES);
      const refusal = webhookUrlRefusal(input.url, urlOptions);
      if (refusal) return refuseUrl(c, refusal);
      const existing = await deps.repos.webhooks.get(tenant.id);
      // A new webhook without a secret gets one generated, answered this once.
      const generated = !input.secret && !existing ? generateSecret() : undefined;
      const secret = input.secret ?? generated;
      if (secret) await deps.repos.webhooks.set(tenant.id, { url: input.url, secretCiphertext: encrypt(tenant.id, secret), enabled: input.enabled }, deps.now());
      else await deps.repos.webhooks.update(tenant.id, { url: input.url, enabled: input.enabled }, deps.now());
      await deps.audit(c, {
        eventCode: AuditEvent.UserSecurityAttributesChanged,
        action: existing ? 'U' : 'C',
        outcome: Outcome.Success,
        objectType: 'webhook',
        objectId: tenant.id,
        detail: { enabled: input.enabled, secret: generated ? 'generated' : input.secret ? 'set' : 'kept' },
      });
      return c.json({ webhook: { url: input.url, enabled: input.enabled }, ...(generated && { secret: generated }) });
    })
    .post('/webhook/secret', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      // No body (or `{}`) asks for a generated secret; `{ "secret": … }` sets the admin's own.
      const bytes = await readBodyBytes(c, SMALL_BODY_BYTES, 'JSON bodies here');
      const input = bytes.length === 0 ? {} : parseInput(rotateSchema, parseJson(bytes));
      const secret = input.secret ?? generateSecret();
      if (!(await deps.repos.webhooks.setSecret(tenant.id, encrypt(tenant.id, secret), deps.now()))) throw notFound('webhook');
      await deps.audit(c, {
        eventCode: AuditEvent.UserSecurityAttributesChanged,
        action: 'U',
        outcome: Outcome.Success,
        objectType: 'webhook',
        objectId: tenant.id,
        detail: { secret: input.secret ? 'set' : 'generated' },
      });
      // Shown this once: no GET answers it again. An admin who chose the secret already has it.
      return c.json({ secret: input.secret ? null : secret });
    })
    .post('/webhook/test', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const webhook = await deps.repos.webhooks.get(tenant.id);
      if (!webhook) throw notFound('webhook');
      const refusal = webhookUrlRefusal(webhook.url, urlOptions);
      if (refusal) return refuseUrl(c, refusal);
      const id = randomUUID();
      const createdAt = deps.now();
      const body = JSON.stringify(testPayload(id, createdAt));
      const secret = new TextDecoder().decode(deps.vault.decryptBytes(tenant.id, 'webhook-secret', webhook.secret_ciphertext));
      const result = await postEvent(send, { url: webhook.url, secret }, { name: TEST_EVENT, deliveryId: id, body, now: createdAt });
      await deps.repos.webhooks.recordTest(tenant.id, { id, event: TEST_EVENT, ...result, createdAt }, deps.now());
      await deps.audit(c, {
        eventCode: AuditEvent.Export,
        action: 'E',
        outcome: result.delivered ? Outcome.Success : Outcome.MinorFailure,
        objectType: 'webhook-delivery',
        objectId: id,
        detail: { event: TEST_EVENT, statusCode: result.statusCode, error: errorClass(result.error) },
      });
      return c.json({
        result: { delivered: result.delivered, statusCode: result.statusCode, error: errorClass(result.error), durationMs: result.durationMs },
        delivery: deliveryView((await deps.repos.webhooks.delivery(tenant.id, id))!),
      });
    })
    .get('/webhook/deliveries', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const query = parseInput(pageSchema, c.req.query());
      if (query.before && !(await deps.repos.webhooks.delivery(tenant.id, query.before))) throw notFound('delivery');
      const rows = await deps.repos.webhooks.page(tenant.id, { limit: query.limit, before: query.before });
      return c.json({ deliveries: rows.map(deliveryView), nextBefore: rows.length === query.limit ? rows.at(-1)!.id : null });
    })
    .post('/webhook/deliveries/:id/retry', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const id = c.req.param('id');
      const delivery = UUID.test(id) ? await deps.repos.webhooks.delivery(tenant.id, id) : undefined;
      if (!delivery) throw notFound('delivery');
      if (!(await deps.repos.webhooks.requeue(tenant.id, id, deps.now()))) throw new AppError('Conflict', 'only a given-up delivery can be retried');
      await deps.audit(c, {
        eventCode: AuditEvent.Export,
        action: 'U',
        outcome: Outcome.Success,
        objectType: 'webhook-delivery',
        objectId: id,
        detail: { event: delivery.event, retry: true },
      });
      return c.json({ delivery: deliveryView((await deps.repos.webhooks.delivery(tenant.id, id))!) });
    });
}
