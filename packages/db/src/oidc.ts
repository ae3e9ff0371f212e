import { sql, type Kysely } from 'kysely';

import type { Database } from './schema.js';

export interface OidcClientFields {
  clientId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  firstParty: boolean;
}

/** What an admin may change on a registered client (its id and kind stay). */
export type OidcClientChanges = Omit<OidcClientFields, 'clientId'>;

/**
 * Storage of the OpenID Connect provider: `oidc-provider`'s adapter interface over one table
 * (payloads as JSON, with the indexes it looks up by: grant, session uid, user code), and the
 * registered clients.
 */
export function createOidcRepository(db: Kysely<Database>) {
  return {
    async upsert(model: string, id: string, payload: Record<string, unknown>, expiresInSeconds: number | undefined) {
      const row = {
        model,
        id,
        payload: JSON.stringify(payload),
        grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
        uid: typeof payload.uid === 'string' ? payload.uid : null,
        user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
        expires_at: expiresInSeconds ? new Date(Date.now() + expiresInSeconds * 1000) : null,
      };
      await db
        .insertInto('oidc_payload')
        .values(row)
        .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({ payload: row.payload, grant_id: row.grant_id, uid: row.uid, user_code: row.user_code, expires_at: row.expires_at }))
        .execute();
    },

    /** The payload, with `consumed` set when it was consumed; nothing once expired. */
    async find(model: string, by: 'id' | 'uid' | 'user_code', value: string): Promise<Record<string, unknown> | undefined> {
      const row = await db
        .selectFrom('oidc_payload')
        .select(['payload', 'consumed_at'])
        .where('model', '=', model)
        .where(by, '=', value)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
        .executeTakeFirst();
      if (!row) return undefined;
      return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
    },

    async consume(model: string, id: string) {
      await db.updateTable('oidc_payload').set({ consumed_at: sql`now()` }).where('model', '=', model).where('id', '=', id).execute();
    },

    async destroy(model: string, id: string) {
      await db.deleteFrom('oidc_payload').where('model', '=', model).where('id', '=', id).execute();
    },

    async revokeByGrantId(grantId: string) {
      await db.deleteFrom('oidc_payload').where('grant_id', '=', grantId).execute();
    },

    /** Removes expired artefacts (the provider never reads them again). */
    async sweepExpired() {
      await db.deleteFrom('oidc_payload').where('expires_at', '<', sql<Date>`now()`).execute();
    },

    listClients() {
      return db.selectFrom('oidc_client').selectAll().orderBy('created_at').execute();
    },

    findClient(clientId: string) {
      return db.selectFrom('oidc_client').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    },

    /** Registers a client; `secretSalt` makes it confidential. Nothing when the id is taken. */
    async createClient(client: OidcClientFields & { secretSalt?: string | null }, createdBy: string) {
      return db
        .insertInto('oidc_client')
        .values({ client_id: client.clientId, name: client.name, redirect_uris: client.redirectUris, post_logout_redirect_uris: client.postLogoutRedirectUris, first_party: client.firstParty, secret_salt: client.secretSalt ?? null, created_by: createdBy })
        .onConflict((oc) => oc.column('client_id').doNothing())
        .returningAll()
        .executeTakeFirst();
    },

    async updateClient(clientId: string, changes: OidcClientChanges) {
      return db
        .updateTable('oidc_client')
        .set({ name: changes.name, redirect_uris: changes.redirectUris, post_logout_redirect_uris: changes.postLogoutRedirectUris, first_party: changes.firstParty, updated_at: sql`now()` })
        .where('client_id', '=', clientId)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Removes a registered client and everything the provider issued to it (grants, the refresh
     * tokens and codes of those grants, pending interactions), in one transaction. Returns the
     * ids of the removed grants (so caches of their access tokens can forget them), or undefined
     * when no such client was registered.
     */
    async deleteClient(clientId: string): Promise<string[] | undefined> {
      return db.transaction().execute(async (trx) => {
        const removed = await trx.deleteFrom('oidc_client').where('client_id', '=', clientId).executeTakeFirst();
        if (removed.numDeletedRows === 0n) return undefined;
        const grants = trx.selectFrom('oidc_payload').select('id').where('model', '=', 'Grant').where(sql<string>`payload->>'clientId'`, '=', clientId);
        const rows = await trx
          .deleteFrom('oidc_payload')
          .where((eb) => eb.or([eb(sql<string>`payload->>'clientId'`, '=', clientId), eb('grant_id', 'in', grants)]))
          .returning(['model', 'id'])
          .execute();
        return rows.filter((row) => row.model === 'Grant').map((row) => row.id);
      });
    },
  };
}

export type OidcRepository = ReturnType<typeof createOidcRepository>;
