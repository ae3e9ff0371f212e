import type { Principal } from '../app-env.js';
import { createTtlCache } from '../ttl-cache.js';

/**
 * Recently resolved callers, by credential hash, for a few seconds: a viewer sends hundreds of
 * requests a minute and each would otherwise cost two database reads. Logout and changes to
 * a user forget their entries at once in this process and, through the database's change
 * notifications (`cache-changes.ts`), in every other replica; `ttlMs` bounds what a missed
 * notification can leave behind.
 */
export function createPrincipalCache(options: { ttlMs: number; maxEntries: number; now: () => number }) {
  const cache = createTtlCache<Principal>(options);
  return {
    get: (credentialHash: string) => cache.get(credentialHash),
    set: (principal: Principal) => cache.set(principal.credentialHash, principal),
    forgetCredential: (credentialHash: string) => cache.delete(credentialHash),
    forgetUser: (userId: string) => cache.deleteWhere((principal) => principal.user.id === userId),
    forgetAll: () => cache.clear(),
    forgetGrant: (grantId: string) => cache.deleteWhere((principal) => principal.oidcGrantId === grantId),
  };
}

export type PrincipalCache = ReturnType<typeof createPrincipalCache>;
