/** Exponential backoff from 1 s, capped at 30 s, with jitter. */
export function backoff(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
