import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { DicomLimits } from '@yunzhen/dicom';
import { createDb, createRepositories, type Db, type Repositories } from '@yunzhen/db';
import { createFsStore, createS3Client, createS3Store, ensureBucket, type ObjectStore } from '@yunzhen/storage';

import type { ServerConfig } from './config.js';
import { createIngestPipeline, type IngestInstance } from './ingest/ingest-pipeline.js';
import { trackPendingPuts } from './ingest/pending-puts.js';
import { createHospitalKeys, type HospitalKeys } from './vault/keys.js';
import { createVault, type Vault } from './vault/vault.js';

export interface Resources {
  db: Db;
  store: ObjectStore;
  /** Root secret from which per-hospital keys are derived. */
  secret: string;
  close(): Promise<void>;
}

/**
 * The composition root's I/O: opens the database (migrated), the object store and the
 * root secret that the configuration names. Embedded defaults live under DATA_DIR.
 */
export async function openResources(config: ServerConfig): Promise<Resources> {
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });

  // The embedded PostgreSQL server keeps its cluster, socket and password under DATA_DIR/pg.
  // The application connects as a role under row-level security; the tables' owner migrates.
  const db = await createDb(config.databaseUrl ? { databaseUrl: config.databaseUrl, migrationUrl: config.databaseMigrationUrl } : { dataDir: join(dataDir, 'pg') });
  try {
    await db.migrate();
    let store: ObjectStore;
    if (config.s3) {
      const client = createS3Client(config.s3);
      await ensureBucket(client, config.s3.bucket);
      store = createS3Store({ client, bucket: config.s3.bucket, keyPrefix: config.s3.keyPrefix });
    } else {
      store = createFsStore({ root: join(dataDir, 'objects') });
    }
    await store.ping();
    const secret = config.secret ?? (await embeddedSecret(dataDir));
    return { db, store, secret, close: () => db.close() };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

/** An embedded deployment keeps its generated root secret beside its data, readable by the owner only. */
async function embeddedSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, 'secret');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  await writeFile(path, secret + '\n', { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return secret;
}

export interface Services {
  repos: Repositories;
  /** The object store with every put recorded as pending first (see `trackPendingPuts`): use this one. */
  store: ObjectStore;
  keys: HospitalKeys;
  vault: Vault;
  /** The one ingest pipeline, shared by HTTP (STOW-RS, zip) and DIMSE (C-STORE). */
  ingest: IngestInstance;
}

/** The services every listener shares, built once over the opened resources. No I/O. */
export function createServices(resources: Pick<Resources, 'db' | 'store' | 'secret'>, limits: Partial<DicomLimits>, options: { pixelScan?: boolean } = {}): Services {
  const repos = createRepositories(resources.db.kysely);
  const store = trackPendingPuts(resources.store, repos.pendingObjects);
  const keys = createHospitalKeys(resources.secret);
  const vault = createVault(keys, repos.vault);
  const ingest = createIngestPipeline({ repos, store, vault, keys, limits, pixelScan: options.pixelScan });
  return { repos, store, keys, vault, ingest };
}
