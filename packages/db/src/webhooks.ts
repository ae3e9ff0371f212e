import type { Kysely } from 'kysely';

import { claimDue, type ClaimOptions } from './outbox.js';
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

    /** Changes the address and the switch, keeping the secret; false when the hospital has no webhook yet. */
    async update(tenantId: string, webhook: { url: string; enabled: boolean }, now: Date): Promise<boolean> {
      const result = await db.updateTable('hospital_webhook').set({ url: webhook.url, enabled: webhook.enabled, updated_at: now }).where('tenant_id', '=', tenantId).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Replaces the signing secret; false when the hospital has no webhook yet. */
    async setSecret(tenantId: string, secretCiphertext: Uint8Array, now: Date): Promise<boolean> {
      const result = await db.updateTable('hospital_webhook').set({ secret_ciphertext: secretCiphertext, updated_at: now }).where('tenant_id', '=', tenantId).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async enqueue(delivery: { tenantId: string; consultId: string; event: string; payload: unknown }) {
      await db
        .insertInto('webhook_delivery')
        .values({ tenant_id: delivery.tenantId, consult_id: delivery.consultId, event: delivery.event, payload: JSON.stringify(delivery.payload) })
        .execute();
    },

    /** Claims due deliveries for one attempt each (see `claimDue`). */
    claimDue(options: ClaimOptions) {
      return claimDue(db, 'webhook_delivery', options);
    },

    /**
     * Records an attempt by the claimant that still holds the delivery; false when its lease
     * ran out and another replica claimed it meanwhile (that replica's outcome stands).
     */
    async recordAttempt(
      id: string,
      outcome: { delivered: boolean; statusCode: number | null; error: string | null; attempts: number; nextAttemptAt: Date | null; durationMs?: number | null },
      now: Date,
      claimant: string,
    ): Promise<boolean> {
      const result = await db
        .updateTable('webhook_delivery')
        .set({
          attempts: outcome.attempts,
          last_status_code: outcome.statusCode,
          last_error: outcome.error,
          last_attempt_at: now,
          last_duration_ms: outcome.durationMs ?? null,
          claimed_by: null,
          status: outcome.delivered ? 'delivered' : outcome.nextAttemptAt ? 'pending' : 'failed',
          ...(outcome.nextAttemptAt && { next_attempt_at: outcome.nextAttemptAt }),
          ...(outcome.delivered && { delivered_at: now }),
        })
        .where('id', '=', id)
        .where('claimed_by', '=', claimant)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /**
     * Logs a test event sent at once by an admin (about no consult): delivered, or failed with
     * no automatic retry. Returns the delivery's id.
     */
    async recordTest(
      tenantId: string,
      test: { id: string; event: string; delivered: boolean; statusCode: number | null; error: string | null; durationMs: number; createdAt: Date },
      now: Date,
    ): Promise<string> {
      const row = await db
        .insertInto('webhook_delivery')
        .values({
          id: test.id,
          tenant_id: tenantId,
          consult_id: null,
          event: test.event,
          payload: JSON.stringify({}),
          status: test.delivered ? 'delivered' : 'failed',
          attempts: 1,
          next_attempt_at: test.createdAt,
          last_status_code: test.statusCode,
          last_error: test.error,
          last_attempt_at: now,
          last_duration_ms: test.durationMs,
          created_at: test.createdAt,
          delivered_at: test.delivered ? now : null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    /** One delivery of the hospital's log, or undefined (another hospital's id is undefined too). */
    delivery(tenantId: string, id: string) {
      return db.selectFrom('webhook_delivery').select(logColumns).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    },

    /**
     * A page of the hospital's log, newest first; `before` is the id of the last delivery of
     * the previous page (compared in the database, so microsecond timestamps page exactly).
     */
    page(tenantId: string, options: { limit: number; before?: string }) {
      let query = db.selectFrom('webhook_delivery as d').select(logColumns.map((column) => `d.${column}` as const)).where('d.tenant_id', '=', tenantId);
      if (options.before) {
        const before = options.before;
        query = query.where(({ eb, selectFrom, refTuple }) =>
          eb(
            refTuple('d.created_at', 'd.id'),
            '<',
            selectFrom('webhook_delivery as b').select(['b.created_at', 'b.id']).where('b.tenant_id', '=', tenantId).where('b.id', '=', before).$asTuple('created_at', 'id'),
          ),
        );
      }
      return query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(options.limit).execute();
    },

    /** Puts a given-up delivery back in the queue, due now; false when it is not the hospital's or not given up. */
    async requeue(tenantId: string, id: string, now: Date): Promise<boolean> {
      const result = await db
        .updateTable('webhook_delivery')
        .set({ status: 'pending', next_attempt_at: now, claimed_by: null })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
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

const logColumns = [
  'id',
  'consult_id',
  'event',
  'status',
  'attempts',
  'last_status_code',
  'last_error',
  'last_attempt_at',
  'last_duration_ms',
  'created_at',
  'delivered_at',
  'next_attempt_at',
] as const;

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;
