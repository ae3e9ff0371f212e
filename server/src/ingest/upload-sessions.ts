import { asSystem, isDatabaseUnavailable, isDiskFull, withAdvisoryLock, type Db, type Repositories, type UploadPart, type UploadSession } from '@yunzhen/db';
import { StorageError, type ObjectStore } from '@yunzhen/storage';

import { AppError, notFound } from '../errors.js';
import type { IngestContext, InstanceOutcome } from './ingest-pipeline.js';
import type { UploadSessionView, ZipUploadReport } from './upload-contract.js';
import { ingestZip, type ZipUploadDeps } from './zip-upload.js';

export interface UploadSessionLimits {
  /** Size of every part but the last (`UPLOAD_PART_BYTES`): small enough that one part is a short request for any load balancer. */
  partBytes: number;
  /** Most parts in one session. */
  maxParts: number;
  /** Sessions one user may have open (or being assembled) at once. */
  maxOpenPerUser: number;
  /** An open session without a new part for this long is abandoned: the sweep deletes it and its parts. A finished one keeps its answer this long. */
  idleMs: number;
  /** How long a replica's claim to assemble a session lasts unless renewed (a dead replica's claim lapses and another takes over). */
  leaseMs: number;
}

export const defaultUploadSessionLimits: UploadSessionLimits = {
  partBytes: 16 * 1024 * 1024,
  maxParts: 10_000,
  maxOpenPerUser: 10,
  idleMs: 24 * 60 * 60 * 1000,
  leaseMs: 2 * 60 * 1000,
};

export interface UploadSessionDeps extends ZipUploadDeps {
  repos: Repositories;
  /** The application's store (pending puts tracked, so a part whose row never came is swept as an orphan). */
  store: ObjectStore;
  limits: UploadSessionLimits;
  /** Wall clock for expiry and leases. */
  clock: () => Date;
  /** This process as the holder of an assembly lease (`host:pid`). */
  claimant: string;
}

type Owner = { tenantId: string; userId: string };

/** The RFC 9530 `Content-Digest` of a part, `sha-256=:<base64>:`, as lowercase hex; undefined when absent or malformed. */
export function sha256FromContentDigest(header: string | undefined): string | undefined {
  const match = header?.match(/(?:^|,)\s*sha-256=:([A-Za-z0-9+/]{43}=):/i);
  return match ? Buffer.from(match[1]!, 'base64').toString('hex') : undefined;
}

/**
 * Resumable uploads: a zip goes up in parts of `partBytes` (each a short request any replica
 * accepts, stored in the object store under a key naming only the session, index and hash),
 * the client asks which parts are there to resume, and completion streams the parts in order
 * into the same zip ingest as the one-request upload. Nothing is ingested before every part is
 * there, so an interrupted transfer leaves no partial study.
 */
export function createUploadSessions(deps: UploadSessionDeps) {
  const { repos, store, limits } = deps;
  const later = (ms: number) => new Date(deps.clock().getTime() + ms);

  async function view(session: UploadSession, parts?: UploadPart[]): Promise<UploadSessionView> {
    const present = parts ?? (await repos.uploadSessions.parts(session.id));
    return {
      id: session.id,
      kind: session.kind,
      status: session.status,
      totalBytes: session.totalBytes,
      partBytes: session.partBytes,
      partCount: session.partCount,
      parts: present.map((p) => ({ index: p.index, size: p.size, sha256: p.sha256 })),
      expiresAt: session.expiresAt.toISOString(),
      ...(session.status === 'completed' && { result: session.result as ZipUploadReport }),
      ...(session.status === 'failed' && session.error && { error: session.error }),
    };
  }

  async function owned(id: string, owner: Owner): Promise<UploadSession> {
    const session = UUID.test(id) ? await repos.uploadSessions.find(id, owner) : undefined;
    if (!session) throw notFound('upload session');
    return session;
  }

  /** Expected size of part `index`: `partBytes`, the last one the remainder. */
  const partSize = (session: UploadSession, index: number) => (index < session.partCount - 1 ? session.partBytes : session.totalBytes - session.partBytes * (session.partCount - 1));

  async function deleteObjects(keys: string[]) {
    for (const key of keys) await store.delete(key);
  }

  return {
    view: async (id: string, owner: Owner) => view(await owned(id, owner)),

    /** Opens a session after checking every limit (nothing is stored before). */
    async create(owner: Owner, request: { kind: 'zip'; totalBytes: number }): Promise<UploadSessionView> {
      if (request.totalBytes > deps.zipLimits.maxArchiveBytes) {
        throw new AppError('PayloadTooLarge', `an upload of ${request.totalBytes} bytes is over the limit of ${deps.zipLimits.maxArchiveBytes}`);
      }
      const partCount = Math.ceil(request.totalBytes / limits.partBytes);
      if (partCount > limits.maxParts) {
        throw new AppError('PayloadTooLarge', `${partCount} parts of ${limits.partBytes} bytes are over the limit of ${limits.maxParts} parts`);
      }
      if ((await repos.uploadSessions.unfinishedCount(owner.userId)) >= limits.maxOpenPerUser) {
        throw new AppError('UploadSessionLimit', `at most ${limits.maxOpenPerUser} uploads may be open at once; finish or cancel one`);
      }
      const session = await repos.uploadSessions.create({ ...owner, kind: request.kind, totalBytes: request.totalBytes, partBytes: limits.partBytes, partCount, expiresAt: later(limits.idleMs) });
      return view(session, []);
    },

    /**
     * Stores part `index`: its length and SHA-256 are announced (Content-Length, Content-Digest)
     * and checked before and while it is stored. Sending a part again replaces it; parts come
     * in any order, through any replica.
     */
    async putPart(id: string, owner: Owner, index: number, part: { contentLength: number | undefined; sha256: string | undefined; body: ReadableStream<Uint8Array> | null }) {
      const session = await owned(id, owner);
      if (session.status !== 'open') throw new AppError('UploadNotOpen', `the upload is ${session.status}; parts can no longer be sent`);
      if (!Number.isSafeInteger(index) || index < 0 || index >= session.partCount) {
        throw new AppError('PartOutOfRange', `part ${index} is outside 0–${session.partCount - 1}`);
      }
      if (part.contentLength === undefined) throw new AppError('LengthRequired', 'a part needs its Content-Length');
      const expected = partSize(session, index);
      if (part.contentLength !== expected) throw new AppError('PartSizeMismatch', `part ${index} must be ${expected} bytes, not ${part.contentLength}`);
      if (!part.sha256) throw new AppError('DigestRequired', 'a part needs its SHA-256 in Content-Digest (sha-256=:base64:)');
      if (!part.body) throw new AppError('PartSizeMismatch', `part ${index} must be ${expected} bytes, not 0`);
      // The key names the session, the index and the content: a retry of the same bytes finds its object.
      const objectKey = `uploads/${session.id}/${index}-${part.sha256}`;
      const put = await store.put(objectKey, part.body, { sha256: part.sha256, contentType: 'application/octet-stream' });
      if (put.created && put.size !== expected) {
        await store.delete(objectKey);
        throw new AppError('PartSizeMismatch', `part ${index} must be ${expected} bytes, not ${put.size}`);
      }
      const recorded = await repos.uploadSessions.recordPart(session.id, { index, size: expected, sha256: part.sha256, objectKey }, later(limits.idleMs));
      if (!recorded.recorded) {
        if (put.created) await store.delete(objectKey);
        throw new AppError('UploadNotOpen', 'the upload is being completed; parts can no longer be sent');
      }
      if (recorded.replacedKey) await store.delete(recorded.replacedKey);
      return { index, size: expected, sha256: part.sha256 };
    },

    /**
     * Completes the upload: when every part is there, takes the lease and streams the parts
     * in order into the zip ingest, in the background (a large archive takes longer than a
     * request may). Call again to learn how it went: `completed` with the zip upload's answer,
     * `failed` with the archive's error, or still `completing`; when the replica assembling it
     * died, the lease has lapsed and this call takes it over (ingest keeps duplicates once).
     */
    async complete(id: string, owner: Owner, onIngested: (outcomes: InstanceOutcome[]) => Promise<void>): Promise<UploadSessionView> {
      const session = await owned(id, owner);
      if (session.status === 'completed' || session.status === 'failed') return view(session);
      const parts = await repos.uploadSessions.parts(session.id);
      if (session.status === 'open' && parts.length < session.partCount) {
        const present = new Set(parts.map((p) => p.index));
        const missing = Array.from({ length: session.partCount }, (_, i) => i).filter((i) => !present.has(i));
        throw new AppError('UploadIncomplete', `${missing.length} of ${session.partCount} parts are missing (first: ${missing.slice(0, 10).join(', ')})`);
      }
      const claimed = await repos.uploadSessions.claim(session.id, deps.claimant, deps.clock(), later(limits.leaseMs));
      if (!claimed) return view((await repos.uploadSessions.find(id, owner)) ?? session, parts);
      void assemble(claimed, parts, onIngested);
      return view(claimed, parts);
    },

    /** Cancels an upload that is not being assembled: its parts and the session are deleted. */
    async cancel(id: string, owner: Owner): Promise<void> {
      const session = await owned(id, owner);
      if (session.status === 'completing') throw new AppError('UploadNotOpen', 'the upload is being completed');
      const parts = await repos.uploadSessions.parts(session.id);
      await repos.uploadSessions.delete(session.id);
      await deleteObjects(parts.map((p) => p.objectKey));
    },
  };

  async function assemble(session: UploadSession, parts: UploadPart[], onIngested: (outcomes: InstanceOutcome[]) => Promise<void>) {
    const renew = setInterval(() => {
      repos.uploadSessions.renewClaim(session.id, deps.claimant, later(limits.leaseMs)).catch(() => undefined);
    }, Math.max(1000, limits.leaseMs / 3));
    renew.unref?.();
    const context: IngestContext = { tenantId: session.tenantId, userId: session.userId };
    try {
      const { report, outcomes } = await ingestZip(partsInOrder(store, parts), context, deps);
      await onIngested(outcomes);
      await repos.uploadSessions.finish(session.id, deps.claimant, { status: 'completed', result: report }, later(limits.idleMs));
      await repos.uploadSessions.dropParts(session.id);
      await deleteObjects(parts.map((p) => p.objectKey)).catch(() => undefined);
    } catch (error) {
      if (error instanceof MissingPartError) {
        // The store lost a part: the session asks for it again (completing answers UploadIncomplete).
        await repos.uploadSessions.dropPart(session.id, error.index).catch(() => undefined);
        await repos.uploadSessions.finish(session.id, deps.claimant, { status: 'open' }, later(limits.idleMs)).catch(() => undefined);
        return;
      }
      // An outage: open again, so completing again retries. Anything else (the archive refused
      // as hostile or too large, or a fault of ours) is final, or clients would retry forever.
      const failed = !isTransient(error) && { code: error instanceof AppError ? error.code : 'InternalError', message: error instanceof AppError ? error.message : 'internal error' };
      await repos.uploadSessions.finish(session.id, deps.claimant, failed ? { status: 'failed', error: failed } : { status: 'open' }, later(limits.idleMs)).catch(() => undefined);
    } finally {
      clearInterval(renew);
    }
  }
}

export type UploadSessions = ReturnType<typeof createUploadSessions>;

/** A store, disk or database outage, which a later attempt may get past. */
function isTransient(error: unknown): boolean {
  if (error instanceof AppError) return error.code === 'StorageUnavailable' || error.code === 'StorageFull' || error.code === 'DatabaseUnavailable';
  if (error instanceof StorageError) return error.code === 'StorageUnavailable' || error.code === 'StorageFull';
  return isDatabaseUnavailable(error) || isDiskFull(error);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class MissingPartError extends Error {
  constructor(readonly index: number) {
    super(`part ${index} of the upload is missing from the object store`);
  }
}

/** The parts' objects one after the other as one stream: the archive as the client sent it. */
function partsInOrder(store: ObjectStore, parts: UploadPart[]): ReadableStream<Uint8Array> {
  let next = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (!reader) {
          const part = parts[next++];
          if (!part) return controller.close();
          const object = await store.get(part.objectKey);
          if (!object) throw new MissingPartError(part.index);
          reader = object.body.getReader();
        }
        const { done, value } = await reader.read();
        if (done) {
          reader = undefined;
          continue;
        }
        controller.enqueue(value);
        return;
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
}

/** The advisory lock the expiry sweep runs under: one replica sweeps at a time. */
export const UPLOAD_SESSION_SWEEP_LOCK = 'yunzhen:upload-session-sweep';

/**
 * Deletes sessions past their expiry (abandoned, or finished and kept long enough) with their
 * parts' objects, under an advisory lock so one replica at a time does it (`ran: false` when
 * another was sweeping). Sessions a live lease is assembling are left alone.
 */
export async function sweepExpiredUploads(deps: { store: ObjectStore; repos: Repositories; db: Pick<Db, 'kysely'> }, now: Date) {
  // Every hospital's sessions: the system path (row-level security hides them otherwise).
  const swept = await asSystem('upload-session-sweep', () => withAdvisoryLock(deps.db.kysely, UPLOAD_SESSION_SWEEP_LOCK, { wait: false }, async () => {
    let sessions = 0;
    let parts = 0;
    for (;;) {
      const expired = await deps.repos.uploadSessions.expired(now, 100);
      if (expired.length === 0) break;
      for (const session of expired) {
        for (const key of session.objectKeys) await deps.store.delete(key);
        await deps.repos.uploadSessions.delete(session.id);
        sessions++;
        parts += session.objectKeys.length;
      }
    }
    return { sessions, parts };
  }));
  return swept.ran ? { ran: true, ...swept.result } : { ran: false, sessions: 0, parts: 0 };
}
