import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRepositories, isDatabaseUnavailable, type Repositories } from './index.js';
import { createTestDb, testDbKinds, type TestDb } from './testing/test-db.js';

describe.each(testDbKinds)('repositories on %s', (kind) => {
  let db: TestDb;
  let repos: Repositories;
  beforeAll(async () => {
    db = await createTestDb(kind);
    repos = createRepositories(db.kysely);
  }, 60_000);
  afterAll(async () => {
    await db.drop();
  });

  it('reports which kind of database it is', () => {
    expect(db.kind).toBe(kind);
  });

  it('creates the foundation tables', async () => {
    const tables = await db.kysely.introspection.getTables();
    expect(tables.map((t) => t.name).sort()).toEqual(
      expect.arrayContaining(['api_token', 'app_user', 'audit_event', 'medical_union', 'tenant', 'user_session']),
    );
  });

  it('finds the reading centres of a sending hospital through its union', async () => {
    const unionId = await repos.tenants.createUnion(`Union ${kind}`);
    const centre = await repos.tenants.create({ name: `Centre ${kind}`, kind: 'reading', unionId });
    const hospital = await repos.tenants.create({ name: `Hospital ${kind}`, kind: 'sending', unionId });
    await repos.tenants.create({ name: `Outsider ${kind}`, kind: 'reading' });
    const centres = await repos.tenants.readingCentresFor(hospital.id);
    expect(centres.map((t) => t.id)).toEqual([centre.id]);
  });

  it('stores users lowercased and scopes tenant reads', async () => {
    const a = await repos.tenants.create({ name: `A ${kind}`, kind: 'sending' });
    const b = await repos.tenants.create({ name: `B ${kind}`, kind: 'sending' });
    const user = await repos.users.create({
      tenantId: a.id,
      email: `Rad@A-${kind}.example`,
      displayName: 'Radiographer',
      role: 'radiographer',
      licensed: true,
      passwordHash: 'hash',
    });
    expect(user.email).toBe(`rad@a-${kind}.example`);
    expect(user.licensed).toBe(true);
    expect(user.created_at).toBeInstanceOf(Date);
    expect(await repos.users.findByEmail(`RAD@a-${kind}.example`)).toMatchObject({ id: user.id });
    expect(await repos.users.getInTenant(a.id, user.id)).toMatchObject({ id: user.id });
    expect(await repos.users.getInTenant(b.id, user.id)).toBeUndefined();
    expect(await repos.users.update(b.id, user.id, { licensed: false })).toBeUndefined();
    expect(await repos.users.update(a.id, user.id, { licensed: false })).toMatchObject({ licensed: false });
  });

  it('refuses a duplicate email and an unknown role', async () => {
    const t = await repos.tenants.create({ name: `Dup ${kind}`, kind: 'reading' });
    const base = { tenantId: t.id, displayName: 'x', licensed: false, passwordHash: null } as const;
    await repos.users.create({ ...base, email: `dup@${kind}.example`, role: 'admin' });
    await expect(repos.users.create({ ...base, email: `dup@${kind}.example`, role: 'admin' })).rejects.toThrow();
    await expect(
      repos.users.create({ ...base, email: `bad@${kind}.example`, role: 'janitor' as never }),
    ).rejects.toThrow();
  });

  it('finds live sessions and tokens, and not revoked or expired ones', async () => {
    const t = await repos.tenants.create({ name: `Sess ${kind}`, kind: 'reading' });
    const user = await repos.users.create({
      tenantId: t.id, email: `s@${kind}.example`, displayName: 'S', role: 'specialist', licensed: true, passwordHash: null,
    });
    const now = new Date();
    const later = new Date(now.getTime() + 60_000);
    await repos.credentials.createSession({ idHash: `h1-${kind}`, userId: user.id, csrfToken: 'c', expiresAt: later });
    expect(await repos.credentials.findSession(`h1-${kind}`, now)).toMatchObject({ user: { id: user.id }, csrfToken: 'c' });
    expect(await repos.credentials.findSession(`h1-${kind}`, new Date(later.getTime() + 1))).toBeUndefined();
    await repos.credentials.revokeSession(`h1-${kind}`, now);
    expect(await repos.credentials.findSession(`h1-${kind}`, now)).toBeUndefined();

    await repos.credentials.createApiToken({ tokenHash: `t1-${kind}`, userId: user.id, expiresAt: later });
    expect(await repos.credentials.findApiTokenUser(`t1-${kind}`, now)).toMatchObject({ id: user.id });
    await repos.users.update(t.id, user.id, { disabled: true });
    expect(await repos.credentials.findApiTokenUser(`t1-${kind}`, now)).toBeUndefined();
  });

  it('records audit events with numeric ids and JSON detail', async () => {
    await repos.audit.record({ eventCode: '110114', action: 'E', outcome: 4, detail: { reason: 'InvalidCredentials' } });
    const [event] = await repos.audit.list({ eventCode: '110114', limit: 1 });
    expect(event).toMatchObject({ event_code: '110114', outcome: 4, detail: { reason: 'InvalidCredentials' } });
    expect(typeof event?.id).toBe('number');
    const count = await sql<{ n: number }>`select count(*)::int8 as n from audit_event`.execute(db.kysely);
    expect(typeof count.rows[0]?.n).toBe('number');
  });
});

describe('isDatabaseUnavailable', () => {
  it('classifies connection failures, not query errors', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('admin shutdown'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
    // A full disk is an outage the server recovers from (503 with Retry-After), not a bug (500).
    expect(isDatabaseUnavailable(Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }))).toBe(true);
    // What pg says when a transaction's rollback meets a connection the server has just dropped.
    expect(isDatabaseUnavailable(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Client was closed and is not queryable'))).toBe(true);
  });
});
