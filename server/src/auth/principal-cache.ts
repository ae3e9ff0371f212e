import type { Principal } from '../app-env.js';

/**
 * Recently resolved callers, by credential hash, for a few seconds: a viewer sends hundreds of
 * requests a minute and each would otherwise cost two database reads. Logout and changes to
 * a user forget their entries at once in this process; other replicas notice within `ttlMs`.
 */
export function createPrincipalCache(options: { ttlMs: number; maxEntries: number; now: () => number }) {
  const entries = new Map<string, { principal: Principal; until: number }>();
  return {
    get(credentialHash: string): Principal | undefined {
      const entry = entries.get(credentialHash);
      if (!entry) return undefined;
      if (entry.until <= options.now()) {
        entries.delete(credentialHash);
        return undefined;
      }
      return entry.principal;
    },
    set(principal: Principal): void {
      if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(principal.credentialHash, { principal, until: options.now() + options.ttlMs });
    },
    forgetCredential(credentialHash: string): void {
      entries.delete(credentialHash);
    },
    forgetUser(userId: string): void {
      for (const [hash, entry] of entries) if (entry.principal.user.id === userId) entries.delete(hash);
    },
  };
}

export type PrincipalCache = ReturnType<typeof createPrincipalCache>;
