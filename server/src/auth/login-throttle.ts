import { createHmac, hkdfSync } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

import type { LoginThrottleEntry, LoginThrottleRepository } from '@yunzhen/db';

/**
 * How one kind of counter slows guessing. Failures leak away, one per `leakMs` (a leaky
 * bucket), so occasional typos never add up; once `free` of them are outstanding, each
 * further failure makes the next attempt wait `baseMs`, then twice as long, and so on up to
 * `maxMs`. Over time a guesser gets about one try per `leakMs`.
 */
export interface ThrottlePolicy {
  free: number;
  baseMs: number;
  maxMs: number;
  leakMs: number;
}

export interface LoginThrottlePolicies {
  /** One account from one source: the guesser's own counter, steep. */
  pair: ThrottlePolicy;
  /** One source across accounts: a cap on spraying, high because a hospital's staff share one NAT address. */
  source: ThrottlePolicy;
  /** One account from anywhere (many sources guessing one password): mild and short, and never applied to a source the account has logged in from. */
  account: ThrottlePolicy;
  /** How long a source the account logged in from stays exempt from the account-wide counter. */
  trustMs: number;
  /** Least time between two sweeps of expired counters by one server. */
  sweepEveryMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const defaultLoginThrottlePolicies: LoginThrottlePolicies = {
  pair: { free: 5, baseMs: SECOND, maxMs: 15 * MINUTE, leakMs: 10 * MINUTE },
  source: { free: 100, baseMs: SECOND, maxMs: 15 * MINUTE, leakMs: 30 * SECOND },
  account: { free: 20, baseMs: SECOND, maxMs: MINUTE, leakMs: MINUTE },
  trustMs: 30 * 24 * 60 * MINUTE,
  sweepEveryMs: 5 * MINUTE,
};

export interface LoginAttempt {
  /** The email as typed, lowercased; unknown accounts are counted like real ones. */
  account: string;
  /** The client address, or null when it is not known (then only the account is counted). */
  address: string | null;
}

export interface LoginThrottleDeps {
  repo: LoginThrottleRepository;
  /** Root secret (YUNZHEN_SECRET); the key that hashes emails and addresses is derived from it. */
  secret: string;
  now: () => Date;
  policies?: LoginThrottlePolicies;
}

/**
 * Slows password guessing without handing an attacker a way to lock anyone out. Three
 * counters see each attempt: the account from this source (steep exponential backoff), the
 * source across all accounts (a high cap), and the account from any source (a mild slowdown
 * that a source the account has logged in from before never feels). Guesses from one address
 * therefore never stop the real user signing in from another.
 *
 * The counters live in the database under HMAC keys, so every replica sees the same counts and
 * a database dump holds no email or address. An admitted attempt counts as a failure until it
 * is known to have succeeded: parallel guesses cannot all slip through before the first one
 * is recorded.
 */
export function createLoginThrottle(deps: LoginThrottleDeps) {
  const policies = deps.policies ?? defaultLoginThrottlePolicies;
  // HKDF-SHA256 from the root secret, as the hospital keys (vault/keys.ts) are, under its own info.
  const key = Buffer.from(hkdfSync('sha256', deps.secret, 'yunzhen/keys/v1', 'login-throttle', 32));
  const hash = (...parts: string[]) => createHmac('sha256', key).update(parts.join('\0')).digest('hex');
  let lastSweep = Number.NEGATIVE_INFINITY;

  const counters = async (attempt: LoginAttempt, now: Date) => {
    const source = sourceOf(attempt.address);
    const trustKey = source === null ? null : hash('trusted', attempt.account, source);
    const trusted = trustKey !== null && (await deps.repo.get(trustKey, now)) !== undefined;
    return {
      trustKey,
      counted: [
        { key: hash('pair', attempt.account, source ?? ''), policy: policies.pair, resetOnSuccess: true },
        ...(source === null ? [] : [{ key: hash('source', source), policy: policies.source, resetOnSuccess: false }]),
        ...(trusted ? [] : [{ key: hash('account', attempt.account), policy: policies.account, resetOnSuccess: false }]),
      ],
    };
  };

  return {
    /**
     * Seconds to wait before this attempt may be made, or 0 when it may: it is then counted as
     * a failure until `succeeded` says otherwise.
     */
    async admit(attempt: LoginAttempt): Promise<number> {
      const now = deps.now();
      if (now.getTime() - lastSweep >= policies.sweepEveryMs) {
        lastSweep = now.getTime();
        await deps.repo.deleteExpired(now);
      }
      const { counted } = await counters(attempt, now);
      return deps.repo.update(
        counted.map((c) => c.key),
        now,
        (live) => {
          const waitMs = Math.max(0, ...counted.map((c) => (live.get(c.key)?.blocked_until?.getTime() ?? 0) - now.getTime()));
          if (waitMs > 0) return { changes: new Map(), result: Math.ceil(waitMs / SECOND) };
          const changes = new Map(
            counted.map((c) => {
              const failures = remaining(c.policy, live.get(c.key), now) + 1;
              const nextWaitMs = waitAfter(c.policy, failures);
              return [c.key, counter(c.key, c.policy, failures, now, nextWaitMs > 0 ? new Date(now.getTime() + nextWaitMs) : null)];
            }),
          );
          return { changes, result: 0 };
        },
      );
    },

    /** The admitted attempt had the right password: it was no failure, and its source becomes known to the account. */
    async succeeded(attempt: LoginAttempt): Promise<void> {
      const now = deps.now();
      const { counted, trustKey } = await counters(attempt, now);
      await deps.repo.update([...counted.map((c) => c.key), ...(trustKey ? [trustKey] : [])], now, (live) => {
        const changes = new Map<string, LoginThrottleEntry | null>();
        for (const c of counted) {
          const entry = live.get(c.key);
          const failures = Math.max(0, remaining(c.policy, entry, now) - 1);
          // A wait already running stays only while the counter is still over its allowance.
          const blockedUntil = waitAfter(c.policy, failures) > 0 ? (entry?.blocked_until ?? null) : null;
          changes.set(c.key, c.resetOnSuccess ? null : counter(c.key, c.policy, failures, now, blockedUntil));
        }
        if (trustKey) changes.set(trustKey, { key_hash: trustKey, failures: 0, updated_at: now, blocked_until: null, expires_at: new Date(now.getTime() + policies.trustMs) });
        return { changes, result: undefined };
      });
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/** Failures still outstanding on a counter at `now`, after leaking. */
function remaining(policy: ThrottlePolicy, entry: LoginThrottleEntry | undefined, now: Date): number {
  if (!entry) return 0;
  return Math.max(0, entry.failures - (now.getTime() - entry.updated_at.getTime()) / policy.leakMs);
}

/** Whole failures outstanding: one only begins to count as forgotten once it has fully leaked. */
const whole = (failures: number) => Math.ceil(failures - 1e-9);

/** The wait before the next attempt when `failures` are outstanding. */
export function waitAfter(policy: ThrottlePolicy, failures: number): number {
  const over = whole(failures) - policy.free;
  return over < 0 ? 0 : Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(over, 40));
}

/** A counter with `failures` outstanding, or null when there is nothing left to remember. */
function counter(key: string, policy: ThrottlePolicy, failures: number, now: Date, blockedUntil: Date | null): LoginThrottleEntry | null {
  const forgottenAt = Math.max(blockedUntil?.getTime() ?? 0, now.getTime() + failures * policy.leakMs);
  if (forgottenAt <= now.getTime()) return null;
  return { key_hash: key, failures, updated_at: now, blocked_until: blockedUntil, expires_at: new Date(forgottenAt) };
}

/**
 * The part of an address one client controls: an IPv4 address (IPv4-mapped IPv6 included), or
 * the /64 prefix of an IPv6 address, since one subscriber is handed a whole /64. Anything else
 * (a proxy's header that is not an address) is taken as it is.
 */
export function sourceOf(address: string | null): string | null {
  const trimmed = address?.trim().toLowerCase();
  if (!trimmed) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(trimmed)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (isIPv4(trimmed) || !isIPv6(trimmed)) return trimmed;
  const [head = '', tail] = trimmed.replace(/%.*$/, '').split('::');
  const left = head ? head.split(':') : [];
  // An IPv4 tail (64:ff9b::192.0.2.1) stands for the last two groups.
  const right = (tail ? tail.split(':') : []).flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
