import { randomUUID } from 'node:crypto';

import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';

import { createRepositories, type Db } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

import type { AppEnv } from './app-env.js';
import { createAuditWriter } from './audit.js';
import { authenticate, csrfProtection } from './auth/authenticate.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { AppError, toErrorResponse } from './errors.js';
import { authRoutes } from './routes/auth-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { userRoutes } from './routes/user-routes.js';
import { viewerRoutes } from './static-viewer.js';

/** What the app needs from the world; `main.ts` builds these, tests build their own. */
export interface AppDeps {
  db: Db;
  store: ObjectStore;
  logger: Logger;
  settings: AppSettings;
  now?: () => Date;
}

export interface AppSettings {
  sessionTtlMs: number;
  tokenTtlMs: number;
  /** Mark cookies Secure (set when served over HTTPS). */
  secureCookies: boolean;
  /** Take the client address from X-Forwarded-For (behind a trusted reverse proxy). */
  trustProxy: boolean;
  /** Directory of the built viewer; omitted serves the API only. */
  viewerDist?: string;
}

export const defaultSettings: AppSettings = {
  sessionTtlMs: 12 * 60 * 60 * 1000,
  tokenTtlMs: 30 * 24 * 60 * 60 * 1000,
  secureCookies: false,
  trustProxy: false,
};

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the Hono app. No I/O happens here: everything with side effects comes in `deps`. */
export function createApp(deps: AppDeps) {
  const now = deps.now ?? (() => new Date());
  const repos = createRepositories(deps.db.kysely);
  const sourceIp = (c: Context<AppEnv>) => clientAddress(c, deps.settings.trustProxy);
  const audit = createAuditWriter(repos.audit, sourceIp);
  const throttle = createLoginThrottle({ perAccount: 10, perAddress: 200, windowMs: 15 * 60 * 1000, now: () => now().getTime() });

  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const incoming = c.req.header('X-Request-Id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const logger = deps.logger.child({ reqId: requestId });
    c.set('requestId', requestId);
    c.set('logger', logger);
    c.set('principal', undefined);
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    logger.info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  });

  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        // WebAssembly codecs (Cornerstone's image decoders) need wasm-unsafe-eval, not unsafe-eval.
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        workerSrc: ["'self'", 'blob:'],
        imgSrc: ["'self'", 'data:', 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      crossOriginEmbedderPolicy: false,
    }),
  );

  for (const path of ['/api/*', '/dicomweb/*']) {
    app.use(path, authenticate(repos, now));
    app.use(path, csrfProtection((origin, c) => origin === new URL(c.req.url).origin));
  }

  app.route('/', healthRoutes(deps));
  app.route(
    '/api/auth',
    authRoutes({ repos, audit, throttle, now, sourceIp, ...pick(deps.settings, 'sessionTtlMs', 'tokenTtlMs', 'secureCookies') }),
  );
  app.route('/api', userRoutes({ repos, audit }));

  app.all('/api/*', () => {
    throw new AppError('NotFound', 'no such API route');
  });
  if (deps.settings.viewerDist) app.route('/', viewerRoutes(deps.settings.viewerDist));

  app.notFound((c) => c.json({ error: { code: 'NotFound', message: 'not found' } }, 404));
  app.onError((error, c) => toErrorResponse(error, c));
  return app;
}

export type App = ReturnType<typeof createApp>;

function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = c.req.header('X-Forwarded-For')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // app.request() in tests has no socket
  }
}

function pick<T extends object, K extends keyof T>(source: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, source[key]])) as Pick<T, K>;
}
