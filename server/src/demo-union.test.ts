import { afterAll, describe, expect, it } from 'vitest';

import { createDb, migrateToLatest, type Db } from '@yunzhen/db';
import { createEmptyTestDatabase } from '@yunzhen/db/testing';

import { demoPartner, demoUnion, seedDemoUnion } from './demo-union.js';

/**
 * Replicas that start together on an empty database: migrations (Kysely's migrator, under its
 * own advisory lock) and demo seeding (under ours) run once, and every replica starts.
 */
describe('replicas starting together on an empty database', () => {
  const opened: Db[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const db of opened) await db.close();
    await drop?.();
  });

  it('migrate and seed once, whichever replica comes first', async () => {
    const empty = await createEmptyTestDatabase('embedded');
    drop = empty.drop;
    for (let i = 0; i < 3; i++) opened.push(await createDb({ databaseUrl: empty.url, poolSize: 3 }));
    const seeded = await Promise.all(
      opened.map(async (db) => {
        await migrateToLatest(db.kysely);
        return seedDemoUnion(db.kysely);
      }),
    );
    expect(seeded.filter(Boolean)).toHaveLength(1);
    const db = opened[0]!.kysely;
    expect(await db.selectFrom('medical_union').select('id').execute()).toHaveLength(2); // the demo union and its foreign partners
    expect(await db.selectFrom('tenant').select('id').execute()).toHaveLength(demoUnion.tenants.length + 1); // and the foreign partner centre
    expect(await db.selectFrom('app_user').select('id').execute()).toHaveLength(demoUnion.tenants.reduce((sum, t) => sum + t.users.length, 0) + demoPartner.users.length);
  });
});
