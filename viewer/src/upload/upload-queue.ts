import { api, getCsrfToken } from '../api.js';
import { DICOM_JSON, stowFailureCode, stowRequest } from '../viewer/dicomweb-paths.js';
import { canSendInParts, sendArchiveInParts } from './archive-session.js';
import type { ScanSummary } from './scan-types.js';

export type ItemState = 'scanning' | 'invalid' | 'queued' | 'uploading' | 'retrying' | 'stored' | 'skipped' | 'rejected' | 'failed';

export interface UploadItem {
  id: number;
  /** Path in the dropped folder, or `archive.zip › entry`. */
  name: string;
  size: number;
  source: Blob;
  scan?: ScanSummary;
  state: ItemState;
  /** Bytes sent of this file, 0..size. */
  sent: number;
  attempts: number;
  /** Reason code of a refusal or failure. */
  code?: string;
  /** The stored (de-identified) Study Instance UID. */
  storedStudyUid?: string;
  /** The stored study's id, when the server named it by id (entries of a zip sent in parts). */
  storedStudyId?: string;
  /** An entry of a zip: the zip goes whole, in parts of a resumable upload, and the server reports each entry. */
  archive?: { file: Blob; entryName: string };
}

const CONCURRENCY = 3;
const MAX_ATTEMPTS = 6;

/** Delay before retry `attempt` (1-based): exponential from 1 s, capped at 30 s, with jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

export class SessionExpiredError extends Error {}

/**
 * Sends items one instance per STOW-RS request, a few in parallel. Network errors and 5xx
 * answers (the store or database being down: 503 with Retry-After) are retried with
 * backoff; a refusal (4xx) is final for that file. Items already stored by this hospital
 * (asked with `/api/uploads/check`) are skipped, so a new drop after a reload resumes.
 * Zips with entries still to send go whole, in parts of a resumable upload session
 * (`sendArchiveInParts`), where the browser can hash them; elsewhere entry by entry.
 */
export async function runUploads(items: UploadItem[], onChange: () => void, signal: AbortSignal): Promise<void> {
  await markAlreadyStored(items);
  onChange();
  const queue = items.filter((item) => item.state === 'queued' || item.state === 'failed');
  for (const item of queue) {
    item.state = 'queued';
    item.attempts = 0;
  }
  const archives = new Map<Blob, UploadItem[]>();
  if (canSendInParts()) {
    for (const item of queue) if (item.archive) archives.set(item.archive.file, [...(archives.get(item.archive.file) ?? []), item]);
  }
  const singles = queue.filter((item) => !item.archive || !archives.has(item.archive.file));
  let next = 0;
  let expired = false;
  const worker = async () => {
    while (!signal.aborted && !expired && next < singles.length) {
      const item = singles[next++]!;
      try {
        await uploadWithRetries(item, onChange, signal);
      } catch (error) {
        if (error instanceof SessionExpiredError) expired = true;
      }
      onChange();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  for (const [file, entries] of archives) {
    if (signal.aborted || expired) break;
    expired = !(await sendArchive(file, entries, onChange, signal));
  }
  if (expired) throw new SessionExpiredError('the session expired');
}

/** Sends one zip in parts and gives each of its pending entries the server's verdict; false when the sign-in expired. */
async function sendArchive(file: Blob, entries: UploadItem[], onChange: () => void, signal: AbortSignal): Promise<boolean> {
  for (const entry of entries) Object.assign(entry, { state: 'uploading', sent: 0, attempts: 1, code: undefined });
  onChange();
  let sent = 0;
  const outcome = await sendArchiveInParts(
    file,
    (bytes) => {
      // The entries' share of the archive's bytes sent, for the progress bar and the time left.
      sent += bytes;
      const fraction = Math.min(1, sent / Math.max(1, file.size));
      for (const entry of entries) entry.sent = Math.round(entry.size * fraction);
      onChange();
    },
    signal,
    backoffMs,
  );
  const byName = new Map(entries.map((entry) => [entry.archive!.entryName, entry]));
  for (const entry of entries) {
    entry.sent = entry.size;
    if (outcome.kind === 'done') Object.assign(entry, { state: 'rejected', code: 'CorruptEntry' });
    else if (outcome.kind === 'refused') Object.assign(entry, { state: 'rejected', code: outcome.code });
    else Object.assign(entry, { state: 'failed', code: outcome.kind === 'expired' ? 'SessionExpired' : outcome.code });
  }
  if (outcome.kind === 'done') {
    for (const result of outcome.entries) {
      const entry = byName.get(result.name);
      if (!entry || result.status === 'ignored') continue;
      if (result.status === 'rejected') Object.assign(entry, { state: 'rejected', code: result.code ?? 'Rejected' });
      else Object.assign(entry, { state: result.status === 'stored' ? 'stored' : 'skipped', code: undefined, storedStudyId: result.studyId });
    }
  }
  onChange();
  return outcome.kind !== 'expired';
}

async function markAlreadyStored(items: UploadItem[]): Promise<void> {
  const candidates = items.filter((i) => (i.state === 'queued' || i.state === 'failed') && i.scan?.ok);
  for (let start = 0; start < candidates.length; start += 2000) {
    const batch = candidates.slice(start, start + 2000);
    const uids = batch.map((i) => (i.scan as Extract<ScanSummary, { ok: true }>).attributes.SOPInstanceUID!);
    // Resume is an optimization; the server stores duplicates once anyway.
    const answer = await api<{ studies: Record<string, string> }>('/api/uploads/check', { method: 'POST', body: { sopInstanceUids: uids } }).catch(() => null);
    if (!answer) return;
    for (const [i, item] of batch.entries()) {
      const studyUid = answer.studies[uids[i]!];
      if (studyUid === undefined) continue;
      item.state = 'skipped';
      // Known for skipped files too, so a consult is offered exactly the studies of this upload.
      item.storedStudyUid = studyUid;
    }
  }
}

async function uploadWithRetries(item: UploadItem, onChange: () => void, signal: AbortSignal): Promise<void> {
  for (;;) {
    item.attempts++;
    item.state = item.attempts > 1 ? 'retrying' : 'uploading';
    item.sent = 0;
    onChange();
    const outcome = await sendOnce(item, onChange, signal);
    if (outcome.kind === 'done') return;
    if (outcome.kind === 'expired') {
      item.state = 'failed';
      item.code = 'SessionExpired';
      throw new SessionExpiredError();
    }
    if (item.attempts >= MAX_ATTEMPTS || signal.aborted) {
      item.state = 'failed';
      item.code = outcome.code;
      return;
    }
    item.state = 'retrying';
    item.code = outcome.code;
    onChange();
    await sleep(Math.max(outcome.retryAfterMs ?? 0, backoffMs(item.attempts)), signal);
  }
}

type SendOutcome = { kind: 'done' } | { kind: 'retry'; code: string; retryAfterMs?: number } | { kind: 'expired' };

function sendOnce(item: UploadItem, onChange: () => void, signal: AbortSignal): Promise<SendOutcome> {
  const { body, contentType } = stowRequest(item.source);
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/dicomweb/studies');
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.setRequestHeader('Accept', DICOM_JSON);
    xhr.setRequestHeader('X-CSRF-Token', getCsrfToken() ?? '');
    xhr.upload.onprogress = (event) => {
      item.sent = Math.min(item.size, event.loaded);
      onChange();
    };
    const abort = () => xhr.abort();
    signal.addEventListener('abort', abort, { once: true });
    xhr.onloadend = () => {
      signal.removeEventListener('abort', abort);
      resolve(interpret(item, xhr));
    };
    xhr.send(body);
  });
}

function interpret(item: UploadItem, xhr: XMLHttpRequest): SendOutcome {
  const status = xhr.status;
  if (status === 0) return { kind: 'retry', code: 'NetworkError' };
  if (status === 401) return { kind: 'expired' };
  const answer = parseJson(xhr.responseText);
  const errorCode = (answer as { error?: { code?: string } } | null)?.error?.code;
  if (status >= 500 || status === 429) {
    const retryAfter = Number(xhr.getResponseHeader('Retry-After'));
    return { kind: 'retry', code: errorCode ?? `HTTP${status}`, retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined };
  }
  item.sent = item.size;
  if (status === 200 || status === 202) {
    item.state = 'stored';
    item.storedStudyUid = studyUidOf(answer);
    return { kind: 'done' };
  }
  item.state = 'rejected';
  item.code = stowFailureCode(answer) ?? errorCode ?? `HTTP${status}`;
  return { kind: 'done' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The study UID from the single stored instance's RetrieveURL. */
function studyUidOf(answer: unknown): string | undefined {
  const url = (answer as Record<string, { Value?: Record<string, { Value?: string[] }>[] }> | null)?.['00081199']?.Value?.[0]?.['00081190']?.Value?.[0];
  return url ? /\/studies\/([0-9.]+)\//.exec(url)?.[1] : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
