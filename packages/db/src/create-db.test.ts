import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { onThisMachine } from './create-db.js';
import { createTestDb, type TestDb } from './testing/index.js';

describe('createDb: a connection lost while checked out', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb('embedded');
  });
  afterAll(() => db.drop());

  // A SIGKILLed postmaster drops every connection, also those held by a transaction between
  // two statements. pg emits 'error' on such a client; without a listener that is an uncaught
  // exception, which ended the server instead of answering 503 (Vitest fails the run on it).
  it('fails the transaction that holds it, not the process', async () => {
    const outcome = await db.kysely
      .transaction()
      .execute(async (tx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
        // Another connection of the pool ends this one's backend.
        await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(db.kysely);
        await new Promise((resolve) => setTimeout(resolve, 500));
        await sql`select 1`.execute(tx);
      })
      .then(
        () => 'committed',
        () => 'failed',
      );
    expect(outcome).toBe('failed');
    // The pool replaces the lost connection.
    await db.ping();
  });
});

describe('whether the database server runs on this machine (its disks are checked for room)', () => {
  it('says yes for a socket directory or a loopback host, no for another host', () => {
    expect(onThisMachine('postgres://yunzhen:pw@localhost/yunzhen?host=%2Fsrv%2Fpg%2Frun&port=5432')).toBe(true);
    expect(onThisMachine('postgres://yunzhen@127.0.0.1:5432/yunzhen')).toBe(true);
    expect(onThisMachine('postgres://yunzhen@[::1]:5432/yunzhen')).toBe(true);
    expect(onThisMachine('postgres://yunzhen@db.internal:5432/yunzhen')).toBe(false);
    expect(onThisMachine('not a url')).toBe(false);
  });
});
