import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import type { UploadSessionView as SessionView } from '../../../server/src/ingest/upload-contract.js';

import { jsonOf, failureOf, networkCode, request, UploaderFailure } from './failure.js';
import { backoff, sleep } from './retry.js';
import type { FileResult } from './upload.js';

export interface ArchiveUploadOptions {
  server: string;
  token: string;
  /** Parts in flight at once. */
  concurrency: number;
  maxAttempts: number;
  /** Where the sessions of unfinished uploads are remembered between runs. */
  statePath: string;
  /** Bytes of the archive acknowledged by the server so far (parts already there count at once). */
  onBytes: (bytes: number) => void;
}

/** `$XDG_CONFIG_HOME/yunzhen/uploads.json`, beside the credentials: which session each archive went into. */
export function uploadStatePath(credentialsFile: string): string {
  return join(dirname(credentialsFile), 'uploads.json');
}

/**
 * Sends a zip through a resumable upload session: parts of the size the server chose, each
 * with its SHA-256, several at a time, each retried on a cut connection or an outage; then
 * completes it and waits for the server's report per entry. The session is remembered per
 * archive (path, size, modification time), so running the uploader again after an
 * interruption sends only the parts the server does not have (checked against their SHA-256),
 * and an archive ingested within the server's keeping time (a day) is not sent again.
 */
export async function uploadArchive(path: string, options: ArchiveUploadOptions): Promise<FileResult[]> {
  const info = await stat(path);
  const key = `${options.server} ${resolve(path)} ${info.size} ${info.mtimeMs}`;
  let session = await resumable(key, options);
  const resumedDone = session?.status === 'completed';
  if (!session) {
    session = await call<SessionView>(options, 'POST', '/api/uploads/sessions', { json: { kind: 'zip', totalBytes: info.size } });
    await remember(options.statePath, key, session.id);
  }

  if (session.status === 'open') await sendParts(path, session, options);
  else options.onBytes(info.size);
  const finished = resumedDone ? session : await complete(path, session, options);
  // A completed session is kept in mind while the server keeps its answer (a day): running the
  // uploader on the same archive again then sends nothing.
  if (finished.status === 'failed') {
    await remember(options.statePath, key, undefined);
    return [{ label: path, status: 'rejected', code: finished.error?.code ?? 'Rejected' }];
  }
  return (finished.result?.entries ?? []).flatMap((entry): FileResult[] => {
    const label = `${path} › ${entry.name}`;
    if (entry.status === 'ignored') return [];
    if (entry.status === 'rejected') return [{ label, status: 'rejected', code: entry.code ?? 'Rejected' }];
    // Stored before this run (an earlier run completed it) or already in the hospital's studies.
    return [{ label, status: entry.status === 'duplicate' || resumedDone ? 'skipped' : 'stored' }];
  });
}

/** The session an earlier run opened for this archive, if the server still has it. */
async function resumable(key: string, options: ArchiveUploadOptions): Promise<SessionView | undefined> {
  const id = (await readState(options.statePath))[key];
  if (!id) return undefined;
  const response = await request(options.server, `/api/uploads/sessions/${id}`, { token: options.token, timeoutMs: 120_000 }).catch(() => undefined);
  if (!response?.ok) return undefined;
  const session = ((await jsonOf(response)) as { session?: SessionView } | undefined)?.session;
  return session && session.status !== 'failed' ? session : undefined;
}

async function sendParts(path: string, session: SessionView, options: ArchiveUploadOptions) {
  const have = new Map(session.parts.map((p) => [p.index, p.sha256]));
  const file = await open(path, 'r');
  try {
    let next = 0;
    const worker = async () => {
      while (next < session.partCount) {
        const index = next++;
        const offset = index * session.partBytes;
        const bytes = new Uint8Array(Math.min(session.partBytes, session.totalBytes - offset));
        await file.read(bytes, 0, bytes.length, offset);
        const sha256 = createHash('sha256').update(bytes).digest();
        // A part the server has with the same content is not sent again.
        if (have.get(index) !== sha256.toString('hex')) {
          await withRetries(options, () =>
            request(options.server, `/api/uploads/sessions/${session.id}/parts/${index}`, {
              method: 'PUT',
              token: options.token,
              headers: { 'Content-Type': 'application/octet-stream', 'Content-Digest': `sha-256=:${sha256.toString('base64')}:` },
              body: bytes,
            }),
          );
        }
        options.onBytes(bytes.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    await file.close();
  }
}

/** Completes the session and asks again until the server has ingested it (or refused it); missing parts are sent again. */
async function complete(path: string, session: SessionView, options: ArchiveUploadOptions): Promise<SessionView> {
  for (let round = 0; ; round++) {
    const response = await withRetries(options, () => request(options.server, `/api/uploads/sessions/${session.id}/complete`, { method: 'POST', token: options.token, timeoutMs: 120_000 }), [409, 422]);
    const body = (await jsonOf(response)) as { session?: SessionView; error?: { code: string } } | undefined;
    if (response.status === 409 && body?.error?.code === 'UploadIncomplete' && round < 3) {
      const current = await call<SessionView>(options, 'GET', `/api/uploads/sessions/${session.id}`);
      await sendParts(path, current, options);
      continue;
    }
    if (!body?.session) throw failureOf(response, body, options.server, { withToken: true });
    if (body.session.status === 'completed' || body.session.status === 'failed') return body.session;
    await sleep(1000);
  }
}

/** A call that must succeed: network failures and outages retried with backoff; other refusals end the upload. */
async function call<T>(options: ArchiveUploadOptions, method: string, path: string, init: { json?: unknown } = {}): Promise<T> {
  const response = await withRetries(options, () => request(options.server, path, { method, token: options.token, json: init.json, timeoutMs: 120_000 }));
  const body = (await jsonOf(response)) as { session?: T } | undefined;
  if (!body?.session) throw failureOf(response, body, options.server, { withToken: true });
  return body.session;
}

/**
 * Runs `send` until it gets an answer that is not an outage: a cut connection, 5xx or 429 is
 * retried with backoff up to `maxAttempts`; a 2xx (or a status in `accept`) is returned; any
 * other answer ends the upload with the server's reason.
 */
async function withRetries(options: ArchiveUploadOptions, send: () => Promise<Response>, accept: number[] = []): Promise<Response> {
  let last: UploaderFailure | undefined;
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      if (error instanceof UploaderFailure && error.code === 'Redirected') throw error;
      last = error instanceof UploaderFailure ? error : new UploaderFailure(networkCode(error));
      await sleep(backoff(attempt));
      continue;
    }
    if (response.ok || accept.includes(response.status)) return response;
    const failure = failureOf(response, await jsonOf(response), options.server, { withToken: true });
    if (response.status < 500 && response.status !== 429) throw failure;
    last = failure;
    await sleep(Math.max((failure.details.retryAfter ?? 0) * 1000, backoff(attempt)));
  }
  throw last ?? new UploaderFailure('NetworkError');
}

async function readState(path: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Records (or forgets) the session of an archive; written to a temporary file and renamed, so an interruption never leaves half a file. */
async function remember(path: string, key: string, sessionId: string | undefined) {
  const state = await readState(path);
  if (sessionId) state[key] = sessionId;
  else delete state[key];
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(state), { mode: 0o600 });
  await rename(temporary, path);
}
