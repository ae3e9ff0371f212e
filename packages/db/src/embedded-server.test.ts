import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-server.js';

/** The supervisor of the embedded PostgreSQL server, on real clusters in temp dirs (durability on, as in production). */
describe('embedded PostgreSQL server', () => {
  const dirs: string[] = [];
  const servers: EmbeddedPostgres[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'yunzhen-epg-test-'));
    dirs.push(dir);
    return join(dir, 'pg');
  };
  const start = async (dir: string) => {
    const server = await startEmbeddedPostgres({ dir });
    servers.push(server);
    return server;
  };
  const query = async <T extends object>(url: string, text: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  };
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop().catch(() => undefined);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('initialises a cluster on first start, keeps its data on restart, and stops cleanly', async () => {
    const dir = tempDir();
    const first = await start(dir);
    expect(first.initialised).toBe(true);
    expect(first.version).toMatch(/^18\./);
    expect(readFileSync(join(dir, 'data', 'PG_VERSION'), 'utf8').trim()).toBe('18');
    // The generated password sits beside the cluster, readable by its owner only; no TCP port, a socket in the dir.
    expect(statSync(join(dir, 'password')).mode & 0o777).toBe(0o600);
    expect(first.url).toContain(encodeURIComponent(join(dir, 'run')));
    const [settings] = await query<{ listen: string; fsync: string; autovacuum: string }>(first.url, "select current_setting('listen_addresses') listen, current_setting('fsync') fsync, current_setting('autovacuum') autovacuum");
    expect(settings).toEqual({ listen: '', fsync: 'on', autovacuum: 'on' });
    // The application's role: a generated password of its own beside the superuser's, and nothing that lifts row-level security.
    expect(statSync(join(dir, 'app-password')).mode & 0o777).toBe(0o600);
    expect(first.appUrl).toContain(encodeURIComponent(readFileSync(join(dir, 'app-password'), 'utf8').trim()));
    const [role] = await query<{ role: string; rolsuper: boolean; rolbypassrls: boolean }>(first.appUrl, 'select current_user as role, rolsuper, rolbypassrls from pg_roles where rolname = current_user');
    expect(role).toEqual({ role: 'yunzhen_app', rolsuper: false, rolbypassrls: false });
    await query(first.url, "create table kept (v text); insert into kept values ('before restart')");
    await first.stop();
    expect(first.pid()).toBeUndefined();

    const second = await start(dir);
    expect(second.initialised).toBe(false);
    expect(await query(second.url, 'select v from kept')).toEqual([{ v: 'before restart' }]);
    expect(await query(second.appUrl, 'select current_user as role')).toEqual([{ role: 'yunzhen_app' }]);
  });

  it('recovers after its postmaster is SIGKILLed, with the data committed before', async () => {
    const dir = tempDir();
    const first = await start(dir);
    await query(first.url, "create table kept (v text); insert into kept values ('committed')");
    const pid = first.pid()!;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((done) => setTimeout(done, 50));
      } catch {
        break;
      }
    }
    // The crash leaves postmaster.pid behind, naming a dead process.
    expect(Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0])).toBe(pid);

    const second = await start(dir);
    expect(second.initialised).toBe(false);
    expect(second.pid()).not.toBe(pid);
    expect(await query(second.url, 'select v from kept')).toEqual([{ v: 'committed' }]);
    expect(readFileSync(join(dir, 'server.log'), 'utf8')).toMatch(/database system was interrupted|was not properly shut down/);
  });

  it('takes over a server left running by a Node process that died', async () => {
    const dir = tempDir();
    const orphan = await start(dir);
    await query(orphan.url, "create table kept (v text); insert into kept values ('orphaned')");
    writeFileSync(join(dir, 'owner.pid'), '999999\n'); // a Node process that no longer exists
    const second = await start(dir);
    expect(second.pid()).not.toBe(undefined);
    expect(await query(second.url, 'select v from kept')).toEqual([{ v: 'orphaned' }]);
  });

  it('refuses a cluster of another major version, with a clear message, without touching it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'PG_VERSION'), '17\n');
    const error = await startEmbeddedPostgres({ dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect((error as Error).message).toMatch(/created by PostgreSQL 17, but this Yunzhen ships PostgreSQL 18/);
    expect((error as Error).message).toMatch(/pg_upgrade|DATABASE_URL/);
    expect(readFileSync(join(dir, 'data', 'PG_VERSION'), 'utf8')).toBe('17\n');
  });

  it.runIf(process.getuid?.() === 0)('as root, runs PostgreSQL as an unprivileged system user that owns the directory', async () => {
    const dir = tempDir();
    const server = await start(dir);
    expect(server.runsAs).toBe('yunzhen-postgres');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${server.pid()}/status`, 'utf8'))![1]);
    expect(uid).not.toBe(0);
    expect(statSync(join(dir, 'data')).uid).toBe(uid);
    expect(statSync(join(dir, 'password')).uid).toBe(uid);
  });
});
