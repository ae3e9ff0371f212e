import type { Logger } from 'pino';

import type { AppUser, Tenant } from '@yunzhen/db';

/** Who is calling, resolved once per request from the session cookie or the Bearer token. */
export interface Principal {
  user: AppUser;
  tenant: Tenant;
  via: 'session' | 'token';
  /** The session's CSRF token (cookie-authenticated requests only). */
  csrfToken?: string;
  /** Hash of the session id or token, to revoke it at logout. */
  credentialHash: string;
  /** The OpenID Connect grant an access token came from (revoking it ends the token). */
  oidcGrantId?: string;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    principal: Principal | undefined;
    /** The base of absolute links in answers (`publicBase`): never the request's raw Host. */
    publicBase: string;
  };
}
