import type { Kysely } from 'kysely';

import type { Database } from './schema.js';

/** Encrypted original identifiers, looked up by tenant, kind and the pseudonym that replaced them. */
export function createVaultRepository(db: Kysely<Database>) {
  return {
    async find(tenantId: string, kind: string, pseudonyms: string[]) {
      if (pseudonyms.length === 0) return [];
      return db
        .selectFrom('vault_entry')
        .select(['kind', 'pseudonym', 'key_version', 'ciphertext'])
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', kind)
        .where('pseudonym', 'in', pseudonyms)
        .execute();
    },
  };
}

export type VaultRepository = ReturnType<typeof createVaultRepository>;
