import type { Kysely } from 'kysely';

import type { Database } from './schema.js';

/** A hospital's webhook and the log of every delivery, retried with backoff until it succeeds or gives up. */
export function createWebhookRepository(db: Kysely<Database>) {
  return {
    get(tenantId: string) {
      return db.selectFrom('hospital_webhook').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
    },

    async set(tenantId: string, webhook: { url: string; secretCiphertext: Uint8Array; enabled: boolean }, now: Date) {
      await db
        .insertInto('hospital_webhook')
        .values({ tenant_id: tenantId, url: webhook.url, secret_ciphertext: webhook.secretCiphertext, enabled: webhook.enabled, updated_at: now })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ url: webhook.url, secret_ciphertext: webhook.secretCiphertext, enabled: webhook.enabled, updated_at: now }))
        .execute();
    },

    async enqueue(delivery: { tenantId: string; consultId: string; event: string; payload: unknown }) {
      await db
        .insertInto('webhook_delivery')
        .values({ tenant_id: delivery.tenantId, consult_id: delivery.consultId, event: delivery.event, payload: JSON.stringify(delivery.payload) })
        .execute();
    },

    due(now: Date, limit = 20) {
      return db
        .selectFrom('webhook_delivery')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute();
    },

    async recordAttempt(id: string, outcome: { delivered: boolean; statusCode: number | null; error: string | null; attempts: number; nextAttemptAt: Date | null }, now: Date) {
      await db
        .updateTable('webhook_delivery')
        .set({
          attempts: outcome.attempts,
          last_status_code: outcome.statusCode,
          last_error: outcome.error,
          status: outcome.delivered ? 'delivered' : outcome.nextAttemptAt ? 'pending' : 'failed',
          ...(outcome.nextAttemptAt && { next_attempt_at: outcome.nextAttemptAt }),
          ...(outcome.delivered && { delivered_at: now }),
        })
        .where('id', '=', id)
        .execute();
    },

    deliveries(tenantId: string, limit = 100) {
      return db
        .selectFrom('webhook_delivery')
        .select(['id', 'consult_id', 'event', 'status', 'attempts', 'last_status_code', 'last_error', 'created_at', 'delivered_at', 'next_attempt_at'])
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute();
    },
  };
}

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;
