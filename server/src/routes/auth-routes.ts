import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';

import type { Repositories } from '@yunzhen/db';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireUser, SESSION_COOKIE } from '../auth/authenticate.js';
import type { createPasswordCheck } from '../auth/password-check.js';
import type { PrincipalCache } from '../auth/principal-cache.js';
import { hashSecret, newSecret } from '../auth/secrets.js';
import { AppError } from '../errors.js';
import { readJson } from '../validation.js';
import { tenantView, userView } from './views.js';

export interface AuthRouteDeps {
  repos: Repositories;
  audit: AuditWriter;
  checkPassword: ReturnType<typeof createPasswordCheck>;
  now: () => Date;
  sessionTtlMs: number;
  tokenTtlMs: number;
  secureCookies: boolean;
  principals: PrincipalCache;
  /** Ends what else the browser is signed in with on this origin (the OpenID Connect provider's session), at sign-out. */
  endBrowserSessions?: (c: Context<AppEnv>, userId: string) => Promise<void>;
}

/** An email (320) and a password (1,024 characters, up to 4 bytes each) with JSON around them. */
const LOGIN_BODY_BYTES = 8 * 1024;

const credentialsSchema = z.object({
  email: z.string().trim().email().max(320),
  password: z.string().min(1).max(1024),
});

/** Password login for the browser (session cookie) and for scripts (`POST /api/auth/token`). */
export function authRoutes(deps: AuthRouteDeps) {
  const { repos, audit, now } = deps;
  const { checkPassword } = deps;

  const checkCredentials = async (c: Context<AppEnv>, via: 'session' | 'token') =>
    checkPassword(c, await readJson(c, credentialsSchema, LOGIN_BODY_BYTES), via);

  return new Hono<AppEnv>()
    .post('/login', async (c) => {
      const { user, tenant } = await checkCredentials(c, 'session');
      // A fresh session id at every login: a planted cookie never becomes an authenticated one.
      const previous = getCookie(c, SESSION_COOKIE);
      if (previous) {
        await repos.credentials.revokeSession(hashSecret(previous), now());
        deps.principals.forgetCredential(hashSecret(previous));
      }
      const sessionId = newSecret();
      const csrfToken = newSecret();
      const expiresAt = new Date(now().getTime() + deps.sessionTtlMs);
      await repos.credentials.createSession({ idHash: hashSecret(sessionId), userId: user.id, csrfToken, expiresAt });
      setCookie(c, SESSION_COOKIE, sessionId, {
        httpOnly: true,
        sameSite: 'Lax',
        secure: deps.secureCookies,
        path: '/',
        maxAge: Math.floor(deps.sessionTtlMs / 1000),
      });
      return c.json({ user: userView(user), tenant: tenantView(tenant), csrfToken, expiresAt: expiresAt.toISOString() });
    })
    .post('/token', async (c) => {
      const { user } = await checkCredentials(c, 'token');
      const token = newSecret('yz_');
      const expiresAt = new Date(now().getTime() + deps.tokenTtlMs);
      await repos.credentials.createApiToken({ tokenHash: hashSecret(token), userId: user.id, expiresAt });
      return c.json({ token, expiresAt: expiresAt.toISOString() });
    })
    .post('/logout', async (c) => {
      const principal = requireUser(c);
      deps.principals.forgetCredential(principal.credentialHash);
      if (principal.via === 'session') {
        await repos.credentials.revokeSession(principal.credentialHash, now());
        deleteCookie(c, SESSION_COOKIE, { path: '/', secure: deps.secureCookies });
        await deps.endBrowserSessions?.(c, principal.user.id);
      } else {
        await repos.credentials.revokeApiToken(principal.credentialHash, now());
      }
      await audit(c, { eventCode: AuditEvent.UserAuthentication, action: 'E', outcome: Outcome.Success, detail: { via: principal.via, action: 'logout' } });
      return c.body(null, 204);
    });
}
