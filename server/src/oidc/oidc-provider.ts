import Provider, { errors, type Adapter, type AdapterPayload, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { createLocalJWKSet, jwtVerify } from 'jose';

import type { OidcRepository, Repositories } from '@yunzhen/db';

import { clientSecret, deriveOidcKeys } from './oidc-keys.js';

/** The resource indicator (RFC 8707) of Yunzhen's DICOMweb and JSON API: the audience of every access token. */
export const API_RESOURCE = 'urn:yunzhen:api';

/** Where the provider is mounted in the app. */
export const OIDC_PATH = '/oidc';

/** The provider's session cookie (`oidc-provider`'s default name), holding the session's id; path `/`. */
export const OIDC_SESSION_COOKIE = '_session';

/** A client configured for the deployment (`OIDC_CLIENTS`) rather than registered by an admin. */
export interface StaticOidcClient {
  clientId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  firstParty: boolean;
}

export interface OidcSettings {
  /** The issuer URL (`PUBLIC_URL` + `/oidc`); asked when the provider is first used, so a server on port 0 knows it. */
  issuer: () => string;
  clients: StaticOidcClient[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  /** Take the scheme and host from X-Forwarded-* (behind a trusted reverse proxy). */
  trustProxy: boolean;
}

/** What an access token says about its bearer, once verified. */
export interface AccessTokenSubject {
  userId: string;
  grantId: string;
}

/**
 * `oidc-provider`'s storage interface over the database, so every replica sees the same
 * sessions, interactions, grants, codes and refresh tokens. Registered clients are read from
 * their own table as the `Client` model.
 */
function databaseAdapter(repo: OidcRepository, clientSecret: (clientId: string, salt: string) => string) {
  return class DatabaseAdapter implements Adapter {
    constructor(private readonly model: string) {}
    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      await repo.upsert(this.model, id, payload as Record<string, unknown>, expiresIn);
    }
    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const client = await repo.findClient(id);
        if (!client) return undefined;
        const secret = client.secret_salt ? clientSecret(client.client_id, client.secret_salt) : undefined;
        return clientMetadata({ clientId: client.client_id, name: client.name, redirectUris: client.redirect_uris, postLogoutRedirectUris: client.post_logout_redirect_uris, firstParty: client.first_party }, secret) as AdapterPayload;
      }
      return (await repo.find(this.model, 'id', id)) as AdapterPayload | undefined;
    }
    async findByUserCode(userCode: string) {
      return (await repo.find(this.model, 'user_code', userCode)) as AdapterPayload | undefined;
    }
    async findByUid(uid: string) {
      return (await repo.find(this.model, 'uid', uid)) as AdapterPayload | undefined;
    }
    async consume(id: string) {
      await repo.consume(this.model, id);
    }
    async destroy(id: string) {
      await repo.destroy(this.model, id);
    }
    async revokeByGrantId(grantId: string) {
      await repo.revokeByGrantId(grantId);
    }
  };
}

/**
 * A client's registration: authorization code with PKCE and refresh tokens; a browser app is a
 * public client (no secret), a server-side app with `secret` authenticates with HTTP Basic
 * (RFC 6749 2.3.1) and still sends PKCE.
 */
function clientMetadata(client: StaticOidcClient, secret?: string): ClientMetadata {
  return {
    client_id: client.clientId,
    client_name: client.name,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
    ...(secret ? { token_endpoint_auth_method: 'client_secret_basic', client_secret: secret } : { token_endpoint_auth_method: 'none' }),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
    'urn:yunzhen:first_party': client.firstParty,
  };
}

/**
 * Yunzhen as an OpenID Connect provider for its own accounts (`oidc-provider`, a certified
 * implementation): authorization code with PKCE for browser apps such as OHIF, refresh and
 * revocation, discovery and JWKS. Access tokens are JWTs for `API_RESOURCE`, signed ES256 with
 * a key derived from the root secret, and name the grant they came from, so revoking the grant
 * (logout, refresh token revoked) ends them too (`verifyAccessToken`).
 */
export function createOidc(deps: { repos: Repositories; settings: OidcSettings; secret: string; onGrantRevoked?: (grantId: string) => void }) {
  const { repos, settings } = deps;
  const keys = deriveOidcKeys(deps.secret);
  const secretOf = (clientId: string, salt: string) => clientSecret(keys.clientSecretKey, clientId, salt);
  const jwks = createLocalJWKSet({ keys: [keys.publicJwk] });
  const firstParty = new Set(settings.clients.filter((c) => c.firstParty).map((c) => c.clientId));

  let provider: Provider | undefined;
  function get(): Provider {
    if (provider) return provider;
    const configuration: Configuration = {
      adapter: databaseAdapter(repos.oidc, secretOf),
      clients: settings.clients.map((client) => clientMetadata(client)),
      extraClientMetadata: { properties: ['urn:yunzhen:first_party'] },
      clientDefaults: { id_token_signed_response_alg: 'ES256', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' },
      jwks: { keys: [keys.signingJwk] },
      cookies: { keys: [keys.cookieKey] },
      pkce: { required: () => true },
      scopes: ['openid', 'offline_access', 'profile', 'email'],
      claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
      async findAccount(_ctx, id) {
        const user = await repos.users.get(id);
        if (!user || user.disabled_at) return undefined;
        return { accountId: user.id, claims: () => ({ sub: user.id, name: user.display_name, email: user.email }) };
      },
      interactions: { url: (_ctx, interaction) => `${OIDC_PATH}/interaction/${interaction.uid}` },
      features: {
        devInteractions: { enabled: false },
        // A client revokes only its own tokens (a public client names itself by client_id).
        revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
        rpInitiatedLogout: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => API_RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo(_ctx, resource) {
            if (resource !== API_RESOURCE) throw new errors.InvalidTarget();
            return { scope: 'openid profile email', audience: API_RESOURCE, accessTokenTTL: settings.accessTokenTtlSeconds, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
          },
        },
      },
      // Browser apps get refresh tokens without asking for offline_access; they end with the grant.
      issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      extraTokenClaims: (_ctx, token) => (token.kind === 'AccessToken' ? { gid: token.grantId } : undefined),
      async loadExistingGrant(ctx: KoaContextWithOIDC) {
        const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        // First-party clients (the deployment's own viewers) are not asked for consent.
        const client = ctx.oidc.client!;
        if (!firstParty.has(client.clientId) && client['urn:yunzhen:first_party'] !== true) return undefined;
        const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope('openid profile email offline_access');
        grant.addResourceScope(API_RESOURCE, 'openid profile email');
        await grant.save();
        return grant;
      },
      ttl: {
        AccessToken: settings.accessTokenTtlSeconds,
        AuthorizationCode: 60,
        IdToken: 3600,
        Interaction: 3600,
        RefreshToken: settings.refreshTokenTtlSeconds,
        Grant: settings.refreshTokenTtlSeconds,
        Session: settings.sessionTtlSeconds,
      },
      // CORS for the token, revocation and userinfo endpoints: the origins of a client's redirect URIs.
      clientBasedCORS: (_ctx, origin, client) => (client.redirectUris ?? []).some((uri) => new URL(uri).origin === origin),
      renderError(ctx, out) {
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = `${out.error}: ${out.error_description ?? ''}`;
      },
    };
    provider = new Provider(settings.issuer(), configuration);
    provider.proxy = settings.trustProxy;
    provider.on('grant.revoked', (_ctx: unknown, grantId: string) => deps.onGrantRevoked?.(grantId));
    return provider;
  }

  return {
    provider: get,
    /** The secret of a confidential client, from its stored salt (shown to the admin once, when made). */
    clientSecret: secretOf,
    /**
     * Ends the provider's session of this browser (the id in its session cookie) when it belongs
     * to `accountId`: signing out of Yunzhen's viewer also signs the browser out of the provider,
     * so a session started from the viewer's cookie does not outlive it. Tokens already given
     * to applications live on until revoked or expired.
     */
    async endBrowserSession(sessionId: string | undefined, accountId: string) {
      if (!sessionId) return;
      const session = await repos.oidc.find('Session', 'id', sessionId);
      if (session?.accountId === accountId) await repos.oidc.destroy('Session', sessionId);
    },
    /**
     * Verifies a JWT access token locally (signature with our key, issuer, audience, expiry) and
     * that its grant still exists: a revoked refresh token or a logout removes the grant.
     */
    async verifyAccessToken(token: string): Promise<AccessTokenSubject | undefined> {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, jwks, { issuer: settings.issuer(), audience: API_RESOURCE, algorithms: ['ES256'], typ: 'at+jwt' }));
      } catch {
        return undefined;
      }
      const grantId = typeof payload.gid === 'string' ? payload.gid : undefined;
      if (!payload.sub || !grantId) return undefined;
      const grant = await repos.oidc.find('Grant', 'id', grantId);
      return grant ? { userId: payload.sub, grantId } : undefined;
    },
  };
}

export type Oidc = ReturnType<typeof createOidc>;
