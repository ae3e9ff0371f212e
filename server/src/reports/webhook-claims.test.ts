import { createServer, type Server } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRepositories, type Repositories } from '@yunzhen/db';
import { createTestDb, type TestDb } from '@yunzhen/db/testing';

import { seedDemoUnion } from '../demo-union.js';
import { createHospitalKeys } from '../vault/keys.js';
import { createVault, type Vault } from '../vault/vault.js';
import { createWebhookDispatcher, TEST_EVENT, WEBHOOK_LEASE_MS } from './webhooks.js';

/**
 * Several replicas run the webhook dispatcher against one database: each delivery is claimed
 * (FOR UPDATE SKIP LOCKED, with a lease) by one of them, and one whose replica died mid-attempt
 * is sent again after the lease, with the same idempotency key.
 */
describe('webhook deliveries claimed by one replica at a time', () => {
  let db: TestDb;
  let repos: Repositories;
  let vault: Vault;
  let tenantId: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: { key: string | undefined; delivery: string | undefined }[] = [];

  beforeAll(async () => {
    db = await createTestDb('embedded');
    repos = createRepositories(db.kysely);
    await seedDemoUnion(db.kysely);
    vault = createVault(createHospitalKeys('test-root-secret-of-at-least-32-characters'), repos.vault);
    tenantId = (await repos.users.findByEmail('admin@xuhui.demo'))!.tenant_id;
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push({ key: req.headers['idempotency-key'] as string | undefined, delivery: req.headers['x-yunzhen-delivery'] as string | undefined });
        // Slow enough that both replicas' passes overlap.
        setTimeout(() => res.writeHead(204).end(), 20);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    await repos.webhooks.set(tenantId, { url: receiverUrl, secretCiphertext: vault.encryptBytes(tenantId, 'webhook-secret', new TextEncoder().encode('whsec_test-secret-0123456789')), enabled: true }, new Date());
  }, 60_000);
  afterAll(async () => {
    receiver?.close();
    await db?.drop();
  });

  async function enqueue(count: number): Promise<string[]> {
    // Due by this process's clock: PostgreSQL's now() carries microseconds, so a JavaScript Date
    // taken in the same millisecond right after it could still be earlier than the row's due time.
    const due = new Date();
    const rows = await db.kysely
      .insertInto('webhook_delivery')
      .values(Array.from({ length: count }, () => ({ tenant_id: tenantId, consult_id: null, event: TEST_EVENT, payload: '{}', next_attempt_at: due })))
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  it('sends each delivery once when two replicas pass at the same moment', async () => {
    received.length = 0;
    const ids = await enqueue(12);
    const replicas = ['replica-a', 'replica-b'].map((claimant) => createWebhookDispatcher({ repos, vault, now: () => new Date(), claimant }));
    const attempted = await Promise.all(replicas.map((r) => r.tick()));
    expect(attempted[0]! + attempted[1]!).toBe(12);
    expect(received.map((r) => r.delivery).sort()).toEqual([...ids].sort());
    expect(received.every((r) => r.key === r.delivery)).toBe(true);
    const rows = await db.kysely.selectFrom('webhook_delivery').select(['status', 'claimed_by']).where('id', 'in', ids).execute();
    expect(rows.every((r) => r.status === 'delivered' && r.claimed_by === null)).toBe(true);
  });

  it('retries a delivery whose replica died mid-attempt once the lease ends, with the same idempotency key', async () => {
    received.length = 0;
    const [id] = await enqueue(1);
    const start = new Date();
    // A replica claims it and dies before recording anything.
    const claimed = await repos.webhooks.claimDue({ now: start, leaseMs: WEBHOOK_LEASE_MS, claimant: 'dead-replica' });
    expect(claimed.map((d) => d.id)).toEqual([id]);

    let clock = new Date(start.getTime() + WEBHOOK_LEASE_MS - 1000);
    const survivor = createWebhookDispatcher({ repos, vault, now: () => clock, claimant: 'survivor' });
    expect(await survivor.tick()).toBe(0); // still leased
    clock = new Date(start.getTime() + WEBHOOK_LEASE_MS + 1000);
    expect(await survivor.tick()).toBe(1);
    expect(received).toEqual([{ key: id, delivery: id }]);

    // The dead replica's late outcome does not overwrite the survivor's.
    expect(await repos.webhooks.recordAttempt(id!, { delivered: false, statusCode: 500, error: 'HTTP 500', attempts: 1, nextAttemptAt: clock }, clock, 'dead-replica')).toBe(false);
    const row = await db.kysely.selectFrom('webhook_delivery').select(['status', 'attempts']).where('id', '=', id!).executeTakeFirstOrThrow();
    expect(row, 'the interrupted attempt counts').toEqual({ status: 'delivered', attempts: 2 });
  });
});
