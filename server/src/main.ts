import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { serve } from '@hono/node-server';


import { createApp, defaultSettings } from './app.js';
import { createCacheChanges, listenForCacheChanges } from './cache-changes.js';
import { createServices, openResources } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
import { describeForLog } from './errors.js';
import { DEMO_PASSWORD, demoLogins, seedDemoUnion } from './demo-union.js';
import { createAutoConsults } from './dimse/auto-consult.js';
import { createPacsReturn } from './dimse/pacs-return.js';
import { createStorageScp } from './dimse/storage-scp.js';
import { sweepOrphans } from './ingest/orphan-sweeper.js';
import { createPixelScanner } from './ingest/pixel-scanner.js';
import { createTextDetector } from './ocr/detect-text.js';
import { sweepExpiredUploads } from './ingest/upload-sessions.js';
import { removeLeftoverSpools } from './ingest/zip-entries.js';
import { createWebhookDispatcher } from './reports/webhooks.js';
import { createLogger } from './logger.js';
import { createEmailOutbox } from './notify/email-outbox.js';
import { createEscalations } from './notify/escalations.js';

/** OpenID Connect access tokens live 10 minutes: a browser app refreshes them, and revocation is checked on use anyway. */
const OIDC_ACCESS_TOKEN_TTL_SECONDS = 600;

/** The only module that reads the environment, opens sockets and files. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  const resources = await openResources(config);
  const embedded = resources.db.server;
  if (embedded) {
    logger.info(
      { postgres: embedded.version, initialised: embedded.initialised, runsAs: embedded.runsAs, dir: join(resolve(config.dataDir), 'pg') },
      embedded.initialised ? 'initialised a new embedded PostgreSQL cluster' : 'started the embedded PostgreSQL server',
    );
  }
  // Row-level security keeps hospitals apart only for a role it applies to.
  const role = await resources.db.roleReport();
  if (role.superuser || role.bypassRls || role.ownsTables) {
    logger.warn(
      { role: role.role, superuser: role.superuser, bypassRls: role.bypassRls, ownsTables: role.ownsTables },
      'the database role is a superuser, has BYPASSRLS or owns the tables: row-level security does not separate hospitals; connect DATABASE_URL as an application role and migrate with DATABASE_MIGRATION_URL (see README)',
    );
  }
  const services = createServices(resources, { ...defaultSettings.dicomLimits, maxInstanceBytes: config.maxInstanceBytes }, { pixelScan: Boolean(config.pixelOcr) });
  const { repos } = services;

  const seeded = config.demo && (await seedDemoUnion(resources.db.kysely));

  const tempDir = join(resolve(config.dataDir), 'tmp');
  const spools = await removeLeftoverSpools(tempDir);
  if (spools) logger.info({ removed: spools }, 'removed zip upload spools left by an earlier run');

  // Links name the listening address until PUBLIC_URL (or a trusted proxy) says otherwise; an
  // unspecified address (0.0.0.0) is named by this machine's host name.
  let listenOrigin = `http://127.0.0.1:${config.port}`;
  const bundledViewer = fileURLToPath(new URL('../../viewer/dist', import.meta.url));
  const viewerDist = config.viewerDist ?? (existsSync(bundledViewer) ? bundledViewer : undefined);
  // Revocations and consult changes from every replica reach this process's caches at commit.
  const cacheChanges = createCacheChanges();
  await listenForCacheChanges(resources.db, cacheChanges);
  // One OCR pool for the process: burned-in text in images (PIXEL_OCR), scanned pages of attached documents, redactions checked.
  const textDetector = createTextDetector({ poolSize: config.pixelOcr?.workers, budgetMs: config.pixelOcr?.frameBudgetMs });
  const app = createApp({
    cacheChanges,
    textDetector,
    db: resources.db,
    store: services.store,
    logger,
    secret: resources.secret,
    ingest: services.ingest,
    settings: {
      ...defaultSettings,
      sessionTtlMs: config.sessionTtlMs,
      tokenTtlMs: config.tokenTtlMs,
      secureCookies: config.secureCookies,
      trustProxy: config.trustProxy,
      publicUrl: config.publicUrl,
      listenOrigin: () => listenOrigin,
      viewerDist,
      maxInstanceBytes: config.maxInstanceBytes,
      zipLimits: { ...defaultSettings.zipLimits, maxEntryBytes: config.maxInstanceBytes },
      tempDir,
      uploadSessions: { ...defaultSettings.uploadSessions, partBytes: config.uploadPartBytes },
      objectCacheBytes: config.objectCacheBytes,
      corsOrigins: [...config.corsOrigins],
      dicomTls: Boolean(config.dicomTls),
      email: Boolean(config.smtp),
      oidc: {
        issuer: () => `${config.publicUrl ?? listenOrigin}/oidc`,
        clients: [...config.oidcClients],
        accessTokenTtlSeconds: OIDC_ACCESS_TOKEN_TTL_SECONDS,
        refreshTokenTtlSeconds: Math.floor(config.tokenTtlMs / 1000),
      },
    },
  });
  // OpenID Connect sessions, codes and tokens past their expiry are never read again; nor are
  // access-audit windows older than a day (a key can only collide within its own window).
  setInterval(() => {
    repos.oidc.sweepExpired().catch((error: unknown) => logger.warn(describeForLog(error), 'OpenID Connect sweep failed; next run in an hour'));
    repos.audit.forgetWindowsBefore(new Date(Date.now() - 24 * 60 * 60 * 1000)).catch((error: unknown) => logger.warn(describeForLog(error), 'audit window sweep failed; next run in an hour'));
  }, 60 * 60 * 1000).unref();

  // Objects left without an index row (a crash between the two steps of ingest) are removed
  // once they are an hour old, by one replica at a time.
  const sweep = () =>
    sweepOrphans({ store: services.store, repos, db: resources.db }, { graceMs: 60 * 60 * 1000, now: new Date() })
      .then((result) => result.removed && logger.info(result, 'removed orphaned objects'))
      .catch((error: unknown) => logger.warn(describeForLog(error), 'orphan sweep failed; next run in 15 minutes'));
  // Periodic jobs, stopped when the process drains (each claims its work in the database, so
  // what one replica leaves unfinished another picks up).
  const timers: NodeJS.Timeout[] = [];
  timers.push(setTimeout(sweep, 30_000).unref());

  // Report webhooks to sending hospitals, retried with backoff.
  const webhooks = createWebhookDispatcher({ repos, vault: services.vault, now: () => new Date() });
  timers.push(
    setInterval(() => {
      webhooks.tick().catch((error: unknown) => logger.warn(describeForLog(error), 'webhook delivery pass failed'));
    }, 5_000).unref(),
  );
  timers.push(setInterval(sweep, 15 * 60 * 1000).unref());
  // Abandoned resumable uploads (no part for a day) and their parts, by one replica at a time.
  timers.push(
    setInterval(() => {
      sweepExpiredUploads({ store: services.store, repos, db: resources.db }, new Date())
        .then((result) => result.sessions && logger.info(result, 'removed expired upload sessions'))
        .catch((error: unknown) => logger.warn(describeForLog(error), 'upload session sweep failed; next run in 15 minutes'));
    }, 15 * 60 * 1000).unref(),
  );

  // Signed reports (SR + Encapsulated PDF) back to the sending hospital's PACS by C-STORE, retried with backoff.
  const tlsCredentials = config.dicomTls && {
    cert: await readFile(config.dicomTls.certFile),
    key: await readFile(config.dicomTls.keyFile),
    ...(config.dicomTls.caFile && { ca: await readFile(config.dicomTls.caFile) }),
  };
  const pacsReturn = createPacsReturn({ repos, vault: services.vault, store: services.store, logger, callingAe: config.dicom?.aeTitle ?? 'YUNZHEN', tls: tlsCredentials || undefined, now: () => new Date() });
  timers.push(
    setInterval(() => {
      pacsReturn.tick().catch((error: unknown) => logger.warn(describeForLog(error), 'PACS delivery pass failed'));
    }, 10_000).unref(),
  );

  // E-mail notices of new messages, through the configured SMTP server, retried with backoff.
  const emails = config.smtp && createEmailOutbox({ repos, logger, smtpUrl: config.smtp.url, from: config.smtp.from, now: () => new Date() });
  if (emails) {
    timers.push(
      setInterval(() => {
        emails.tick().catch((error: unknown) => logger.warn(describeForLog(error), 'e-mail pass failed'));
      }, 5_000).unref(),
    );
  }

  // Consults running out of time: the claimer and the centre's leads are told at 80 % and 100 %.
  const escalations = createEscalations({ repos, logger, now: () => new Date(), email: Boolean(config.smtp), publicUrl: config.publicUrl });
  timers.push(
    setInterval(() => {
      escalations.tick().catch((error: unknown) => logger.warn(describeForLog(error), 'escalation pass failed'));
    }, 30_000).unref(),
  );

  // Newly stored images that may carry burned-in text are OCR'd before the reading centre sees them.
  if (config.pixelOcr) {
    const pixelScanner = createPixelScanner({ repos, store: services.store, vault: services.vault, detector: textDetector, logger, now: () => new Date(), maxFramesPerInstance: config.pixelOcr.maxFramesPerInstance });
    timers.push(
      setInterval(() => {
        pixelScanner.tick().catch((error: unknown) => logger.warn(describeForLog(error), 'pixel scan pass failed'));
      }, 2_000).unref(),
    );
  }

  // Devices' rules create the consult once a study they sent is quiet.
  const autoConsults = createAutoConsults({ repos, logger, now: () => new Date() });
  timers.push(
    setInterval(() => {
      autoConsults.tick().catch((error: unknown) => logger.warn(describeForLog(error), 'device consult rule pass failed'));
    }, 5_000).unref(),
  );

  // DIMSE (C-ECHO, C-STORE) from registered devices, into the same ingest pipeline.
  const dimse = config.dicom && createStorageScp({ repos, ingest: services.ingest, logger, aeTitle: config.dicom.aeTitle, maxInstanceBytes: config.maxInstanceBytes });
  let dimseLine: string | undefined;
  if (dimse && config.dicom) {
    try {
      const port = await dimse.listen(config.dicom.port, config.dicom.host);
      logger.info({ port, aeTitle: config.dicom.aeTitle }, 'DIMSE listening');
      dimseLine = `DICOM (C-ECHO, C-STORE) as AE title ${config.dicom.aeTitle} on ${config.dicom.host}:${port}, from registered devices only`;
      if (config.dicomTls && tlsCredentials) {
        const tlsPort = await dimse.listenTls(config.dicomTls.port, config.dicom.host, tlsCredentials);
        logger.info({ port: tlsPort }, 'DICOM TLS listening');
        dimseLine += `; DICOM TLS on port ${tlsPort}`;
      }
    } catch (error) {
      // The default port taken (another PACS on this machine) must not stop the quick start;
      // a port the operator chose must.
      if (config.dicom.explicit) throw error;
      logger.warn(describeForLog(error), 'DIMSE listener not started: port 11112 unavailable; set DICOM_PORT');
      dimseLine = 'DICOM listener not started: port 11112 is in use (set DICOM_PORT, or DICOM_PORT=off)';
    }
  }

  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    const url = `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}/`;
    const unspecified = info.address === '0.0.0.0' || info.address === '::';
    listenOrigin = unspecified ? `http://${hostname()}:${info.port}` : url.replace(/\/$/, '');
    logger.info({ url, database: resources.db.kind, objectStore: config.s3 ? 's3' : 'filesystem', viewer: Boolean(viewerDist) }, 'listening');
    printBanner(url, config.demo, seeded, dimseLine, embedded && { version: embedded.version, initialised: embedded.initialised, dir: join(resolve(config.dataDir), 'pg') });
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Drain: accept no new connection (idle keep-alive ones are closed), start no periodic
    // job, and let requests in flight (an upload) finish for up to DRAIN_SECONDS.
    logger.info({ signal, drainSeconds: config.drainMs / 1000 }, 'stopping: draining requests in flight');
    for (const timer of timers) clearTimeout(timer);
    void dimse?.close();
    // The OCR processes are left to the exit: each ends when the server's IPC channel to it closes.
    server.close(() => {
      resources.close().finally(() => process.exit(0));
    });
    setTimeout(() => {
      logger.warn({ drainSeconds: config.drainMs / 1000 }, 'requests still in flight after the drain deadline; exiting');
      process.exit(0);
    }, config.drainMs).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // A stray rejected promise is a bug to find, not a reason to drop every reader's session.
  // Only the error's kind and where it came from are logged: messages can quote request data.
  process.on('unhandledRejection', (error) => logger.error(describeForLog(error), 'unhandled rejection'));
  process.on('uncaughtException', (error) => {
    // After a synchronous throw nobody caught, the process state is unknown; exit and let the
    // supervisor restart it rather than serve from a half-updated state.
    logger.fatal(describeForLog(error), 'uncaught exception; exiting');
    process.exit(1);
  });
}

function printBanner(url: string, demo: boolean, seeded: boolean, dimseLine?: string, embedded?: { version: string; initialised: boolean; dir: string }): void {
  const lines = [];
  if (embedded?.initialised) lines.push(`\nInitialised a new embedded PostgreSQL ${embedded.version} database in ${embedded.dir}`);
  lines.push(`\nYunzhen is running at ${url}`);
  if (dimseLine) lines.push(dimseLine);
  if (demo) {
    lines.push(seeded ? 'Demo union created. Demo logins:' : 'Demo logins:');
    for (const login of demoLogins) lines.push(`  ${login.email.padEnd(22)} ${login.role.padEnd(17)} ${login.hospital}`);
    lines.push(`  password for all: ${DEMO_PASSWORD}`);
  }
  process.stdout.write(lines.join('\n') + '\n\n');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    const code = (error as { code?: string }).code;
    process.stderr.write(`Yunzhen failed to start: ${(error as Error).name ?? 'Error'}${code ? ` (${code})` : ''}: ${(error as Error).message}\n`);
  }
  process.exit(1);
});
