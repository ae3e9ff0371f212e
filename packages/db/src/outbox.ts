import { sql, type Kysely, type Selectable } from 'kysely';

import type { Database } from './schema.js';

/** Tables of work that one replica does once: a due row is claimed, attempted, then recorded. */
export type OutboxTable = 'webhook_delivery' | 'pacs_delivery' | 'email_outbox' | 'pixel_scan';

export interface ClaimOptions {
  now: Date;
  /** How long the claim holds: longer than one attempt can take. */
  leaseMs: number;
  /** Who claims (host and process), kept on the row for operators. */
  claimant: string;
  limit?: number;
}

/**
 * Claims due rows of an outbox for one attempt: `FOR UPDATE SKIP LOCKED` lets replicas that
 * poll at the same moment take different rows instead of waiting for or repeating each
 * other's, and the claim pushes `next_attempt_at` to the lease's end. The lease is the only
 * state: a replica that dies mid-attempt leaves the row to fall due again when it ends, and
 * another replica retries it (at least once; receivers dedupe by the delivery's id), the
 * interrupted attempt counted.
 */
export async function claimDue<T extends OutboxTable>(db: Kysely<Database>, table: T, options: ClaimOptions): Promise<Selectable<Database[T]>[]> {
  // The outboxes share these columns; the union of table types is more than kysely's builders resolve.
  const outbox = db as unknown as Kysely<{ outbox: { id: string; status: string; attempts: number; next_attempt_at: Date; claimed_by: string | null } }>;
  const name = table as unknown as 'outbox';
  const rows = await outbox
    .updateTable(name)
    .set({
      next_attempt_at: new Date(options.now.getTime() + options.leaseMs),
      claimed_by: options.claimant,
      // Still claimed: the last claimant died mid-attempt. That attempt counts, so a delivery
      // that brings its replica down every time still runs out of attempts.
      attempts: sql<number>`attempts + (claimed_by is not null)::int`,
    })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom(name)
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', options.now)
        .orderBy('next_attempt_at')
        .limit(options.limit ?? 1)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
  return rows as unknown as Selectable<Database[T]>[];
}
