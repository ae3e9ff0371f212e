import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';

import type { Repositories, UserRole } from '@yunzhen/db';

import type { AppEnv, Principal } from '../app-env.js';
import { AppError } from '../errors.js';
import { hashSecret, secretsEqual } from './secrets.js';

export const SESSION_COOKIE = 'yz_session';
export const CSRF_HEADER = 'X-CSRF-Token';

/**
 * Resolves the caller from a Bearer token (scripts, DICOMweb clients) or the session cookie
 * (the browser). Unknown or expired credentials leave the request anonymous; routes that
 * need a user refuse it with `requireUser`.
 */
export function authenticate(repos: Repositories, now: () => Date): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('principal', await resolvePrincipal(c, repos, now()));
    await next();
  };
}

async function resolvePrincipal(c: Context<AppEnv>, repos: Repositories, now: Date): Promise<Principal | undefined> {
  const authorization = c.req.header('Authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) return undefined;
    const credentialHash = hashSecret(match[1]!);
    const user = await repos.credentials.findApiTokenUser(credentialHash, now);
    const tenant = user && (await repos.tenants.get(user.tenant_id));
    return user && tenant ? { user, tenant, via: 'token', credentialHash } : undefined;
  }
  const sessionId = getCookie(c, SESSION_COOKIE);
  if (!sessionId) return undefined;
  const credentialHash = hashSecret(sessionId);
  const session = await repos.credentials.findSession(credentialHash, now);
  const tenant = session && (await repos.tenants.get(session.user.tenant_id));
  return session && tenant
    ? { user: session.user, tenant, via: 'session', csrfToken: session.csrfToken, credentialHash }
    : undefined;
}

/** The authenticated caller, or 401. */
export function requireUser(c: Context<AppEnv>): Principal {
  const principal = c.var.principal;
  if (!principal) throw new AppError('Unauthenticated', 'log in or send a valid Bearer token');
  return principal;
}

/** The authenticated caller if it has one of `roles`, or 403. */
export function requireRole(c: Context<AppEnv>, ...roles: UserRole[]): Principal {
  const principal = requireUser(c);
  if (!roles.includes(principal.user.role)) throw new AppError('Forbidden', `requires role ${roles.join(' or ')}`);
  return principal;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Password logins do not act on the cookie's authority, so a stale cookie must not block them.
const PASSWORD_PATHS = new Set(['/api/auth/login', '/api/auth/token']);

/**
 * Cross-site request forgery defence for cookie-authenticated writes: the request must
 * carry the session's CSRF token in a header (which a cross-site form cannot set), and a
 * browser-sent Origin must be our own. Bearer-token requests carry no ambient authority.
 */
export function csrfProtection(isAllowedOrigin: (origin: string, c: Context<AppEnv>) => boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const principal = c.var.principal;
      const origin = c.req.header('Origin');
      if (origin && principal?.via !== 'token' && !isAllowedOrigin(origin, c)) {
        throw new AppError('CrossOriginRequest', 'cross-origin request refused');
      }
      if (principal?.via === 'session' && !PASSWORD_PATHS.has(c.req.path)) {
        const sent = c.req.header(CSRF_HEADER) ?? '';
        if (!principal.csrfToken || !secretsEqual(sent, principal.csrfToken)) {
          throw new AppError('CsrfTokenInvalid', `missing or wrong ${CSRF_HEADER} header`);
        }
      }
    }
    await next();
  };
}
