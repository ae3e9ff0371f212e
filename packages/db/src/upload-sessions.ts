import type { Kysely } from 'kysely';

import type { Database, UploadSessionStatus } from './schema.js';

export interface UploadSession {
  id: string;
  tenantId: string;
  userId: string;
  kind: 'zip';
  totalBytes: number;
  partBytes: number;
  partCount: number;
  status: UploadSessionStatus;
  claimedBy: string | null;
  claimExpiresAt: Date | null;
  result: unknown;
  error: { code: string; message: string } | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface UploadPart {
  index: number;
  size: number;
  sha256: string;
  objectKey: string;
}

type SessionRow = Awaited<ReturnType<ReturnType<typeof selectSessions>['executeTakeFirstOrThrow']>>;

const selectSessions = (db: Kysely<Database>) => db.selectFrom('upload_session').selectAll();

function toSession(row: SessionRow): UploadSession {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    kind: row.kind,
    totalBytes: Number(row.total_bytes),
    partBytes: row.part_bytes,
    partCount: row.part_count,
    status: row.status,
    claimedBy: row.claimed_by,
    claimExpiresAt: row.claim_expires_at,
    result: row.result,
    error: row.error,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/**
 * Resumable upload sessions and their parts. Every state change is one conditional statement,
 * so replicas that receive parts or a completion of the same session at once agree: a part is
 * recorded only while the session is open, and one replica at a time holds the lease to
 * assemble it.
 */
export function createUploadSessionRepository(db: Kysely<Database>) {
  return {
    async create(session: { tenantId: string; userId: string; kind: 'zip'; totalBytes: number; partBytes: number; partCount: number; expiresAt: Date }): Promise<UploadSession> {
      const row = await db
        .insertInto('upload_session')
        .values({
          tenant_id: session.tenantId,
          user_id: session.userId,
          kind: session.kind,
          total_bytes: session.totalBytes,
          part_bytes: session.partBytes,
          part_count: session.partCount,
          expires_at: session.expiresAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toSession(row);
    },

    /** Sessions of this user not yet finished (open or being assembled). */
    async unfinishedCount(userId: string): Promise<number> {
      const row = await db
        .selectFrom('upload_session')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('user_id', '=', userId)
        .where('status', 'in', ['open', 'completing'])
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    /** The session if it belongs to this user of this hospital; anyone else's is as absent. */
    async find(id: string, owner: { tenantId: string; userId: string }): Promise<UploadSession | undefined> {
      const row = await selectSessions(db).where('id', '=', id).where('tenant_id', '=', owner.tenantId).where('user_id', '=', owner.userId).executeTakeFirst();
      return row && toSession(row);
    },

    async parts(sessionId: string): Promise<UploadPart[]> {
      const rows = await db.selectFrom('upload_part').select(['part_index', 'size', 'sha256', 'object_key']).where('session_id', '=', sessionId).orderBy('part_index').execute();
      return rows.map((r) => ({ index: r.part_index, size: r.size, sha256: r.sha256, objectKey: r.object_key }));
    },

    /**
     * Records a stored part (replacing an earlier one of the same index) and clears its key
     * from the pending puts in the same transaction, pushing the session's expiry back.
     * Answers `recorded: false` when the session is no longer open (being assembled, done or
     * gone), and the object key the part replaced, for the caller to delete.
     */
    async recordPart(sessionId: string, part: UploadPart, expiresAt: Date): Promise<{ recorded: false } | { recorded: true; replacedKey: string | null }> {
      return db.transaction().execute(async (tx) => {
        const open = await tx
          .updateTable('upload_session')
          .set({ expires_at: expiresAt, updated_at: new Date() })
          .where('id', '=', sessionId)
          .where('status', '=', 'open')
          .returning('id')
          .executeTakeFirst();
        if (!open) return { recorded: false as const };
        const previous = await tx.selectFrom('upload_part').select('object_key').where('session_id', '=', sessionId).where('part_index', '=', part.index).forUpdate().executeTakeFirst();
        await tx
          .insertInto('upload_part')
          .values({ session_id: sessionId, part_index: part.index, size: part.size, sha256: part.sha256, object_key: part.objectKey })
          .onConflict((oc) => oc.columns(['session_id', 'part_index']).doUpdateSet({ size: part.size, sha256: part.sha256, object_key: part.objectKey }))
          .execute();
        await tx.deleteFrom('pending_object').where('object_key', '=', part.objectKey).execute();
        const replacedKey = previous && previous.object_key !== part.objectKey ? previous.object_key : null;
        return { recorded: true as const, replacedKey };
      });
    },

    /**
     * Takes the lease to assemble the session: from `open`, or from `completing` when the
     * replica that held it let the lease lapse (it died). Answers the session, or undefined
     * when another holds a live lease or it is already finished.
     */
    async claim(sessionId: string, claimant: string, now: Date, leaseUntil: Date): Promise<UploadSession | undefined> {
      const row = await db
        .updateTable('upload_session')
        .set({ status: 'completing', claimed_by: claimant, claim_expires_at: leaseUntil, updated_at: now })
        .where('id', '=', sessionId)
        .where((eb) => eb.or([eb('status', '=', 'open'), eb.and([eb('status', '=', 'completing'), eb('claim_expires_at', '<', now)])]))
        .returningAll()
        .executeTakeFirst();
      return row && toSession(row);
    },

    /** Extends the lease while the archive is being ingested; false when it was lost. */
    async renewClaim(sessionId: string, claimant: string, leaseUntil: Date): Promise<boolean> {
      const row = await db
        .updateTable('upload_session')
        .set({ claim_expires_at: leaseUntil })
        .where('id', '=', sessionId)
        .where('status', '=', 'completing')
        .where('claimed_by', '=', claimant)
        .returning('id')
        .executeTakeFirst();
      return Boolean(row);
    },

    /** Ends assembly: completed with its result, failed with its error, or back to open (a transient outage) for a retry. */
    async finish(sessionId: string, claimant: string, outcome: { status: 'completed'; result: unknown } | { status: 'failed'; error: { code: string; message: string } } | { status: 'open' }, expiresAt: Date): Promise<void> {
      await db
        .updateTable('upload_session')
        .set({
          status: outcome.status,
          claimed_by: null,
          claim_expires_at: null,
          result: outcome.status === 'completed' ? JSON.stringify(outcome.result) : null,
          error: outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
          expires_at: expiresAt,
          updated_at: new Date(),
        })
        .where('id', '=', sessionId)
        .where('claimed_by', '=', claimant)
        .execute();
    },

    /** Forgets one part whose object was found missing, so the session asks for it again. */
    async dropPart(sessionId: string, index: number): Promise<void> {
      await db.deleteFrom('upload_part').where('session_id', '=', sessionId).where('part_index', '=', index).execute();
    },

    /** Forgets the parts of a finished session (their objects are deleted by the caller). */
    async dropParts(sessionId: string): Promise<void> {
      await db.deleteFrom('upload_part').where('session_id', '=', sessionId).execute();
    },

    /** Sessions past their expiry, except those a live lease is assembling, with their parts' keys. */
    async expired(now: Date, limit: number): Promise<{ id: string; objectKeys: string[] }[]> {
      const rows = await db
        .selectFrom('upload_session')
        .select('id')
        .where('expires_at', '<', now)
        .where((eb) => eb.or([eb('status', '!=', 'completing'), eb('claim_expires_at', 'is', null), eb('claim_expires_at', '<', now)]))
        .orderBy('expires_at')
        .limit(limit)
        .execute();
      if (rows.length === 0) return [];
      const parts = await db.selectFrom('upload_part').select(['session_id', 'object_key']).where('session_id', 'in', rows.map((r) => r.id)).execute();
      return rows.map((r) => ({ id: r.id, objectKeys: parts.filter((p) => p.session_id === r.id).map((p) => p.object_key) }));
    },

    async delete(sessionId: string): Promise<void> {
      await db.deleteFrom('upload_session').where('id', '=', sessionId).execute();
    },
  };
}

export type UploadSessionRepository = ReturnType<typeof createUploadSessionRepository>;
