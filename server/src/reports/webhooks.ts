import { createHmac } from 'node:crypto';

import { Hono } from 'hono';
import { z } from 'zod';

import type { Repositories } from '@yunzhen/db';
import { toFhirBundle, type ReportDocument } from '@yunzhen/report';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireRole } from '../auth/authenticate.js';
import type { Vault } from '../vault/vault.js';
import { readJson } from '../validation.js';
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

export interface WebhookDispatcherDeps {
  repos: Repositories;
  vault: Vault;
  now: () => Date;
  fetch?: typeof fetch;
}

/**
 * Delivers pending webhook events to sending hospitals. The payload (the signed report and
 * its FHIR Bundle, re-identified: it goes to the hospital's own systems) is built at delivery
 * time and never stored; each reveal is audited as the system's. Failures are retried with
 * backoff and every attempt is logged on the delivery.
 */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps) {
  const send = deps.fetch ?? fetch;
  let running = false;
  return {
    async tick(): Promise<number> {
      if (running) return 0;
      running = true;
      let processed = 0;
      try {
        for (const delivery of await deps.repos.webhooks.due(deps.now())) {
          processed++;
          const attempts = delivery.attempts + 1;
          const fail = (statusCode: number | null, error: string) =>
            deps.repos.webhooks.recordAttempt(delivery.id, { delivered: false, statusCode, error, attempts, nextAttemptAt: attempts < MAX_ATTEMPTS ? new Date(deps.now().getTime() + retryDelayMs(attempts)) : null }, deps.now());
          const webhook = await deps.repos.webhooks.get(delivery.tenant_id);
          if (!webhook?.enabled) {
            await deps.repos.webhooks.recordAttempt(delivery.id, { delivered: false, statusCode: null, error: 'webhook disabled', attempts, nextAttemptAt: null }, deps.now());
            continue;
          }
          let body: string;
          try {
            body = JSON.stringify(await payload(deps, delivery));
          } catch {
            await fail(null, 'payload could not be built');
            continue;
          }
          const secret = new TextDecoder().decode(deps.vault.decryptBytes(delivery.tenant_id, 'webhook-secret', webhook.secret_ciphertext));
          try {
            const response = await send(webhook.url, {
              method: 'POST',
              headers: {
                'Content-Type': 'application/json',
                'User-Agent': 'Yunzhen-Webhook/1',
                'X-Yunzhen-Event': delivery.event,
                'X-Yunzhen-Delivery': delivery.id,
                'X-Yunzhen-Signature': signatureHeader(secret, body, Math.floor(deps.now().getTime() / 1000)),
              },
              body,
              redirect: 'manual',
              signal: AbortSignal.timeout(TIMEOUT_MS),
            });
            await response.arrayBuffer().catch(() => undefined);
            if (response.ok) await deps.repos.webhooks.recordAttempt(delivery.id, { delivered: true, statusCode: response.status, error: null, attempts, nextAttemptAt: null }, deps.now());
            else await fail(response.status, `HTTP ${response.status}`);
          } catch (error) {
            await fail(null, (error as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed');
          }
        }
      } finally {
        running = false;
      }
      return processed;
    },
  };
}

async function payload(deps: WebhookDispatcherDeps, delivery: { tenant_id: string; consult_id: string; event: string; id: string; created_at: Date }) {
  const consult = await deps.repos.consults.get(delivery.tenant_id, delivery.consult_id);
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

const webhookSchema = z.object({
  // The payload carries the re-identified report: plain http only to this machine (a local relay).
  url: z
    .string()
    .url()
    .max(2000)
    .refine((value) => /^https:\/\//.test(value) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(value), 'must be an https URL (http only to localhost)'),
  secret: z.string().min(16).max(200),
  enabled: z.boolean().default(true),
});

/** A sending hospital's admin configures its webhook and reads the delivery log. */
export function webhookRoutes(deps: { repos: Repositories; vault: Vault; audit: AuditWriter; now: () => Date }) {
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
      const input = await readJson(c, webhookSchema);
      const secretCiphertext = deps.vault.encryptBytes(tenant.id, 'webhook-secret', new TextEncoder().encode(input.secret));
      await deps.repos.webhooks.set(tenant.id, { url: input.url, secretCiphertext, enabled: input.enabled }, deps.now());
      await deps.audit(c, { eventCode: AuditEvent.UserSecurityAttributesChanged, action: 'U', outcome: Outcome.Success, objectType: 'webhook', objectId: tenant.id });
      return c.json({ webhook: { url: input.url, enabled: input.enabled } });
    });
}
