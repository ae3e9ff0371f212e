import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../embedded-server.js';

export interface TestPostgresServer {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  stop(): void;
}

/**
 * Starts a throwaway PostgreSQL server: initdb into a temp dir, listen on a free loopback
 * port, durability off (tests only). As root it runs as the `postgres` system user, because
 * initdb refuses to run as root.
 */
export async function startTestPostgres(): Promise<TestPostgresServer> {
  const bin = findPostgresBin();
  const root = mkdtempSync(join(tmpdir(), 'yunzhen-pg-'));
  const asRoot = process.getuid?.() === 0;
  const runAs = (command: string, args: string[]) => {
    const full = join(bin, command);
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', full, ...args]] : [full, args];
    const result = spawnSync(file, argv, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  if (asRoot) chownSync(root, uidOf('postgres'), gidOf('postgres'));
  const port = await freePort();
  const data = join(root, 'data');
  runAs('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  runAs('pg_ctl', [
    '-D', data, '-l', join(root, 'server.log'), '-w', 'start',
    '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
  ]);
  let stopped = false;
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        runAs('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

function findPostgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = join(base, version, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql; the test command installs the Debian package "postgresql"');
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}
function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}

