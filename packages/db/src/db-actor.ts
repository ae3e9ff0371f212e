import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * On whose behalf the database is queried. Row-level security (migration
 * `2026-12-08T23-tenant-isolation`) lets a `tenant` actor see its hospital's rows and the rows
 * of consults sent to it; a `system` actor (background jobs, DIMSE, demo seeding: work that is
 * about no single hospital) sees every row; with no actor, tenant-owned tables look empty.
 */
export type DbActor = { kind: 'tenant'; tenantId: string; userId: string } | { kind: 'system'; job: string };

const actors = new AsyncLocalStorage<DbActor>();

/** Runs `task` with the database acting for one hospital's user: every query in it, awaited or not, sees that hospital's rows only. */
export function asTenant<T>(tenantId: string, userId: string, task: () => T): T {
  return actors.run({ kind: 'tenant', tenantId, userId }, task);
}

/**
 * Runs `task` as the system: the one path that reads across hospitals without a consult
 * relation (outbox deliveries, sweeps, escalations, DIMSE, seeding). `job` names the path, so a
 * reader of the code sees where isolation is deliberately lifted.
 */
export function asSystem<T>(job: string, task: () => T): T {
  return actors.run({ kind: 'system', job }, task);
}

/** The actor of the code running now, if any. */
export function currentActor(): DbActor | undefined {
  return actors.getStore();
}

/** Runs `task` as `actor` (none: as nobody), for work queued by one caller and done later by another (see the index queue). */
export function runAs<T>(actor: DbActor | undefined, task: () => T): T {
  return actor ? actors.run(actor, task) : actors.exit(task);
}

/** Equal for actors the database cannot tell apart (same settings). */
export function actorKey(actor: DbActor | undefined): string {
  return actorSettings(actor).join('\n');
}

/** The session settings the policies read, in the order of `APPLY_ACTOR`'s parameters. */
export function actorSettings(actor: DbActor | undefined): [tenantId: string, userId: string, system: string] {
  if (!actor) return ['', '', ''];
  return actor.kind === 'tenant' ? [actor.tenantId, actor.userId, ''] : ['', '', actor.job];
}

/**
 * Sets the actor on a pooled connection for its session (not `is_local`: set once when the
 * connection is taken and only when it changed, so a connection reused by the same hospital
 * costs no extra round trip; see `actorAwarePool`).
 */
export const APPLY_ACTOR =
  "select set_config('yunzhen.tenant_id', $1, false), set_config('yunzhen.user_id', $2, false), set_config('yunzhen.system', $3, false)";
