import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';

import { asTenant, type Repositories, type UserRole } from '@yunzhen/db';

import type { AppEnv, Principal } from '../app-env.js';
import { AppError } from '../errors.js';
import type { PrincipalCache } from './principal-cache.js';
import { hashSecret, secretsEqual } from './secrets.js';

export const SESSION_COOKIE = 'yz_session';
export const CSRF_HEADER = 'X-CSRF-Token';

/**
 * Resolves the caller from a Bearer token (scripts, DICOMweb clients) or the session cookie
 * (the browser). Unknown or expired credentials leave the request anonymous; routes that
 * need a user refuse it with `requireUser`.
 */
export function authenticate(repos: Repositories, cache: PrincipalCache, now: () => Date, verifyAccessToken?: AccessTokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const credential = presentedCredential(c);
    let principal: Principal | undefined;
    if (credential) {
      principal = cache.get(credential.hash);
      if (!principal) {
        principal = await resolvePrincipal(credential, repos, now(), verifyAccessToken);
        if (principal) cache.set(principal);
      }
    }
    c.set('principal', principal);
    await next();
  };
}

/**
 * Runs the rest of an authenticated request as its principal's hospital (`asTenant`): under
 * row-level security every query sees that hospital's rows and its consults' only, whatever
 * its `where` says. Anonymous requests (login) see no tenant-owned row.
 */
export function actAsPrincipal(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.var.principal;
    if (principal) await asTenant(principal.tenant.id, principal.user.id, next);
    else await next();
  };
}

/** Verifies an OpenID Connect access token (a JWT of our own provider) and names its user and grant. */
export type AccessTokenVerifier = (token: string) => Promise<{ userId: string; grantId: string } | undefined>;

/** A JWS in compact form: three base64url parts. API tokens (`yz_…`) never look like one. */
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

interface Credential {
  via: 'token' | 'session';
  hash: string;
  /** The token itself when it is a JWT, to verify. */
  jwt?: string;
}

function presentedCredential(c: Context<AppEnv>): Credential | undefined {
  const authorization = c.req.header('Authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) return undefined;
    return { via: 'token', hash: hashSecret(match[1]!), jwt: JWT.test(match[1]!) ? match[1]! : undefined };
  }
  const sessionId = getCookie(c, SESSION_COOKIE);
  return sessionId ? { via: 'session', hash: hashSecret(sessionId) } : undefined;
}

async function resolvePrincipal(credential: Credential, repos: Repositories, now: Date, verifyAccessToken?: AccessTokenVerifier): Promise<Principal | undefined> {
  if (credential.jwt) {
    // An OpenID Connect access token: the user's own role and hospital, read now, as for an API token.
    const subject = verifyAccessToken && (await verifyAccessToken(credential.jwt));
    const user = subject && (await repos.users.get(subject.userId));
    const tenant = user && !user.disabled_at ? await repos.tenants.get(user.tenant_id) : undefined;
    return user && tenant ? { user, tenant, via: 'token', credentialHash: credential.hash, oidcGrantId: subject.grantId } : undefined;
  }
  if (credential.via === 'token') {
    const user = await repos.credentials.findApiTokenUser(credential.hash, now);
    const tenant = user && (await repos.tenants.get(user.tenant_id));
    return user && tenant ? { user, tenant, via: 'token', credentialHash: credential.hash } : undefined;
  }
  const session = await repos.credentials.findSession(credential.hash, now);
  const tenant = session && (await repos.tenants.get(session.user.tenant_id));
  return session && tenant
    ? { user: session.user, tenant, via: 'session', csrfToken: session.csrfToken, credentialHash: credential.hash }
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
