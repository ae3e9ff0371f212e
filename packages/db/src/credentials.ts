import type { Kysely } from 'kysely';

import type { AppUser, Database } from './schema.js';

export interface SessionRecord {
  user: AppUser;
  csrfToken: string;
  /** When the user signed in (the password was checked). */
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Browser sessions and API tokens. Both are looked up by the SHA-256 of the secret the
 * client holds; the secret itself is never stored.
 */
export function createCredentialRepository(db: Kysely<Database>) {
  return {
    async createSession(session: { idHash: string; userId: string; csrfToken: string; expiresAt: Date }) {
      await db
        .insertInto('user_session')
        .values({
          id_hash: session.idHash,
          user_id: session.userId,
          csrf_token: session.csrfToken,
          expires_at: session.expiresAt,
        })
        .execute();
    },

    /** The live session's user, or undefined when unknown, expired, revoked or the user is disabled. */
    async findSession(idHash: string, now: Date): Promise<SessionRecord | undefined> {
      const row = await db
        .selectFrom('user_session as s')
        .innerJoin('app_user as u', 'u.id', 's.user_id')
        .selectAll('u')
        .select(['s.csrf_token', 's.created_at as session_created_at', 's.expires_at'])
        .where('s.id_hash', '=', idHash)
        .where('s.revoked_at', 'is', null)
        .where('s.expires_at', '>', now)
        .where('u.disabled_at', 'is', null)
        .executeTakeFirst();
      if (!row) return undefined;
      const { csrf_token, session_created_at, expires_at, ...user } = row;
      return { user, csrfToken: csrf_token, createdAt: session_created_at, expiresAt: expires_at };
    },

    async revokeSession(idHash: string, now: Date): Promise<void> {
      await db.updateTable('user_session').set({ revoked_at: now }).where('id_hash', '=', idHash).execute();
    },

    async createApiToken(token: { tokenHash: string; userId: string; expiresAt: Date }): Promise<string> {
      const row = await db
        .insertInto('api_token')
        .values({ token_hash: token.tokenHash, user_id: token.userId, expires_at: token.expiresAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    findApiTokenUser(tokenHash: string, now: Date): Promise<AppUser | undefined> {
      return db
        .selectFrom('api_token as t')
        .innerJoin('app_user as u', 'u.id', 't.user_id')
        .selectAll('u')
        .where('t.token_hash', '=', tokenHash)
        .where('t.revoked_at', 'is', null)
        .where('t.expires_at', '>', now)
        .where('u.disabled_at', 'is', null)
        .executeTakeFirst();
    },

    async revokeApiToken(tokenHash: string, now: Date): Promise<void> {
      await db.updateTable('api_token').set({ revoked_at: now }).where('token_hash', '=', tokenHash).execute();
    },
  };
}

export type CredentialRepository = ReturnType<typeof createCredentialRepository>;
