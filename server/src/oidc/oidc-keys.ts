import { createECDH, createHash, createHmac, hkdfSync } from 'node:crypto';

/** P-256 group order: a derived private scalar must lie in [1, n-1]. */
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/**
 * The provider's signing key (ES256, P-256), cookie key and client-secret key, derived from the root secret with
 * HKDF-SHA256 (salt `yunzhen/keys/v1`, as the hospital keys), so every replica signs and
 * verifies with the same key without storing one. The key id is a hash of the public key.
 */
export function deriveOidcKeys(rootSecret: string) {
  let scalar: Buffer | undefined;
  // A 256-bit HKDF output is below the order but for a chance of about 2^-32; take the next counter then.
  for (let counter = 0; !scalar; counter++) {
    const candidate = Buffer.from(hkdfSync('sha256', rootSecret, 'yunzhen/keys/v1', `oidc-signing:${counter}`, 32));
    const value = BigInt(`0x${candidate.toString('hex')}`);
    if (value > 0n && value < P256_ORDER) scalar = candidate;
  }
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(scalar);
  const publicKey = ecdh.getPublicKey(); // 0x04 || x || y
  const x = publicKey.subarray(1, 33);
  const y = publicKey.subarray(33, 65);
  const kid = createHash('sha256').update(publicKey).digest('base64url').slice(0, 16);
  const signingJwk = { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid, x: b64url(x), y: b64url(y), d: b64url(scalar) };
  const { d: _private, ...publicJwk } = signingJwk;
  const cookieKey = Buffer.from(hkdfSync('sha256', rootSecret, 'yunzhen/keys/v1', 'oidc-cookies', 32)).toString('base64url');
  const clientSecretKey = Buffer.from(hkdfSync('sha256', rootSecret, 'yunzhen/keys/v1', 'oidc-client-secrets', 32)).toString('base64url');
  return { signingJwk, publicJwk, cookieKey, clientSecretKey };
}

/** A confidential client's secret: HMAC of its id and salt under the derived key (the salt is stored, the secret never is). */
export function clientSecret(clientSecretKey: string, clientId: string, salt: string): string {
  return createHmac('sha256', Buffer.from(clientSecretKey, 'base64url')).update(`${clientId}\n${salt}`).digest('base64url');
}
