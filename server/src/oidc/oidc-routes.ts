import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { html } from 'hono/html';

import { reasons, type ReasonLanguage } from '@yunzhen/dicom';
import type { Repositories } from '@yunzhen/db';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireRole, SESSION_COOKIE } from '../auth/authenticate.js';
import type { createPasswordCheck } from '../auth/password-check.js';
import { hashSecret } from '../auth/secrets.js';
import { AppError, notFound } from '../errors.js';
import { readJson } from '../validation.js';
import { oidcClientChangesSchema, oidcClientRegistrationSchema } from './oidc-client-schema.js';
import { OIDC_PATH, type Oidc, type StaticOidcClient } from './oidc-provider.js';

export interface OidcRouteDeps {
  oidc: Oidc;
  checkPassword: ReturnType<typeof createPasswordCheck>;
  repos: Repositories;
  audit: AuditWriter;
  now: () => Date;
}

/** The Node request and response under Hono (`@hono/node-server`): `oidc-provider` is a Node (Koa) application. */
function nodeBindings(c: Context<AppEnv>): { req: IncomingMessage; res: ServerResponse } {
  const env = c.env as Partial<HttpBindings> | undefined;
  if (!env?.incoming || !env.outgoing) throw new AppError('NotFound', 'the OpenID Connect provider is served over HTTP only');
  return { req: env.incoming, res: env.outgoing };
}

/** The login and consent pages set their own policy: after the form, the browser follows redirects to the client's origin. */
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const LOGIN_FORM_BYTES = 8 * 1024;

const pageWords = {
  en: {
    title: 'Sign in to Yunzhen',
    asks: (client: string) => `${client} asks you to sign in with your Yunzhen account.`,
    email: 'Email',
    password: 'Password',
    signIn: 'Sign in',
    consentTitle: 'Allow access',
    consentAsks: (client: string) => `${client} asks to read, as you, the studies your account may see, and to add what you measure to them.`,
    allow: 'Allow',
    deny: 'Deny',
  },
  'zh-CN': {
    title: '登录云诊',
    asks: (client: string) => `${client} 请求您使用云诊账户登录。`,
    email: '邮箱',
    password: '密码',
    signIn: '登录',
    consentTitle: '授权访问',
    consentAsks: (client: string) => `${client} 请求以您的身份查看您的账户有权查看的检查，并把您的测量结果添加到检查中。`,
    allow: '允许',
    deny: '拒绝',
  },
} satisfies Record<ReasonLanguage, unknown>;

function languageOf(c: Context<AppEnv>, uiLocales: unknown): ReasonLanguage {
  const wanted = `${typeof uiLocales === 'string' ? uiLocales : ''},${c.req.header('Accept-Language') ?? ''}`.toLowerCase();
  const first = wanted.split(/[,\s]+/).find((tag) => tag.startsWith('zh') || tag.startsWith('en'));
  return first?.startsWith('zh') ? 'zh-CN' : 'en';
}

function page(lang: ReasonLanguage, title: string, body: unknown) {
  return html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem}button{padding:.6rem;margin-top:.5rem}.error{color:#b00020}</style>
</head><body><h1>${title}</h1>${body}</body></html>`;
}

/**
 * `/oidc/*`: the provider's own endpoints (discovery, JWKS, authorization, token, revocation,
 * userinfo, end session), and the two pages it sends the browser to: sign in with a Yunzhen
 * account (the same password check, throttling and audit as the built-in viewer's login) and,
 * for clients that are not first-party, consent.
 */
export function oidcRoutes(deps: OidcRouteDeps) {
  const { oidc } = deps;
  const interactionFor = async (c: Context<AppEnv>) => {
    const { req, res } = nodeBindings(c);
    const provider = oidc.provider();
    try {
      return { provider, req, res, details: await provider.interactionDetails(req, res) };
    } catch {
      // No interaction cookie, or an expired one: the client must start again.
      throw new AppError('NotFound', 'this sign-in has expired: start again from the application');
    }
  };
  const clientName = async (provider: ReturnType<Oidc['provider']>, clientId: unknown) => {
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    return client?.clientName ?? (typeof clientId === 'string' ? clientId : '');
  };

  const loginPage = (lang: ReasonLanguage, uid: string, client: string, error?: string) => {
    const w = pageWords[lang];
    return page(
      lang,
      w.title,
      html`<p>${w.asks(client)}</p>${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${OIDC_PATH}/interaction/${uid}/login">
<label for="email">${w.email}</label><input id="email" name="email" type="email" autocomplete="username" required autofocus>
<label for="password">${w.password}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">${w.signIn}</button></form>`,
    );
  };

  /**
   * Single sign-on with the built-in viewer: the user its session cookie (same origin, path /)
   * names, when that session is live (not revoked, not expired, the account enabled) and the
   * client asked for nothing a session cannot give: no fresh password (`prompt=login`,
   * `max_age`), no other account (`login_hint` naming someone else).
   */
  const viewerSessionUser = async (c: Context<AppEnv>, details: Awaited<ReturnType<typeof interactionFor>>['details']) => {
    const sessionId = getCookie(c, SESSION_COOKIE);
    if (!sessionId) return undefined;
    const onlyNoSession = details.prompt.reasons.every((reason) => reason === 'no_session');
    if (!onlyNoSession) return undefined;
    const session = await deps.repos.credentials.findSession(hashSecret(sessionId), deps.now());
    if (!session) return undefined;
    const hint = details.params.login_hint;
    if (typeof hint === 'string' && hint.trim().toLowerCase() !== session.user.email.toLowerCase()) return undefined;
    return session;
  };

  return new Hono<AppEnv>()
    .get('/interaction/:uid', async (c) => {
      const { provider, req, res, details } = await interactionFor(c);
      const lang = languageOf(c, details.params.ui_locales);
      const client = await clientName(provider, details.params.client_id);
      const w = pageWords[lang];
      if (details.prompt.name === 'login') {
        const session = await viewerSessionUser(c, details);
        if (session) {
          await deps.audit(c, { eventCode: AuditEvent.UserAuthentication, action: 'E', outcome: Outcome.Success, userId: session.user.id, tenantId: session.user.tenant_id, detail: { via: 'oidc', credential: 'viewer-session' } });
          const login = { accountId: session.user.id, ts: Math.floor(session.createdAt.getTime() / 1000) };
          return c.redirect(await provider.interactionResult(req, res, { login }, { mergeWithLastSubmission: false }), 303);
        }
        return c.html(loginPage(lang, details.uid, client), 200, PAGE_HEADERS);
      }
      return c.html(
        page(
          lang,
          w.consentTitle,
          html`<p>${w.consentAsks(client)}</p>
<form method="post" action="${OIDC_PATH}/interaction/${details.uid}/consent"><button type="submit" name="decision" value="allow">${w.allow}</button><button type="submit" name="decision" value="deny">${w.deny}</button></form>`,
        ),
        200,
        PAGE_HEADERS,
      );
    })
    .post('/interaction/:uid/login', bodyLimit({ maxSize: LOGIN_FORM_BYTES, onError: () => { throw new AppError('PayloadTooLarge', 'the sign-in form is too large'); } }), async (c) => {
      const { provider, req, res, details } = await interactionFor(c);
      if (details.prompt.name !== 'login') throw new AppError('InvalidRequest', 'this sign-in is not waiting for a password');
      const form = await c.req.parseBody();
      const email = typeof form.email === 'string' ? form.email.trim() : '';
      const password = typeof form.password === 'string' ? form.password : '';
      const lang = languageOf(c, details.params.ui_locales);
      try {
        if (!email || !password || email.length > 320 || password.length > 1024) throw new AppError('InvalidCredentials', 'email or password missing');
        const { user } = await deps.checkPassword(c, { email, password }, 'oidc');
        const returnTo = await provider.interactionResult(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
        return c.redirect(returnTo, 303);
      } catch (error) {
        if (!(error instanceof AppError) || (error.code !== 'InvalidCredentials' && error.code !== 'TooManyAttempts')) throw error;
        const client = await clientName(provider, details.params.client_id);
        return c.html(loginPage(lang, details.uid, client, reasons[error.code]![lang]), error.code === 'TooManyAttempts' ? 429 : 401, PAGE_HEADERS);
      }
    })
    .post('/interaction/:uid/consent', async (c) => {
      const { provider, req, res, details } = await interactionFor(c);
      const form = await c.req.parseBody();
      if (details.prompt.name !== 'consent' || !details.session?.accountId) throw new AppError('InvalidRequest', 'this sign-in is not waiting for consent');
      if (form.decision !== 'allow') {
        const returnTo = await provider.interactionResult(req, res, { error: 'access_denied', error_description: 'the user denied access' }, { mergeWithLastSubmission: false });
        return c.redirect(returnTo, 303);
      }
      const grant = details.grantId
        ? (await provider.Grant.find(details.grantId))!
        : new provider.Grant({ accountId: details.session.accountId, clientId: String(details.params.client_id) });
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
      const grantId = await grant.save();
      const returnTo = await provider.interactionResult(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return c.redirect(returnTo, 303);
    })
    .all('/*', (c) => {
      const { req, res } = nodeBindings(c);
      // The provider answers at its own paths (/auth, /token, /.well-known/…): it learns the
      // mount path from originalUrl, as under Express.
      const mutable = req as IncomingMessage & { originalUrl?: string };
      mutable.originalUrl = req.url;
      req.url = req.url!.slice(OIDC_PATH.length) || '/';
      void oidc.provider().callback()(req, res);
      return RESPONSE_ALREADY_SENT;
    });
}

/**
 * `/api/oidc-clients`: the clients (relying parties, e.g. an OHIF deployment) a reading
 * centre's admin registers, edits and removes, beside the ones configured in `OIDC_CLIENTS`
 * (listed, not changeable here). A confidential client's secret is in the answer that made it,
 * and never again. Every change is audited (110137).
 */
export function oidcClientRoutes(deps: { repos: Repositories; audit: AuditWriter; configured: StaticOidcClient[]; clientSecret: (clientId: string, salt: string) => string; forgetGrant: (grantId: string) => void }) {
  const requireDeploymentAdmin = (c: Context<AppEnv>) => {
    const principal = requireRole(c, 'admin');
    // The reading centre runs the deployment; a sending hospital's admin manages its own people and devices.
    if (principal.tenant.kind === 'sending') throw new AppError('Forbidden', 'only a reading centre’s admin registers applications');
    return principal;
  };
  type Row = NonNullable<Awaited<ReturnType<Repositories['oidc']['findClient']>>>;
  const configuredView = (client: StaticOidcClient) => ({ ...client, postLogoutRedirectUris: client.postLogoutRedirectUris ?? [], confidential: false, source: 'config' as const });
  const registeredView = (row: Row) => ({
    clientId: row.client_id,
    name: row.name,
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    firstParty: row.first_party,
    confidential: row.secret_salt !== null,
    source: 'admin' as const,
  });
  const isConfigured = (clientId: string) => deps.configured.some((configured) => configured.clientId === clientId);
  return new Hono<AppEnv>()
    .get('/oidc-clients', async (c) => {
      requireDeploymentAdmin(c);
      const registered = await deps.repos.oidc.listClients();
      return c.json({ clients: [...deps.configured.map(configuredView), ...registered.map(registeredView)] });
    })
    .post('/oidc-clients', async (c) => {
      const principal = requireDeploymentAdmin(c);
      const { confidential, ...client } = await readJson(c, oidcClientRegistrationSchema);
      if (isConfigured(client.clientId)) throw new AppError('Conflict', 'a configured client has this id');
      const secretSalt = confidential ? randomBytes(16).toString('base64url') : null;
      const created = await deps.repos.oidc.createClient({ ...client, secretSalt }, principal.user.id);
      if (!created) throw new AppError('Conflict', 'a client with this id is registered');
      await deps.audit(c, { eventCode: AuditEvent.UserSecurityAttributesChanged, action: 'C', outcome: Outcome.Success, objectType: 'oidc_client', objectId: client.clientId, detail: { firstParty: client.firstParty, confidential } });
      const clientSecret = secretSalt ? deps.clientSecret(client.clientId, secretSalt) : undefined;
      return c.json({ client: registeredView(created), ...(clientSecret ? { clientSecret } : {}) }, 201);
    })
    .patch('/oidc-clients/:clientId', async (c) => {
      requireDeploymentAdmin(c);
      const clientId = c.req.param('clientId');
      if (isConfigured(clientId)) throw new AppError('Conflict', 'a configured client is changed in OIDC_CLIENTS');
      const changes = await readJson(c, oidcClientChangesSchema);
      const updated = await deps.repos.oidc.updateClient(clientId, changes);
      if (!updated) throw notFound('client');
      await deps.audit(c, { eventCode: AuditEvent.UserSecurityAttributesChanged, action: 'U', outcome: Outcome.Success, objectType: 'oidc_client', objectId: clientId, detail: { firstParty: changes.firstParty } });
      return c.json({ client: registeredView(updated) });
    })
    .delete('/oidc-clients/:clientId', async (c) => {
      requireDeploymentAdmin(c);
      const clientId = c.req.param('clientId');
      if (isConfigured(clientId)) throw new AppError('Conflict', 'a configured client is removed from OIDC_CLIENTS');
      // The client goes with its grants: its refresh tokens stop at once, its access tokens here at once and on other replicas within 10 s.
      const grantIds = await deps.repos.oidc.deleteClient(clientId);
      if (!grantIds) throw notFound('client');
      grantIds.forEach(deps.forgetGrant);
      await deps.audit(c, { eventCode: AuditEvent.UserSecurityAttributesChanged, action: 'D', outcome: Outcome.Success, objectType: 'oidc_client', objectId: clientId, detail: { grantsRevoked: grantIds.length } });
      return c.body(null, 204);
    });
}
