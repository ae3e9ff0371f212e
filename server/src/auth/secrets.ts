import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new unguessable credential (session id, API token, CSRF token): 256 random bits. */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Credentials are stored and looked up by this hash only. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
