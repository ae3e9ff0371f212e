import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { deriveOidcKeys } from './oidc-keys.js';

describe('OpenID Connect keys derived from the root secret', () => {
  it('are the same on every replica with the same secret and differ with another, and the public key verifies the private one', () => {
    const secret = 'a-root-secret-of-at-least-32-characters';
    const one = deriveOidcKeys(secret);
    const replica = deriveOidcKeys(secret);
    expect(replica).toEqual(one);
    const other = deriveOidcKeys(`${secret}!`);
    expect(other.publicJwk.kid).not.toBe(one.publicJwk.kid);
    expect(other.cookieKey).not.toBe(one.cookieKey);
    expect(one.publicJwk).not.toHaveProperty('d');
    const message = Buffer.from('signed by one replica, checked by another');
    const signature = sign('sha256', message, createPrivateKey({ key: one.signingJwk, format: 'jwk' }));
    expect(verify('sha256', message, createPublicKey({ key: replica.publicJwk, format: 'jwk' }), signature)).toBe(true);
  });
});
