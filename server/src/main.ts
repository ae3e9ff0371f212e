import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { serve } from '@hono/node-server';


import { createApp, defaultSettings } from './app.js';
import { createServices, openResources } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
import { describeForLog } from './errors.js';
import { DEMO_PASSWORD, demoLogins, seedDemoUnion } from './demo-union.js';
import { createPacsReturn } from './dimse/pacs-return.js';
import { createStorageScp } from './dimse/storage-scp.js';
import { sweepOrphans } from './ingest/orphan-sweeper.js';
import { removeLeftoverSpools } from './ingest/zip-entries.js';
import { createWebhookDispatcher } from './reports/webhooks.js';
import { createLogger } from './logger.js';

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
  const services = createServices(resources, { ...defaultSettings.dicomLimits, maxInstanceBytes: config.maxInstanceBytes });
  const { repos } = services;

  const seeded = config.demo && (await seedDemoUnion(repos));

  const tempDir = join(resolve(config.dataDir), 'tmp');
  const spools = await removeLeftoverSpools(tempDir);
  if (spools) logger.info({ removed: spools }, 'removed zip upload spools left by an earlier run');

  /** The address the server listens on, once it does: the issuer when PUBLIC_URL is not set. */
  let listeningAt: string | undefined;
  const bundledViewer = fileURLToPath(new URL('../../viewer/dist', import.meta.url));
  const viewerDist = config.viewerDist ?? (existsSync(bundledViewer) ? bundledViewer : undefined);
  const app = createApp({
    db: resources.db,
    store: resources.store,
    logger,
    secret: resources.secret,
    ingest: services.ingest,
    settings: {
      ...defaultSettings,
      sessionTtlMs: config.sessionTtlMs,
      tokenTtlMs: config.tokenTtlMs,
      secureCookies: config.secureCookies,
      trustProxy: config.trustProxy,
      viewerDist,
      maxInstanceBytes: config.maxInstanceBytes,
      zipLimits: { ...defaultSettings.zipLimits, maxEntryBytes: config.maxInstanceBytes },
      tempDir,
      objectCacheBytes: config.objectCacheBytes,
      corsOrigins: [...config.corsOrigins],
      oidc: {
        issuer: () => `${config.publicUrl ?? listeningAt ?? `http://127.0.0.1:${config.port}`}/oidc`,
        clients: [...config.oidcClients],
        accessTokenTtlSeconds: OIDC_ACCESS_TOKEN_TTL_SECONDS,
        refreshTokenTtlSeconds: Math.floor(config.tokenTtlMs / 1000),
      },
    },
  });
  // OpenID Connect sessions, codes and tokens past their expiry are never read again.
  setInterval(() => {
    repos.oidc.sweepExpired().catch((error: unknown) => logger.warn(describeForLog(error), 'OpenID Connect sweep failed; next run in an hour'));
  }, 60 * 60 * 1000).unref();

  // Objects left without an index row (a crash between the two steps of ingest) are removed
  // once they are an hour old.
  const sweep = () =>
    sweepOrphans({ store: resources.store, repos }, { graceMs: 60 * 60 * 1000, now: new Date() })
      .then((result) => result.removed && logger.info(result, 'removed orphaned objects'))
      .catch((error: unknown) => logger.warn(describeForLog(error), 'orphan sweep failed; next run in 15 minutes'));
  setTimeout(sweep, 30_000).unref();

  // Report webhooks to sending hospitals, retried with backoff.
  const webhooks = createWebhookDispatcher({ repos, vault: services.vault, now: () => new Date() });
  setInterval(() => {
    webhooks.tick().catch((error: unknown) => logger.warn(describeForLog(error), 'webhook delivery pass failed'));
  }, 5_000).unref();
  setInterval(sweep, 15 * 60 * 1000).unref();

  // Signed reports (SR + Encapsulated PDF) back to the sending hospital's PACS by C-STORE, retried with backoff.
  const pacsReturn = createPacsReturn({ repos, vault: services.vault, store: resources.store, logger, callingAe: config.dicom?.aeTitle ?? 'YUNZHEN', now: () => new Date() });
  setInterval(() => {
    pacsReturn.tick().catch((error: unknown) => logger.warn(describeForLog(error), 'PACS delivery pass failed'));
  }, 10_000).unref();

  // DIMSE (C-ECHO, C-STORE) from registered devices, into the same ingest pipeline.
  const dimse = config.dicom && createStorageScp({ repos, ingest: services.ingest, logger, aeTitle: config.dicom.aeTitle, maxInstanceBytes: config.maxInstanceBytes });
  let dimseLine: string | undefined;
  if (dimse && config.dicom) {
    try {
      const port = await dimse.listen(config.dicom.port, config.dicom.host);
      logger.info({ port, aeTitle: config.dicom.aeTitle }, 'DIMSE listening');
      dimseLine = `DICOM (C-ECHO, C-STORE) as AE title ${config.dicom.aeTitle} on ${config.dicom.host}:${port}, from registered devices only`;
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
    listeningAt = url.slice(0, -1);
    logger.info({ url, database: resources.db.kind, objectStore: config.s3 ? 's3' : 'filesystem', viewer: Boolean(viewerDist) }, 'listening');
    printBanner(url, config.demo, seeded, dimseLine, embedded && { version: embedded.version, initialised: embedded.initialised, dir: join(resolve(config.dataDir), 'pg') });
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void dimse?.close();
    server.close(() => {
      resources.close().finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 10_000).unref();
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
