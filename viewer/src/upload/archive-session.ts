import type { UploadEntryReport, UploadSessionView as SessionView } from '../../../server/src/ingest/upload-contract.js';
import { getCsrfToken } from '../api.js';

/** A zip entry's verdict, as the server reports it once the session is complete. */
export type ArchiveEntryResult = UploadEntryReport;

export type ArchiveOutcome =
  | { kind: 'done'; entries: ArchiveEntryResult[] }
  | { kind: 'refused'; code: string }
  | { kind: 'failed'; code: string }
  | { kind: 'expired' };

/**
 * Parts need their SHA-256, which the browser computes only in a secure context (HTTPS, or
 * this machine); elsewhere the page sends a zip's entries one by one instead.
 */
export const canSendInParts = () => typeof crypto !== 'undefined' && Boolean(crypto.subtle);

const STORAGE_KEY = 'yunzhen.uploadSessions';
const MAX_ATTEMPTS = 6;
const PARTS_IN_FLIGHT = 3;

/** Thrown inside to end the upload with an outcome. */
class Stop extends Error {
  constructor(readonly outcome: ArchiveOutcome) {
    super(outcome.kind);
  }
}

/**
 * Sends a zip through a resumable upload session: parts of the server's size with their
 * SHA-256 (`Content-Digest`), a few at a time, each retried with backoff; then completes it
 * and waits until the server has read every entry. The session is remembered in this browser
 * by the file's size and date only (a file name can carry a patient's name), so choosing the
 * same zip after a reload sends only the parts the server does not have.
 */
export async function sendArchiveInParts(file: Blob & { lastModified?: number }, onSent: (bytes: number) => void, signal: AbortSignal, backoffMs: (attempt: number) => number): Promise<ArchiveOutcome> {
  const key = `${file.size}:${file.lastModified ?? 0}`;
  try {
    let session = await remembered(key);
    if (!session) {
      session = await call<SessionView>('POST', '/api/uploads/sessions', { kind: 'zip', totalBytes: file.size }, signal, backoffMs);
      remember(key, session.id);
    }
    if (session.status === 'open') await sendParts(file, session, onSent, signal, backoffMs);
    for (;;) {
      const answer = await send('POST', `/api/uploads/sessions/${session.id}/complete`, undefined, signal, backoffMs, [409, 422]);
      const body = (await answer.json().catch(() => null)) as { session?: SessionView; error?: { code?: string } } | null;
      if (answer.status === 409 && body?.error?.code === 'UploadIncomplete') {
        // A part the server lost track of (or never acknowledged): send what is missing, complete again.
        const current = await call<SessionView>('GET', `/api/uploads/sessions/${session.id}`, undefined, signal, backoffMs);
        await sendParts(file, current, () => undefined, signal, backoffMs);
        continue;
      }
      const state = body?.session;
      if (!state) return { kind: 'refused', code: body?.error?.code ?? `HTTP${answer.status}` };
      if (state.status === 'completed') {
        forget(key);
        return { kind: 'done', entries: state.result?.entries ?? [] };
      }
      if (state.status === 'failed') {
        forget(key);
        return { kind: 'refused', code: state.error?.code ?? 'Rejected' };
      }
      await sleep(1000, signal);
    }
  } catch (error) {
    if (error instanceof Stop) return error.outcome;
    throw error;
  }
}

async function sendParts(file: Blob, session: SessionView, onSent: (bytes: number) => void, signal: AbortSignal, backoffMs: (attempt: number) => number) {
  const have = new Map(session.parts.map((p) => [p.index, p.sha256]));
  let next = 0;
  const worker = async () => {
    while (next < session.partCount) {
      const index = next++;
      const bytes = new Uint8Array(await file.slice(index * session.partBytes, (index + 1) * session.partBytes).arrayBuffer());
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      if (have.get(index) !== hex(digest)) {
        await send('PUT', `/api/uploads/sessions/${session.id}/parts/${index}`, bytes, signal, backoffMs, [], { 'Content-Digest': `sha-256=:${base64(digest)}:` });
      }
      onSent(bytes.length);
    }
  };
  await Promise.all(Array.from({ length: PARTS_IN_FLIGHT }, worker));
}

/** The session this browser opened for a file of this size and date, if the server still has it open. */
async function remembered(key: string): Promise<SessionView | undefined> {
  const id = readStore()[key];
  if (!id) return undefined;
  const response = await fetch(`/api/uploads/sessions/${id}`, { credentials: 'same-origin' }).catch(() => null);
  const session = response?.ok ? ((await response.json()) as { session: SessionView }).session : undefined;
  if (!session || session.status === 'failed' || session.status === 'completed') {
    forget(key);
    return undefined;
  }
  return session;
}

async function call<T>(method: string, path: string, json: unknown, signal: AbortSignal, backoffMs: (attempt: number) => number): Promise<T> {
  const response = await send(method, path, json, signal, backoffMs);
  return ((await response.json()) as { session: T }).session;
}

/**
 * One request, retried on a dropped connection, 5xx or 429 with backoff (or the server's
 * Retry-After); a 401 ends the upload as an expired session, any other refusal with its code.
 */
async function send(method: string, path: string, body: unknown, signal: AbortSignal, backoffMs: (attempt: number) => number, accept: number[] = [], headers: Record<string, string> = {}): Promise<Response> {
  let code = 'NetworkError';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (signal.aborted) throw new Stop({ kind: 'failed', code: 'RequestAborted' });
    const raw = body instanceof Uint8Array;
    const response = await fetch(path, {
      method,
      credentials: 'same-origin',
      signal,
      headers: {
        Accept: 'application/json',
        'X-CSRF-Token': getCsrfToken() ?? '',
        ...(body !== undefined && { 'Content-Type': raw ? 'application/octet-stream' : 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? (body as BlobPart as BodyInit) : JSON.stringify(body),
    }).catch(() => null);
    if (response && (response.ok || accept.includes(response.status))) return response;
    if (response?.status === 401) throw new Stop({ kind: 'expired' });
    const error = response && ((await response.json().catch(() => null)) as { error?: { code?: string } } | null)?.error?.code;
    if (response && response.status < 500 && response.status !== 429) throw new Stop({ kind: 'refused', code: error ?? `HTTP${response.status}` });
    code = error ?? (response ? `HTTP${response.status}` : 'NetworkError');
    const retryAfter = Number(response?.headers.get('Retry-After'));
    await sleep(Math.max(Number.isFinite(retryAfter) ? retryAfter * 1000 : 0, backoffMs(attempt)), signal);
  }
  throw new Stop({ kind: 'failed', code });
}

function readStore(): Record<string, string> {
  try {
    return (JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, string>) ?? {};
  } catch {
    return {};
  }
}

function remember(key: string, id: string) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ ...readStore(), [key]: id }));
  } catch {
    // Without storage the upload still works; it resumes within this page only.
  }
}

function forget(key: string) {
  const store = readStore();
  delete store[key];
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(store));
  } catch {
    // as above
  }
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
