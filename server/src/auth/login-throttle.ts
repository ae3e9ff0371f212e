export interface LoginThrottleOptions {
  /** Failed logins allowed per account within the window. */
  perAccount: number;
  /** Failed logins allowed per client address within the window (high: a hospital's staff share one NAT address). */
  perAddress: number;
  windowMs: number;
  now: () => number;
}

/**
 * Slows password guessing: once an account, or a client address, has too many failed
 * logins within the window, further attempts are refused until the window passes. Kept in
 * memory per server process; behind several replicas each counts on its own.
 */
export function createLoginThrottle(options: LoginThrottleOptions) {
  const failures = new Map<string, number[]>();

  const recent = (key: string) => {
    const since = options.now() - options.windowMs;
    const kept = (failures.get(key) ?? []).filter((t) => t > since);
    if (kept.length) failures.set(key, kept);
    else failures.delete(key);
    return kept;
  };
  const keysOf = (attempt: LoginAttempt) => [
    { key: `account:${attempt.account}`, limit: options.perAccount },
    ...(attempt.address ? [{ key: `address:${attempt.address}`, limit: options.perAddress }] : []),
  ];

  return {
    /** Seconds to wait before trying again, or 0 when an attempt is allowed. */
    retryAfterSeconds(attempt: LoginAttempt): number {
      let wait = 0;
      for (const { key, limit } of keysOf(attempt)) {
        const times = recent(key);
        if (times.length >= limit) {
          wait = Math.max(wait, Math.ceil((times[0]! + options.windowMs - options.now()) / 1000));
        }
      }
      return wait;
    },
    recordFailure(attempt: LoginAttempt): void {
      for (const { key } of keysOf(attempt)) failures.set(key, [...recent(key), options.now()]);
    },
    /** A success clears the account's count; the address keeps its count. */
    recordSuccess(attempt: LoginAttempt): void {
      failures.delete(`account:${attempt.account}`);
    },
  };
}

export interface LoginAttempt {
  account: string;
  address: string | null;
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
