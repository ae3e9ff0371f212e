import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { clientSecret, deriveOidcKeys } from './oidc-keys.js';

describe('OpenID Connect keys derived from the root secret', () => {
  it('are the same on every replica with the same secret and differ with another, and the public key verifies the private one', () => {
    const secret = 'a-root-secret-of-at-least-32-characters';
    const one = deriveOidcKeys(secret);
    const replica = deriveOidcKeys(secret);
    expect(replica).toEqual(one);
    const other = deriveOidcKeys(`${secret}!`);
    expect(other.publicJwk.kid).not.toBe(one.publicJwk.kid);
    expect(other.cookieKey).not.toBe(one.cookieKey);
    // A confidential client's secret: the same from every replica, another with another root secret or salt.
    expect(clientSecret(replica.clientSecretKey, 'portal', 'salt-1')).toBe(clientSecret(one.clientSecretKey, 'portal', 'salt-1'));
    expect(clientSecret(other.clientSecretKey, 'portal', 'salt-1')).not.toBe(clientSecret(one.clientSecretKey, 'portal', 'salt-1'));
    expect(clientSecret(one.clientSecretKey, 'portal', 'salt-2')).not.toBe(clientSecret(one.clientSecretKey, 'portal', 'salt-1'));
    expect(one.publicJwk).not.toHaveProperty('d');
    const message = Buffer.from('signed by one replica, checked by another');
    const signature = sign('sha256', message, createPrivateKey({ key: one.signingJwk, format: 'jwk' }));
    expect(verify('sha256', message, createPublicKey({ key: replica.publicJwk, format: 'jwk' }), signature)).toBe(true);
  });
});
