import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSample, rewriteInstances, stowBody } from '../testing/dicom-fixtures.js';
import { expectStorageFull, stowUntilRefused } from '../testing/disk-full.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { sweepOrphans } from './orphan-sweeper.js';

/**
 * Done-when #3 of issue 10, for the database's disk: the test database's tables and indexes move
 * to a tablespace on a 16 MB tmpfs made here (needs root, as the suite runs), which then fills.
 * PostgreSQL refuses to extend a table (53100); WAL stays on the cluster's own disk, so the
 * server refuses statements, not crashes.
 */
const isRoot = process.getuid?.() === 0;
/** The system user the embedded test cluster runs as when the tests run as root. */
const POSTGRES_USER = 'yunzhen-postgres';

describe.skipIf(!isRoot)('ingest when the database’s disk is full (tablespace on a tmpfs)', () => {
  let t: TestApp;
  let token: string;
  let tenantId: string;
  let mount: string;
  const tablespace = `full_disk_${randomUUID().slice(0, 8)}`;

  const moveAll = async (from: string, to: string) => {
    await sql.raw(`alter table all in tablespace ${from} set tablespace ${to}`).execute(t.db.kysely);
    await sql.raw(`alter index all in tablespace ${from} set tablespace ${to}`).execute(t.db.kysely);
  };

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded', store: 'filesystem' });
    // Outside the app's (private) data directory: PostgreSQL's own user must reach it.
    mount = await mkdtemp(join(tmpdir(), 'yunzhen-tablespace-'));
    await chmod(mount, 0o755);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', mount]);
    execFileSync('chown', [`${POSTGRES_USER}:`, mount]);
    await sql.raw(`create tablespace ${tablespace} location '${mount}'`).execute(t.db.kysely);
    await moveAll('pg_default', tablespace);
    token = await t.token('rad@xuhui.demo');
    tenantId = (await t.repos.tenants.findByName('Xuhui District Hospital (demo)'))!.id;
  }, 120_000);
  afterAll(async () => {
    await moveAll(tablespace, 'pg_default').catch(() => undefined);
    await sql.raw(`drop tablespace if exists ${tablespace}`).execute(t.db.kysely).catch(() => undefined);
    if (mount) {
      execFileSync('umount', ['-l', mount]);
      await rm(mount, { recursive: true, force: true });
    }
    await t?.close();
  });

  const study = () => rewriteInstances(['studies/mr-16slice/MR01.dcm', 'studies/mr-16slice/MR02.dcm'].map(readSample), { freshUids: true });
  const stow = async (instance: Uint8Array) => {
    const { body, contentType } = stowBody([instance]);
    return t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
  };

  it('answers 503 StorageFull, is not ready while full, leaves no row without its object nor object without its row, and stores again once space is freed', async () => {
    // Fill the tablespace's disk to the last byte: from here, no table can grow.
    const space = await statfs(mount);
    await writeFile(join(mount, 'filler'), new Uint8Array(space.bavail * space.bsize)).catch(() => undefined);
    await expectStorageFull(await stowUntilRefused(stow, study, 200));

    const notReady = await t.request('/readyz');
    expect(notReady.status).toBe(503);
    expect((await notReady.json()).checks.database).toBe('full');
    expect((await t.request('/healthz')).status).toBe(200);

    // Space comes back: ready again and storing, without a restart.
    await rm(join(mount, 'filler'));
    expect((await t.request('/readyz')).status).toBe(200);
    for (const instance of study()) expect((await stow(instance)).status).toBe(200);

    // Every index row has its object, and after the sweep every object has its row.
    const rows = await t.db.kysely.selectFrom('instance').select('object_key').execute();
    for (const row of rows) expect(await t.store.head(row.object_key), row.object_key).not.toBeNull();
    await sweepOrphans({ store: t.store, repos: t.repos, db: t.db }, { graceMs: 0, now: new Date(Date.now() + 60_000) });
    const keys: string[] = [];
    for await (const object of t.store.list('instances/')) keys.push(object.key);
    const referenced = await t.repos.studies.referencedObjectKeys(keys);
    expect(keys.filter((key) => !referenced.has(key)), 'objects without an index row after the sweep').toEqual([]);
    expect((await t.repos.studies.listStudies({ tenantId })).length).toBeGreaterThan(0);
  }, 300_000);
});
