import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { serve } from '@hono/node-server';

import { createDb, createRepositories, type Db, type Repositories } from '@yunzhen/db';
import { createTestDb, type TestDb, type TestDbKind } from '@yunzhen/db/testing';
import { createFsStore, createS3Client, createS3Store, ensureBucket, type ObjectStore } from '@yunzhen/storage';
import { startTestS3Server, type TestS3Server } from '@yunzhen/storage/testing';

import { createApp, defaultSettings, type App, type AppSettings } from '../app.js';
import { createCacheChanges, listenForCacheChanges } from '../cache-changes.js';
import { createServices } from '../compose.js';
import type { IngestInstance } from '../ingest/ingest-pipeline.js';
import { DEMO_PASSWORD, seedDemoUnion } from '../demo-union.js';
import { createPixelScanner } from '../ingest/pixel-scanner.js';
import { createLogger } from '../logger.js';
import { createTextDetector, type TextDetector } from '../ocr/detect-text.js';
import type { Vault } from '../vault/vault.js';

export type TestStoreKind = 'filesystem' | 's3';

/** The OpenID Connect client every test app knows: a first-party browser app (PKCE, no secret). */
export const TEST_OIDC_CLIENT = { clientId: 'test-viewer', name: 'Test viewer', redirectUris: ['http://127.0.0.1:9/callback'], postLogoutRedirectUris: [], firstParty: true };

export interface TestApp {
  app: App;
  /** The database (a fresh copy of the migrated template), as the superuser: tests seed and check through it, seeing every row. */
  db: TestDb;
  /** Repositories over `db` (every row). */
  repos: Repositories;
  /** The same database as the app connects to it: the application role, under row-level security. */
  appDb: Db;
  store: ObjectStore;
  /** The app's vault (the sealed originals). */
  vault: Vault;
  /** The app's own ingest pipeline, for other listeners (DIMSE) in tests. */
  ingest: IngestInstance;
  /** The S3 server behind `store` (s3 kind only), to stop it mid-test. */
  s3?: TestS3Server;
  /** Every log line the app wrote, as raw text. */
  logs: string[];
  /** The app's logger (writes to `logs`). */
  logger: ReturnType<typeof createLogger>;
  /** The app's data directory: filesystem objects in `objects/`, the zip spool in `tmp/`. */
  dataDir: string;
  /** Sends a request as a browser would, with the session cookie and CSRF header when logged in. */
  request(path: string, init?: RequestInit & { session?: TestSession }): Promise<TestResponse>;
  /** Logs a demo user in through the API and returns the browser credentials. */
  login(email: string, password?: string): Promise<TestSession>;
  /** An API token for a demo user, through `POST /api/auth/token`. */
  token(email: string): Promise<string>;
  /**
   * One pass of the pixel scan job (OCR of images stored since; apps made with `pixelScan: true`):
   * returns how many images were scanned.
   */
  scanPixels(): Promise<number>;
  /** Serves the app on a loopback port (for clients that speak real HTTP); returns its base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** A response whose JSON body tests may inspect freely. */
export type TestResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export interface TestSession {
  cookie: string;
  csrfToken: string;
}

/** The whole app over a fresh database and object store, seeded with the demo union. */
export async function createTestApp(options: {
  db: TestDbKind;
  store?: TestStoreKind;
  settings?: Partial<AppSettings>;
  /** The app's clock (caches expire by it; due times and overdue are reckoned by it). */
  now?: () => Date;
  /** Another replica: an app over the same database and object store as this one (not seeded again, not dropped on close). */
  replicaOf?: TestApp;
  /** Start the OCR worker (scanned documents): a model to load, so only where a test reads text in pixels. */
  ocr?: boolean;
  /** OCR images for burned-in text at ingest, as a server does with PIXEL_OCR=on (the job runs when the test calls `scanPixels`). */
  pixelScan?: boolean;
}): Promise<TestApp> {
  const replicaOf = options.replicaOf;
  const db = replicaOf?.db ?? (await createTestDb(options.db));
  const dataDir = await mkdtemp(join(tmpdir(), 'yunzhen-app-'));
  let s3: TestS3Server | undefined;
  let rawStore: ObjectStore;
  if (replicaOf) {
    rawStore = replicaOf.store;
  } else if (options.store === 's3') {
    s3 = await startTestS3Server();
    const client = createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
    await ensureBucket(client, 'yunzhen-test');
    rawStore = createS3Store({ client, bucket: 'yunzhen-test' });
  } else {
    rawStore = createFsStore({ root: join(dataDir, 'objects') });
  }
  const repos = createRepositories(db.kysely);
  if (!replicaOf) await seedDemoUnion(db.kysely);

  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const secret = 'test-root-secret-of-at-least-32-characters';
  let baseUrl: string | undefined;
  const settings: AppSettings = {
    ...defaultSettings,
    tempDir: join(dataDir, 'tmp'),
    // Links and the OpenID Connect issuer name the address the app listens on once `listen` was called, as the server's do.
    listenOrigin: () => baseUrl ?? 'http://localhost',
    oidc: { issuer: () => `${baseUrl ?? 'http://localhost'}/oidc`, clients: [TEST_OIDC_CLIENT], accessTokenTtlSeconds: 600, refreshTokenTtlSeconds: 86_400 },
    ...options.settings,
  };
  // The app connects as the application role, as the server does: every test runs under row-level security.
  const appDb = await createDb({ databaseUrl: db.appUrl, poolSize: 5 });
  const services = createServices({ db: appDb, store: rawStore, secret }, { ...settings.dicomLimits, maxInstanceBytes: settings.maxInstanceBytes }, { pixelScan: options.pixelScan });
  const { ingest, store } = services;
  const cacheChanges = createCacheChanges();
  const listener = await listenForCacheChanges(appDb, cacheChanges);
  // One OCR pool, as in a server: started for documents (`ocr`) at once, for the pixel scan when first asked.
  let detector: TextDetector | undefined = options.ocr ? createTextDetector() : undefined;
  const textDetector = detector;
  const app = createApp({ db: appDb, store, logger, secret, ingest, settings, cacheChanges, now: options.now, textDetector });

  const request: TestApp['request'] = (path, init = {}) => {
    const { session, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (session) {
      headers.set('Cookie', session.cookie);
      if (!headers.has('X-CSRF-Token')) headers.set('X-CSRF-Token', session.csrfToken);
    }
    return Promise.resolve(app.request(path, { ...rest, headers })) as Promise<TestResponse>;
  };

  let server: ReturnType<typeof serve> | undefined;
  let scanner: ReturnType<typeof createPixelScanner> | undefined;

  const postJson = (path: string, body: unknown) =>
    request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  return {
    app,
    db,
    repos,
    appDb,
    store,
    vault: services.vault,
    ingest,
    s3,
    logs,
    logger,
    dataDir,
    request,
    async login(email, password = DEMO_PASSWORD) {
      const response = await postJson('/api/auth/login', { email, password });
      if (response.status !== 200) throw new Error(`login of ${email} failed with ${response.status}`);
      const { csrfToken } = (await response.json()) as { csrfToken: string };
      const cookie = response.headers.get('Set-Cookie')!.split(';')[0]!;
      return { cookie, csrfToken };
    },
    async token(email) {
      const response = await postJson('/api/auth/token', { email, password: DEMO_PASSWORD });
      if (response.status !== 200) throw new Error(`token for ${email} failed with ${response.status}`);
      return ((await response.json()) as { token: string }).token;
    },
    scanPixels() {
      detector ??= createTextDetector();
      scanner ??= createPixelScanner({ repos, store, vault: services.vault, detector, logger, now: options.now ?? (() => new Date()) });
      return scanner.tick();
    },
    async listen() {
      if (!server) {
        const ready = new Promise<number>((resolve) => {
          server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
        });
        baseUrl = `http://127.0.0.1:${await ready}`;
      }
      return baseUrl!;
    },
    async close() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await listener.close();
      await detector?.close();
      await appDb.close();
      if (replicaOf) return void (await rm(dataDir, { recursive: true, force: true }));
      await db.drop();
      await s3?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
