import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';

import { withAdvisoryLock } from './advisory-lock.js';
import { actorKey, actorSettings, APPLY_ACTOR, currentActor } from './db-actor.js';
import { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-server.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export interface DbConfig {
  /** `postgres://…`: use a PostgreSQL server, as the application role. Omitted: the embedded database. */
  databaseUrl?: string;
  /**
   * `postgres://…` of the role that owns the tables: it runs the migrations and grants the
   * application role (`databaseUrl`'s) its privileges. Omitted: `databaseUrl` migrates, and
   * owning the tables it is not subject to row-level security (`roleReport` says so).
   */
  migrationUrl?: string;
  /** Directory of the embedded PostgreSQL server (its cluster, socket and password); the server uses `DATA_DIR/pg`. */
  dataDir?: string;
  /** Extra server settings for the embedded server. */
  embedded?: Omit<EmbeddedPostgresOptions, 'dir'>;
  /** Connections in the PostgreSQL pool. */
  poolSize?: number;
}

export interface Db {
  kysely: Kysely<Database>;
  kind: 'embedded' | 'postgres';
  /** The embedded server this process started and stops on close (embedded kind only). */
  server?: EmbeddedPostgres;
  /** The server runs on this machine (a Unix socket or a loopback address): its disks are this machine's. */
  onThisMachine: boolean;
  /** Throws when the database cannot answer (readiness checks). */
  ping(): Promise<void>;
  /** Applies pending migrations as the owning role and grants the application role its privileges. */
  migrate(): Promise<void>;
  /** What the application role may do that would let it past row-level security. */
  roleReport(): Promise<DbRoleReport>;
  /** Subscribes to a NOTIFY channel on a connection of its own (see `listenToChannel`). */
  listen(channel: string, handlers: ChannelHandlers): Promise<ChannelListener>;
  close(): Promise<void>;
}

/** The application role's attributes that defeat row-level security (the server warns at start). */
export interface DbRoleReport {
  role: string;
  superuser: boolean;
  bypassRls: boolean;
  /** It owns the tables: policies do not apply to a table's owner. */
  ownsTables: boolean;
}

export interface ChannelHandlers {
  /** A notification's payload, as committed by any process on this database. */
  message(payload: string): void;
  /** The connection was lost and is back: notifications in between were missed. */
  resumed(): void;
}

export interface ChannelListener {
  close(): Promise<void>;
}

const INT8_OID = 20;
const DATE_OID = 1082;
// Row counts and byte sizes stay far below 2^53; reading int8 as a number keeps both
// drivers returning the same JavaScript type. Dates stay 'YYYY-MM-DD' strings: a JS Date
// would shift them by the server's time zone.
const parseInt8 = (value: string) => Number(value);
const keepText = (value: string) => value;
const parsers: Record<number, (value: string) => unknown> = { [INT8_OID]: parseInt8, [DATE_OID]: keepText };

/**
 * Opens the database: PostgreSQL through `pg`, either the server a URL names or the embedded
 * server this process starts from the npm binaries in `dataDir` (and stops on close). One
 * dialect, one engine: the same migrations and SQL run on both.
 */
export async function createDb(config: DbConfig): Promise<Db> {
  if (config.databaseUrl) return wrap(open(config.databaseUrl, config.poolSize), 'postgres', config.databaseUrl, config.migrationUrl ?? config.databaseUrl);
  if (!config.dataDir) throw new Error('createDb needs a databaseUrl or a dataDir for the embedded PostgreSQL server');
  const server = await startEmbeddedPostgres({ ...config.embedded, dir: config.dataDir });
  // The application connects as the generated non-superuser role; the superuser only migrates.
  const db = wrap(open(server.appUrl, config.poolSize), 'embedded', server.appUrl, server.url);
  return {
    ...db,
    server,
    async close() {
      try {
        await db.close();
      } finally {
        await server.stop();
      }
    },
  };
}

function open(connectionString: string, poolSize = 10): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    types: { getTypeParser: (oid, format) => parsers[oid] ?? pg.types.getTypeParser(oid, format) } as pg.CustomTypesConfig,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // Nor a client held by a transaction between two statements (a killed or restarted server
  // drops every connection): its transaction fails, and the pool discards the client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: actorAwarePool(pool) }) });
}

/**
 * Hands out pooled connections set to act for the code's current actor (`asTenant`,
 * `asSystem`, or none). The settings are session-wide and a connection remembers which actor
 * it was last set to, so a query costs one extra round trip only when its connection last
 * served another actor; kysely takes a connection before `begin`, so a transaction keeps one
 * actor throughout.
 */
function actorAwarePool(pool: pg.Pool) {
  const appliedTo = new WeakMap<pg.PoolClient, string>();
  return {
    async connect() {
      const client = await pool.connect();
      const actor = currentActor();
      const settings = actorSettings(actor);
      const key = actorKey(actor);
      if (appliedTo.get(client) !== key) {
        try {
          await client.query(APPLY_ACTOR, settings);
        } catch (error) {
          client.release(error as Error);
          throw error;
        }
        appliedTo.set(client, key);
      }
      return client;
    },
    end: () => pool.end(),
    // kysely opens a client of its own from these to cancel a query.
    Client: pg.Client,
    options: pool.options,
  };
}

/** Whether a connection string reaches a server on this machine: a socket directory, or a loopback host. */
export function onThisMachine(connectionString: string): boolean {
  try {
    const url = new URL(connectionString);
    const host = url.searchParams.get('host') ?? decodeURIComponent(url.hostname);
    return host === '' || host.startsWith('/') || host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

function wrap(kysely: Kysely<Database>, kind: Db['kind'], connectionString: string, migrationUrl: string): Db {
  const listeners = new Set<ChannelListener>();
  return {
    kysely,
    kind,
    onThisMachine: onThisMachine(connectionString),
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    async migrate() {
      if (migrationUrl === connectionString) return migrateToLatest(kysely);
      // Two connections: one holds the lock, the migrator takes the other.
      const owner = open(migrationUrl, 2);
      try {
        const { rows } = await sql<{ role: string }>`select current_user as role`.execute(kysely);
        // Replicas starting together grant one after another (concurrent grants on one table fail).
        await withAdvisoryLock(owner, 'yunzhen:migrate-and-grant', { wait: true }, async () => {
          await migrateToLatest(owner);
          await grantApplicationRole(owner, rows[0]!.role);
        });
      } finally {
        await owner.destroy();
      }
    },
    async roleReport() {
      const { rows } = await sql<DbRoleReport>`
        select r.rolname as role, r.rolsuper as superuser, r.rolbypassrls as "bypassRls",
               exists (select 1 from pg_tables t where t.schemaname = 'public' and t.tablename = 'study' and t.tableowner = r.rolname) as "ownsTables"
        from pg_roles r where r.rolname = current_user`.execute(kysely);
      return rows[0]!;
    },
    async listen(channel, handlers) {
      const listener = await listenToChannel(connectionString, channel, handlers);
      listeners.add(listener);
      return {
        close: async () => {
          listeners.delete(listener);
          await listener.close();
        },
      };
    },
    async close() {
      for (const listener of listeners) await listener.close();
      listeners.clear();
      await kysely.destroy();
    },
  };
}

const CHANNEL = /^[a-z_][a-z0-9_]*$/;
const RECONNECT_MS = 1_000;

/**
 * LISTEN on `channel` over a dedicated connection (a pooled one would be handed to queries).
 * A lost connection (a restarted server, a network cut) is opened again every second until it
 * is back, and `resumed` then says that notifications may have been missed. Resolves once the
 * first LISTEN is in place.
 */
export async function listenToChannel(connectionString: string, channel: string, handlers: ChannelHandlers): Promise<ChannelListener> {
  if (!CHANNEL.test(channel)) throw new Error('a channel name is lower-case letters, digits and underscores');
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
    const lost = () => {
      if (client !== next) return;
      client = undefined;
      next.removeAllListeners('notification');
      void next.end().catch(() => undefined);
      schedule();
    };
    next.on('error', lost);
    next.on('end', lost);
    next.on('notification', (n) => {
      if (n.channel === channel) handlers.message(n.payload ?? '');
    });
    client = next;
    try {
      await next.connect();
      await next.query(`listen ${channel}`);
    } catch (error) {
      lost();
      throw error;
    }
  };
  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(
        () => handlers.resumed(),
        () => undefined, // lost() has scheduled the next try
      );
    }, RECONNECT_MS);
    retry.unref();
  };

  try {
    await connect();
  } catch (error) {
    closed = true;
    if (retry) clearTimeout(retry);
    throw error;
  }
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const open = client;
      client = undefined;
      await open?.end().catch(() => undefined);
    },
  };
}

/**
 * Gives the application role what it needs on every table and sequence, and nothing on the
 * migration bookkeeping. Run by the owner after each migration (new tables need it again).
 */
export async function grantApplicationRole(owner: Kysely<any>, role: string): Promise<void> {
  const name = sql.id(role);
  await sql`grant select, insert, update, delete on all tables in schema public to ${name}`.execute(owner);
  await sql`grant usage, select, update on all sequences in schema public to ${name}`.execute(owner);
  await sql`revoke all on kysely_migration, kysely_migration_lock from ${name}`.execute(owner);
}

/** Applies every pending migration; throws the first failure. */
export async function migrateToLatest(kysely: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db: kysely, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/** Connection failures, shutdowns (57P0x) and insufficient resources (53xxx: disk full, out of memory, too many connections). */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'ENOSPC', '57P01', '57P02', '57P03', '53000', '53100', '53200', '53300', '53400']);

/** True for a full disk: the database's (PostgreSQL's disk_full, 53100) or a file's (ENOSPC, EDQUOT). */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '53100' || code === 'ENOSPC' || code === 'EDQUOT';
}

/** True for errors that mean "the database is down or overloaded" (a 503), not "the query was wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|is not queryable/i.test(message);
}
