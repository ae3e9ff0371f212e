import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRepositories } from '@yunzhen/db';
import { createTestDb, testDbKinds, type TestDb } from '@yunzhen/db/testing';
import { createFsStore } from '@yunzhen/storage';

import { createApp, defaultSettings, type App } from '../app.js';
import { DEMO_PASSWORD, seedDemoUnion } from '../demo-union.js';
import { createLogger } from '../logger.js';
import { defaultLoginThrottlePolicies, sourceOf, waitAfter } from './login-throttle.js';

/** The default policies, as numbers: wrong guesses one account takes from one address before any wait, one address across accounts, one account from anywhere; the longest account-wide wait. */
const PAIR_FREE = 5;
const SOURCE_FREE = 100;
const ACCOUNT_FREE = 20;
const ACCOUNT_MAX_WAIT_SECONDS = 60;

describe('sourceOf', () => {
  it('counts an IPv4 address as itself, and an IPv6 address by its /64', () => {
    expect(sourceOf('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(sourceOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8::7')).toBe('2001:db8:0:0::/64');
    expect(sourceOf(null)).toBeNull();
    expect(sourceOf(' ')).toBeNull();
  });

  it('doubles the wait past the free allowance, up to the policy’s longest', () => {
    const policy = { free: 2, baseMs: 1000, maxMs: 5000, leakMs: 60_000 };
    expect([0, 1, 2, 3, 4, 5].map((n) => waitAfter(policy, n))).toEqual([0, 0, 1000, 2000, 4000, 5000]);
    // A failure that has begun to leak still counts whole.
    expect(waitAfter(policy, 1.5)).toBe(1000);
  });

  it('has the defaults the tests below are written for', () => {
    const { pair, source, account } = defaultLoginThrottlePolicies;
    expect([pair.free, source.free, account.free, account.maxMs / 1000]).toEqual([PAIR_FREE, SOURCE_FREE, ACCOUNT_FREE, ACCOUNT_MAX_WAIT_SECONDS]);
  });
});

describe.each(testDbKinds)('login throttling on %s', (kind) => {
  let db: TestDb;
  let dataDir: string;
  /** Two servers on one database, as behind a load balancer; one clock the test moves. */
  let replicas: [App, App];
  let clock = Date.parse('2027-03-01T08:00:00Z');
  const advance = (seconds: number) => (clock += seconds * 1000);

  beforeAll(async () => {
    db = await createTestDb(kind);
    await seedDemoUnion(db.kysely);
    dataDir = await mkdtemp(join(tmpdir(), 'yunzhen-throttle-'));
    const replica = (name: string) =>
      createApp({
        db,
        store: createFsStore({ root: join(dataDir, 'objects') }),
        logger: createLogger({ level: 'silent' }),
        secret: 'test-root-secret-of-at-least-32-characters',
        // Behind a proxy, so a test can say which address each attempt comes from.
        settings: { ...defaultSettings, trustProxy: true, tempDir: join(dataDir, name) },
        now: () => new Date(clock),
      });
    replicas = [replica('a'), replica('b')];
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const login = async (email: string, password: string, address: string, replica = 0) => {
    const response = await replicas[replica as 0 | 1].request('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': address },
      body: JSON.stringify({ email, password }),
    });
    return { status: response.status, retryAfter: Number(response.headers.get('Retry-After') ?? 0), code: response.status === 200 ? null : ((await response.json()) as { error: { code: string } }).error.code };
  };

  /** Wrong guesses from one address, each made as soon as the throttle allows it. */
  const guess = async (email: string, address: string, count: number) => {
    for (let made = 0; made < count; ) {
      const answer = await login(email, `guess ${made}`, address);
      if (answer.status === 429) advance(answer.retryAfter);
      else (expect(answer.status).toBe(401), made++);
    }
  };

  it('never keeps the real user out from another address, however much one address guesses', async () => {
    await guess('doctor@xuhui.demo', '203.0.113.7', 10);
    expect((await login('doctor@xuhui.demo', DEMO_PASSWORD, '198.51.100.20')).status).toBe(200);
    expect((await login('doctor@xuhui.demo', 'wrong again', '203.0.113.7')).status).toBe(429);
  }, 60_000);

  it('slows the guessing address with 429 TooManyAttempts and a Retry-After that keeps growing', async () => {
    for (let i = 0; i < PAIR_FREE; i++) {
      expect((await login('rad@minhang.demo', `guess ${i}`, '203.0.113.8')).status).toBe(401);
    }
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      const refused = await login('rad@minhang.demo', 'another guess', '203.0.113.8');
      expect(refused).toMatchObject({ status: 429, code: 'TooManyAttempts' });
      waits.push(refused.retryAfter);
      // Even the right password waits: the address is refused before any password is checked.
      expect((await login('rad@minhang.demo', DEMO_PASSWORD, '203.0.113.8')).status).toBe(429);
      advance(refused.retryAfter);
      expect((await login('rad@minhang.demo', 'yet another guess', '203.0.113.8')).status).toBe(401);
    }
    expect(waits).toEqual([1, 2, 4, 8]);
    // The real user elsewhere is not slowed at all.
    expect((await login('rad@minhang.demo', DEMO_PASSWORD, '198.51.100.21')).status).toBe(200);
  }, 60_000);

  it('caps one address across many accounts, and only that address', async () => {
    const cap = SOURCE_FREE;
    for (let i = 0; i < cap; i++) {
      expect((await login(`nobody-${i}@spray.example`, 'Winter2027!', '192.0.2.50')).status, `guess ${i}`).toBe(401);
    }
    const refused = await login('nobody-new@spray.example', 'Winter2027!', '192.0.2.50');
    expect(refused).toMatchObject({ status: 429, code: 'TooManyAttempts' });
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect((await login('doctor@minhang.demo', DEMO_PASSWORD, '192.0.2.50')).status).toBe(429);
    expect((await login('doctor@minhang.demo', DEMO_PASSWORD, '192.0.2.51')).status).toBe(200);
  }, 180_000);

  it('shares its counts between replicas on one database', async () => {
    let refused = false;
    for (let i = 0; i < 12 && !refused; i++) refused = (await login('specialist@scc.demo', `guess ${i}`, '203.0.113.9', 0)).status === 429;
    expect(refused).toBe(true);
    expect((await login('specialist@scc.demo', 'one more guess', '203.0.113.9', 1)).status).toBe(429);
    expect((await login('specialist@scc.demo', DEMO_PASSWORD, '198.51.100.22', 1)).status).toBe(200);
  }, 60_000);

  it('counts parallel guesses one at a time, so a burst gets no more tries than a sequence', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login('admin@xuhui.demo', `burst ${i}`, '203.0.113.10', i % 2)));
    expect(answers.filter((a) => a.status === 401)).toHaveLength(PAIR_FREE);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(12 - PAIR_FREE);
  }, 60_000);

  it('slows an account guessed from many addresses only mildly, and never from where its user signs in', async () => {
    expect((await login('rad@xuhui.demo', DEMO_PASSWORD, '10.20.30.40')).status).toBe(200);
    const spread = ACCOUNT_FREE + 5;
    for (let i = 0; i < spread; i++) await login('rad@xuhui.demo', `guess ${i}`, `198.18.0.${i + 1}`);
    const stranger = await login('rad@xuhui.demo', DEMO_PASSWORD, '198.18.1.1');
    expect(stranger.status).toBe(429);
    expect(stranger.retryAfter).toBeLessThanOrEqual(ACCOUNT_MAX_WAIT_SECONDS);
    expect((await login('rad@xuhui.demo', DEMO_PASSWORD, '10.20.30.40')).status).toBe(200);
  }, 120_000);

  it('stores hashes, never an email or an address, and sweeps counters once they expire', async () => {
    const rows = await db.kysely.selectFrom('login_throttle').selectAll().execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    const stored = JSON.stringify(rows);
    for (const plain of ['xuhui', 'minhang', 'spray', '203.0.113', '192.0.2', '10.20.30.40']) expect(stored).not.toContain(plain);

    advance(31 * 24 * 60 * 60); // past every wait, leak and trust
    expect((await login('doctor@xuhui.demo', DEMO_PASSWORD, '198.51.100.20')).status).toBe(200);
    // The sweep ran; what is left is that login's own trust in its address.
    expect(await db.kysely.selectFrom('login_throttle').select('key_hash').execute()).toHaveLength(1);
  }, 60_000);
});
