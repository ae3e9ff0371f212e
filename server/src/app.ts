import { randomUUID } from 'node:crypto';

import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { cors } from 'hono/cors';
import { routePath } from 'hono/route';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';

import type { DicomLimits } from '@yunzhen/dicom';
import { createRepositories, type Db } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

import type { AppEnv } from './app-env.js';
import { AuditEvent, createAuditWriter, Outcome } from './audit.js';
import { actAsPrincipal, authenticate, csrfProtection } from './auth/authenticate.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createPasswordCheck } from './auth/password-check.js';
import { createPrincipalCache } from './auth/principal-cache.js';
import type { OcrImage, TextDetector } from './ocr/index.js';
import type { CacheChanges } from './cache-changes.js';
import { publicBase } from './public-url.js';
import { createObjectCache } from './dicomweb/object-cache.js';
import { qidoRoutes } from './dicomweb/qido-routes.js';
import { stowRoutes } from './dicomweb/stow-routes.js';
import { wadoRoutes } from './dicomweb/wado-routes.js';
import { AppError, toErrorResponse } from './errors.js';
import { createDerivedObjectIngest } from './ingest/derived-objects.js';
import { createIngestPipeline, type IngestInstance } from './ingest/ingest-pipeline.js';
import type { ZipLimits } from './ingest/zip-entries.js';
import { authRoutes } from './routes/auth-routes.js';
import { consultRoutes } from './routes/consult-routes.js';
import { deviceRoutes } from './routes/device-routes.js';
import { pacsDeliveryRoutes } from './routes/pacs-delivery-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { readingRoutes } from './routes/reading-routes.js';
import { referralRoutes } from './routes/referral-routes.js';
import { reportRoutes } from './reports/report-routes.js';
import { webhookRoutes } from './reports/webhooks.js';
import { messageRoutes } from './routes/message-routes.js';
import { boardRoutes } from './routes/board-routes.js';
import { createBoardEvents } from './routes/board-events.js';
import { turnaroundRoutes } from './routes/turnaround-routes.js';
import { pixelMaskRoutes } from './routes/pixel-mask-routes.js';
import { studyRoutes } from './routes/study-routes.js';
import { uploadRoutes } from './routes/upload-routes.js';
import { uploadSessionRoutes } from './routes/upload-session-routes.js';
import { createUploadSessions, defaultUploadSessionLimits, type UploadSessionLimits } from './ingest/upload-sessions.js';
import { processClaimant } from './outbox-worker.js';
import { userRoutes } from './routes/user-routes.js';
import { viewerRoutes } from './static-viewer.js';
import { createOidc, OIDC_SESSION_COOKIE, type StaticOidcClient } from './oidc/oidc-provider.js';
import { oidcClientRoutes, oidcRoutes } from './oidc/oidc-routes.js';
import { createHospitalKeys } from './vault/keys.js';
import { createVault } from './vault/vault.js';

/** What the app needs from the world; `main.ts` builds these, tests build their own. */
export interface AppDeps {
  db: Db;
  store: ObjectStore;
  logger: Logger;
  /** Root secret for the per-hospital keys (YUNZHEN_SECRET). */
  secret: string;
  settings: AppSettings;
  now?: () => Date;
  /** The ingest pipeline when the composition root shares it with other listeners (DIMSE); built here otherwise. */
  ingest?: IngestInstance;
  /** Changes committed by any replica that cached answers must drop (`listenForCacheChanges`); without it, caches expire by time only. */
  cacheChanges?: CacheChanges;
  /** OCR (one worker pool per process); without it scanned document pages are left for a person to read. */
  textDetector?: TextDetector;
}

export interface AppSettings {
  sessionTtlMs: number;
  tokenTtlMs: number;
  /** Mark cookies Secure (set when served over HTTPS). */
  secureCookies: boolean;
  /** Take the client address from X-Forwarded-For, and without `publicUrl` the links' scheme and host from Forwarded / X-Forwarded-Proto/Host (behind a trusted reverse proxy). */
  trustProxy: boolean;
  /** `PUBLIC_URL`: the base of absolute links (RetrieveURL, BulkDataURI); see `publicBase`. */
  publicUrl?: string;
  /** Where this process listens, for links when neither `publicUrl` nor a trusted proxy says. */
  listenOrigin?: () => string;
  /** Directory of the built viewer; omitted serves the API only. */
  viewerDist?: string;
  /** Largest DICOM instance accepted, in bytes. */
  maxInstanceBytes: number;
  /** Most instances in one STOW-RS request. */
  maxInstancesPerRequest: number;
  zipLimits: ZipLimits;
  /** Where zip uploads are spooled while their entries are read. */
  tempDir: string;
  /** Resumable uploads: part size (`UPLOAD_PART_BYTES`), part and session limits, expiry, assembly lease. */
  uploadSessions: UploadSessionLimits;
  dicomLimits: Partial<DicomLimits>;
  /** Memory for parsed instances that viewers read frames from. */
  objectCacheBytes: number;
  /** Origins of viewers on other sites that may call the API with a Bearer token (never cookies). */
  corsOrigins: string[];
  /** The DIMSE TLS listener is configured: devices may require DICOM TLS. */
  dicomTls: boolean;
  /** E-mail is configured (SMTP_URL): messages queue notices for the other side. */
  email: boolean;
  /** How long reading an attached document for the patient's identity may take (OCR of scanned pages included); pages not reached stay for a person. */
  documentCheckMs: number;
  /**
   * Yunzhen as an OpenID Connect provider (`/oidc`) for other viewers such as OHIF: its issuer
   * URL (asked when first needed) and the clients the deployment configures; off when absent.
   */
  oidc?: { issuer: () => string; clients: StaticOidcClient[]; accessTokenTtlSeconds: number; refreshTokenTtlSeconds: number };
}

const GiB = 1024 * 1024 * 1024;

export const defaultSettings: AppSettings = {
  sessionTtlMs: 12 * 60 * 60 * 1000,
  tokenTtlMs: 30 * 24 * 60 * 60 * 1000,
  secureCookies: false,
  trustProxy: false,
  maxInstanceBytes: GiB,
  maxInstancesPerRequest: 10_000,
  zipLimits: { maxArchiveBytes: 20 * GiB, maxEntries: 50_000, maxEntryBytes: GiB, maxTotalBytes: 40 * GiB, maxRatio: 200 },
  tempDir: '/tmp',
  uploadSessions: defaultUploadSessionLimits,
  dicomLimits: {},
  objectCacheBytes: 256 * 1024 * 1024,
  corsOrigins: [],
  dicomTls: false,
  email: false,
  documentCheckMs: 30_000,
};

/**
 * A client's X-Request-Id is kept only when it is a UUID: anything freer (a name, an MRN) would
 * be written verbatim to the logs and the audit trail.
 */
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Builds the Hono app. No I/O happens here: everything with side effects comes in `deps`. */
export function createApp(deps: AppDeps) {
  const now = deps.now ?? (() => new Date());
  const repos = createRepositories(deps.db.kysely);
  const sourceIp = (c: Context<AppEnv>) => clientAddress(c, deps.settings.trustProxy);
  const audit = createAuditWriter(repos.audit, sourceIp);
  const keys = createHospitalKeys(deps.secret);
  const vault = createVault(keys, repos.vault);
  const ingest =
    deps.ingest ??
    createIngestPipeline({
      repos,
      store: deps.store,
      vault,
      keys,
      limits: { ...deps.settings.dicomLimits, maxInstanceBytes: deps.settings.maxInstanceBytes },
    });
  const principals = createPrincipalCache({ ttlMs: 10_000, maxEntries: 10_000, now: () => now().getTime() });
  deps.cacheChanges?.subscribe((change) => {
    if (change.kind === 'credential') principals.forgetCredential(change.hash);
    else if (change.kind === 'user') principals.forgetUser(change.id);
    else if (change.kind === 'all') principals.forgetAll();
  });
  const throttle = createLoginThrottle({ repo: repos.loginThrottle, secret: deps.secret, now });
  const checkPassword = createPasswordCheck({ repos, audit, throttle, sourceIp });
  const oidcSettings = deps.settings.oidc;
  const oidc =
    oidcSettings &&
    createOidc({
      repos,
      secret: deps.secret,
      settings: { ...oidcSettings, sessionTtlSeconds: Math.floor(deps.settings.sessionTtlMs / 1000), trustProxy: deps.settings.trustProxy },
      // A revoked grant ends its access tokens at once in this process (other replicas: within the cache's 10 s).
      onGrantRevoked: (grantId) => principals.forgetGrant(grantId),
    });

  const publicUrlOptions = {
    publicUrl: deps.settings.publicUrl,
    trustProxy: deps.settings.trustProxy,
    listenOrigin: deps.settings.listenOrigin ?? (() => 'http://localhost'),
  };

  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const incoming = c.req.header('X-Request-Id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const logger = deps.logger.child({ reqId: requestId });
    c.set('requestId', requestId);
    c.set('logger', logger);
    c.set('principal', undefined);
    c.set('publicBase', publicBase(c, publicUrlOptions));
    const started = performance.now();
    await next();
    // On the answer's own headers: `c.header()` after the route has answered rebuilds the
    // answer as a new Response (copying a frame's body), a cost on every image request.
    try {
      c.res.headers.set('X-Request-Id', requestId);
    } catch {
      c.header('X-Request-Id', requestId); // immutable headers (a proxied answer): rebuilt after all
    }
    // The route's pattern, not the URL: a sending hospital's URLs carry its original UIDs.
    logger.info({ method: c.req.method, path: routePath(c), status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  });

  const secure = secureHeaders({
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
    });
  // The OpenID Connect provider writes its own answers, and its pages set their own policy.
  app.use((c, next) => (c.req.path.startsWith('/oidc/') ? next() : secure(c, next)));

  const corsOrigins = new Set(deps.settings.corsOrigins);
  const crossOrigin = cors({
    origin: (origin) => (corsOrigins.has(origin) ? origin : null),
    allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Range'],
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['Content-Type', 'Content-Length', 'Warning', 'Retry-After', 'X-Request-Id'],
    credentials: false,
    maxAge: 600,
  });
  for (const path of ['/api/*', '/dicomweb/*']) {
    // Only requests from an allowed origin go through the CORS middleware: it sets headers
    // before the route answers, which makes every answer (a 512 KB frame included) be rebuilt
    // as a second Response, and that doubled the slow tail of frame requests.
    app.use(path, (c, next) => (corsOrigins.has(c.req.header('Origin') ?? '') ? crossOrigin(c, next) : next()));
    app.use(path, authenticate(repos, principals, now, oidc?.verifyAccessToken));
    app.use(path, actAsPrincipal());
    // The page's origin is the public one (behind a TLS proxy the request itself arrives as http).
    app.use(path, csrfProtection((origin, c) => origin === new URL(c.var.publicBase).origin || origin === new URL(c.req.url).origin));
  }

  app.route('/', healthRoutes(deps));
  app.route(
    '/api/auth',
    authRoutes({
      repos,
      audit,
      checkPassword,
      principals,
      now,
      ...pick(deps.settings, 'sessionTtlMs', 'tokenTtlMs', 'secureCookies'),
      endBrowserSessions: oidc && ((c, userId) => oidc.endBrowserSession(getCookie(c, OIDC_SESSION_COOKIE), userId)),
    }),
  );
  app.route('/api', userRoutes({ repos, audit, principals, checkPassword }));
  if (oidc) {
    app.route('/oidc', oidcRoutes({ oidc, checkPassword, repos, audit, now }));
    app.route('/api', oidcClientRoutes({ repos, audit, configured: oidcSettings.clients, clientSecret: oidc.clientSecret, forgetGrant: (grantId) => principals.forgetGrant(grantId) }));
  }
  app.route('/api', deviceRoutes({ repos, audit, now, dicomTls: deps.settings.dicomTls }));
  app.route('/api', pacsDeliveryRoutes({ repos }));
  app.route('/api', studyRoutes({ repos, vault, audit }));
  const cache = createObjectCache(deps.store, deps.settings.objectCacheBytes);
  app.route('/api', pixelMaskRoutes({ repos, store: deps.store, cache, audit, limits: { ...deps.settings.dicomLimits, maxInstanceBytes: deps.settings.maxInstanceBytes } }));
  const readText = deps.textDetector && ((image: OcrImage) => deps.textDetector!.detectText(image));
  const consults = consultRoutes({ repos, store: deps.store, vault, audit, now, readText, documentCheckMs: deps.settings.documentCheckMs });
  app.route('/api', consults.routes);
  app.route('/api', readingRoutes({ repos, audit, now, consultView: consults.viewById }));
  app.route('/api', boardRoutes({ repos, audit, now, events: createBoardEvents(deps.db, repos), consultView: consults.viewById }));
  app.route('/api', referralRoutes({ repos, audit, now }));
  app.route('/api', uploadRoutes({ repos, ingest, audit, keys, zipLimits: deps.settings.zipLimits, tempDir: deps.settings.tempDir }));
  const uploadSessions = createUploadSessions({
    repos,
    store: deps.store,
    ingest,
    zipLimits: deps.settings.zipLimits,
    tempDir: deps.settings.tempDir,
    limits: deps.settings.uploadSessions,
    clock: now,
    claimant: processClaimant(),
  });
  app.route('/api', uploadSessionRoutes({ sessions: uploadSessions, audit }));
  app.route('/dicomweb', qidoRoutes({ repos, audit }));
  app.route('/dicomweb', wadoRoutes({ repos, store: deps.store, cache, audit, now, cacheChanges: deps.cacheChanges }));
  const ingestDerived = createDerivedObjectIngest({ repos, store: deps.store, limits: { ...deps.settings.dicomLimits, maxInstanceBytes: deps.settings.maxInstanceBytes } });
  app.route('/api', reportRoutes({ repos, store: deps.store, vault, audit, ingestDerived, now }));
  app.route('/api', webhookRoutes({ repos, vault, audit, now }));
  app.route('/api', turnaroundRoutes({ repos, audit, now }));
  app.route('/api', messageRoutes({ repos, vault, audit, now, publicUrl: deps.settings.publicUrl, email: deps.settings.email }));
  app.route('/dicomweb', stowRoutes({ ingest, ingestDerived, repos, audit, maxInstanceBytes: deps.settings.maxInstanceBytes, maxInstancesPerRequest: deps.settings.maxInstancesPerRequest }));

  app.all('/api/*', () => {
    throw new AppError('NotFound', 'no such API route');
  });
  if (deps.settings.viewerDist) app.route('/', viewerRoutes(deps.settings.viewerDist));

  app.notFound((c) => c.json({ error: { code: 'NotFound', message: 'not found' } }, 404));
  app.onError(async (error, c) => {
    const response = toErrorResponse(error, c);
    if ((response.status === 401 || response.status === 403) && !(error instanceof AppError && error.code === 'InvalidCredentials')) {
      // Denied requests are security events (110113); login failures have their own (110114).
      await audit(c, {
        eventCode: AuditEvent.SecurityAlert,
        action: 'E',
        outcome: Outcome.MinorFailure,
        detail: { code: error instanceof AppError ? error.code : 'Denied', method: c.req.method, route: c.req.routePath },
      }).catch(() => undefined);
    }
    return response;
  });
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
