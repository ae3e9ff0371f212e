import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createDb, createRepositories } from '@yunzhen/db';
import { createFsStore } from '@yunzhen/storage';

import { readSample, rewriteInstances, stowBody } from '../testing/dicom-fixtures.js';
import { demoToken, spawnServer, type SpawnedServer } from '../testing/spawn-server.js';
import { sweepOrphans } from './orphan-sweeper.js';

/**
 * Done-when #2 of issue 10: the server (and separately the embedded PostgreSQL postmaster) is
 * SIGKILLed while four clients upload a 300-instance study, one instance per STOW-RS request;
 * after a restart on the same DATA_DIR every acknowledged instance is retrievable and indexed,
 * no index row lacks its object, and after the orphan sweep no object lacks its row.
 */

const STUDY = 0x0020000d;
const SERIES = 0x0020000e;
const SOP = 0x00080018;
const INSTANCE_NUMBER = 0x00200013;
const CLIENTS = 4;
const KILL_AFTER = 60;

const uid = () => `2.25.${BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex')}`).toString()}`;

/** 300 instances of one new study, made from the 16-slice MR sample with fresh UIDs. */
function syntheticStudy(count = 300): Uint8Array[] {
  const slices = Array.from({ length: 16 }, (_, i) => readSample(`studies/mr-16slice/MR${String(i + 1).padStart(2, '0')}.dcm`));
  const study = uid();
  const series = uid();
  return Array.from({ length: count }, (_, n) =>
    rewriteInstances([slices[n % slices.length]!], { replace: { [STUDY]: study, [SERIES]: series, [SOP]: uid(), [INSTANCE_NUMBER]: String(n + 1) } })[0]!,
  );
}

interface Acknowledged {
  study: string;
  sop: string;
  retrieveUrl: string;
}

/** Uploads with several clients until `kill` has run and every client has hit a failure or the end. */
async function uploadUntilKilled(server: SpawnedServer, files: Uint8Array[], kill: () => Promise<void>) {
  const token = await demoToken(server.url, 'rad@xuhui.demo');
  const acknowledged: Acknowledged[] = [];
  let next = 0;
  let killed: Promise<void> | undefined;
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < files.length) {
        const file = files[next++]!;
        const { body, contentType } = stowBody([file]);
        try {
          const response = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
          const text = await response.text();
          if (response.status >= 200 && response.status < 300) {
            const json = JSON.parse(text) as Record<string, { Value?: Record<string, { Value?: string[] }>[] }>;
            for (const item of json['00081199']?.Value ?? []) {
              const retrieveUrl = item['00081190']!.Value![0]!;
              const study = /\/studies\/([^/]+)\//.exec(retrieveUrl)![1]!;
              acknowledged.push({ study, sop: item['00081155']!.Value![0]!, retrieveUrl });
            }
          } else {
            failures.push(String(response.status));
          }
        } catch (error) {
          failures.push((error as Error).name);
        }
        if (acknowledged.length >= KILL_AFTER && !killed) killed = kill();
        if (killed && failures.length > 0) break;
      }
    }),
  );
  await killed;
  return { acknowledged, failures };
}

/** What a restarted server answers: each acknowledged instance by WADO-RS and in QIDO-RS. */
async function checkAcknowledged(server: SpawnedServer, acknowledged: Acknowledged[]) {
  const token = await demoToken(server.url, 'rad@xuhui.demo');
  const headers = { Authorization: `Bearer ${token}` };
  const study = acknowledged[0]!.study;
  const qido = await fetch(`${server.url}/dicomweb/studies/${study}/instances?limit=1000`, { headers: { ...headers, Accept: 'application/dicom+json' } });
  expect(qido.status).toBe(200);
  const indexed = new Set(((await qido.json()) as Record<string, { Value: string[] }>[]).map((row) => row['00080018']!.Value[0]));
  const missing = acknowledged.filter((a) => !indexed.has(a.sop));
  expect(missing.length, 'acknowledged instances missing from QIDO-RS').toBe(0);
  for (const a of acknowledged) {
    const wado = await fetch(new URL(new URL(a.retrieveUrl).pathname, server.url), { headers: { ...headers, Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    expect(wado.status, a.retrieveUrl).toBe(200);
    expect((await wado.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  }
  return indexed.size;
}

/** With the server stopped: every row has its object, the sweep leaves no object without a row, no temp file is left. */
async function checkStore(dataDir: string) {
  const server = await createDb({ dataDir: join(dataDir, 'pg') });
  // As the superuser: the check looks at every hospital's rows.
  const db = await createDb({ databaseUrl: server.server!.url, poolSize: 2 });
  try {
    const repos = createRepositories(db.kysely);
    const store = createFsStore({ root: join(dataDir, 'objects') });
    const rows = await db.kysely.selectFrom('instance').select('object_key').execute();
    const rowsWithoutObject = [];
    for (const row of rows) if (!(await store.head(row.object_key))) rowsWithoutObject.push(row.object_key);
    expect(rowsWithoutObject, 'index rows whose object is missing').toEqual([]);
    await sweepOrphans({ store, repos, db }, { graceMs: 0, now: new Date(Date.now() + 60_000) });
    const keys = [];
    for await (const object of store.list('instances/')) keys.push(object.key);
    const referenced = await repos.studies.referencedObjectKeys(keys);
    expect(keys.filter((key) => !referenced.has(key)), 'objects without an index row after the sweep').toEqual([]);
    expect(keys.length).toBe(rows.length);
    // Half-written temp files of puts that were cut off are removed when the server starts.
    const leftovers = await readdir(join(dataDir, 'objects', '.tmp')).catch(() => []);
    expect(leftovers, 'temp files left in objects/.tmp after the sweep').toEqual([]);
    // Spooled zips of uploads cut off by the crash are removed when the server starts.
    const spools = await readdir(join(dataDir, 'tmp')).catch(() => []);
    expect(spools, 'zip spools left in DATA_DIR/tmp').toEqual([]);
    return rows.length;
  } finally {
    await db.close();
    await server.close();
  }
}

/**
 * What a kill in the middle of a put or a zip upload leaves (planted, since where a kill lands
 * is chance): a half-written temp file of the object store, an hour old, and a spooled zip.
 */
async function plantLeftovers(dataDir: string) {
  await mkdir(join(dataDir, 'objects', '.tmp'), { recursive: true });
  const temp = join(dataDir, 'objects', '.tmp', randomUUID());
  await writeFile(temp, new Uint8Array(1000));
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  await utimes(temp, old, old);
  await mkdir(join(dataDir, 'tmp'), { recursive: true });
  await writeFile(join(dataDir, 'tmp', `upload-${randomUUID()}.zip`), new Uint8Array(1000));
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'pg', 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

describe('crash safety of ingest (embedded PostgreSQL, filesystem store)', () => {
  const dirs: string[] = [];
  const running: SpawnedServer[] = [];
  afterAll(async () => {
    for (const server of running) await server.stop().catch(() => undefined);
    // A PostgreSQL server left behind by a SIGKILLed Yunzhen (when a test failed before the restart).
    for (const dir of dirs) {
      const pid = await postmasterPid(dir).catch(() => undefined);
      if (pid) {
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // already gone
        }
      }
    }
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function start(dataDir: string) {
    const server = await spawnServer({ dataDir });
    running.push(server);
    return server;
  }

  it('keeps every acknowledged instance when the server is SIGKILLed mid-upload', { timeout: 600_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'yunzhen-crash-'));
    dirs.push(dataDir);
    const files = syntheticStudy();
    const first = await start(dataDir);
    const { acknowledged, failures } = await uploadUntilKilled(first, files, async () => {
      first.process.kill('SIGKILL');
    });
    await new Promise((resolve) => (first.process.exitCode !== null || first.process.signalCode !== null ? resolve(undefined) : first.process.once('exit', resolve)));
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acknowledged.length + failures.length).toBeLessThan(files.length);
    await plantLeftovers(dataDir);

    const second = await start(dataDir);
    const indexed = await checkAcknowledged(second, acknowledged);
    expect(indexed).toBeGreaterThanOrEqual(acknowledged.length);
    await second.stop();
    expect(await checkStore(dataDir)).toBe(indexed);
  });

  it('keeps every acknowledged instance when the embedded PostgreSQL is SIGKILLed mid-upload', { timeout: 600_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'yunzhen-crash-pg-'));
    dirs.push(dataDir);
    const files = syntheticStudy();
    const first = await start(dataDir);
    const postmaster = await postmasterPid(dataDir);
    const { acknowledged, failures } = await uploadUntilKilled(first, files, async () => {
      process.kill(postmaster, 'SIGKILL');
    });
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    // Without its database the server refuses with 503, never a 500, and keeps running.
    const log = await readFile(first.logPath, 'utf8');
    expect(failures.filter((f) => f !== '503'), log.split('\n').slice(-15).join('\n')).toEqual([]);
    await first.stop();

    const second = await start(dataDir);
    const indexed = await checkAcknowledged(second, acknowledged);
    expect(indexed).toBeGreaterThanOrEqual(acknowledged.length);
    await second.stop();
    expect(await checkStore(dataDir)).toBe(indexed);
  });
});
