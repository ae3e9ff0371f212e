import { archiveValidation, scanDicom } from '@yunzhen/dicom';

import { endpointOf, failureOf, jsonOf, networkCode, request, UploaderFailure } from './failure.js';
import { uploadArchive } from './archive-upload.js';
import { backoff, sleep } from './retry.js';
import type { Source } from './sources.js';

export interface UploadOptions {
  server: string;
  token: string;
  concurrency: number;
  /** Most instances per STOW-RS request; small files go up in batches. */
  batchInstances: number;
  /** Most bytes per STOW-RS request. */
  batchBytes: number;
  maxAttempts: number;
  /** Where unfinished zip uploads are remembered between runs (`uploadStatePath`). */
  statePath: string;
  onProgress: (progress: Progress) => void;
}

export interface Progress {
  total: number;
  done: number;
  bytesTotal: number;
  bytesDone: number;
}

export type FileResult =
  | { label: string; status: 'stored' | 'skipped' }
  | { label: string; status: 'rejected' | 'failed' | 'invalid'; code: string };

/** A file that scanned clean; its bytes are read again when its batch is sent, so memory stays bounded by the batches in flight. */
interface Candidate {
  source: Source;
  sopInstanceUid: string;
}

/**
 * Uploads every source: scans each file locally (files the server would refuse are reported
 * without being sent), asks the server which instances it already stores (resume), and sends
 * the rest through STOW-RS in batches, several requests at a time, retrying outages with
 * backoff; zips go whole through resumable upload sessions (`uploadArchive`). Returns one
 * result per file and per entry of the zips.
 */
export async function upload(sources: Source[], options: UploadOptions): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const candidates: Candidate[] = [];
  const progress: Progress = { total: sources.length, done: 0, bytesTotal: sources.reduce((s, x) => s + x.size, 0), bytesDone: 0 };
  const advance = (bytes: number, count = 1) => {
    progress.done += count;
    progress.bytesDone += bytes;
    options.onProgress(progress);
  };

  await checkServer(options);

  const archives: Source[] = [];
  for (const source of sources) {
    if (source.archive && !source.invalid) {
      archives.push(source);
      continue;
    }
    if (source.invalid) {
      results.push({ label: source.label, status: 'invalid', code: source.invalid });
      advance(source.size);
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await source.read();
    } catch {
      results.push({ label: source.label, status: 'invalid', code: source.label.includes(' › ') ? 'CorruptEntry' : 'Unreadable' });
      advance(source.size);
      continue;
    }
    const scan = scanDicom(bytes, { validation: archiveValidation });
    if (!scan.ok) {
      results.push({ label: source.label, status: 'invalid', code: scan.code });
      advance(source.size);
    } else {
      candidates.push({ source, sopInstanceUid: scan.attributes.SOPInstanceUID! });
    }
  }

  const stored = candidates.length > 0 ? await alreadyStored(candidates.map((c) => c.sopInstanceUid), options) : new Set<string>();
  const pending = candidates.filter((c) => {
    if (!stored.has(c.sopInstanceUid)) return true;
    results.push({ label: c.source.label, status: 'skipped' });
    advance(c.source.size);
    return false;
  });

  const batches: Candidate[][] = [];
  for (const candidate of pending) {
    const last = batches.at(-1);
    const lastBytes = last?.reduce((s, c) => s + c.source.size, 0) ?? 0;
    if (last && last.length < options.batchInstances && lastBytes + candidate.source.size <= options.batchBytes) last.push(candidate);
    else batches.push([candidate]);
  }

  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      let outcome = await sendWithRetries(batch, options);
      // Some stored and some refused: which is which is told only per instance, so send each
      // alone (the stored ones come back as duplicates, which the server keeps once).
      if (outcome === 'mixed') outcome = (await Promise.all(batch.map((c) => sendWithRetries([c], options)))).map((o) => (o as Outcome[])[0]!);
      for (const [i, candidate] of batch.entries()) results.push({ label: candidate.source.label, ...outcome[i]! } as FileResult);
      advance(batch.reduce((s, c) => s + c.source.size, 0), batch.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));

  // Zips go whole, in parts of a resumable upload session; the server reports their entries.
  for (const archive of archives) {
    const entries = await uploadArchive(archive.label, {
      ...options,
      onBytes: (bytes) => {
        progress.bytesDone += bytes;
        options.onProgress(progress);
      },
    });
    results.push(...entries);
    advance(0);
  }
  return results;
}

/**
 * Checks, before a large folder is scanned, that the address is a Yunzhen server, the token
 * valid and the account one that sends studies: any failure stops the upload.
 */
async function checkServer(options: UploadOptions): Promise<void> {
  const response = await request(options.server, '/api/uploads/check', { method: 'POST', token: options.token, json: { sopInstanceUids: [] }, timeoutMs: 120_000 });
  const body = (await jsonOf(response)) as { stored?: unknown } | undefined;
  if (response.ok && Array.isArray(body?.stored)) return;
  throw response.ok ? new UploaderFailure('WrongServer', { endpoint: endpointOf(options.server), status: response.status }) : failureOf(response, body, options.server, { withToken: true });
}

/**
 * Which of these instances the server already stores (resume). Resuming is an optimisation
 * (the server keeps a duplicate once anyway), so an outage here only means sending them all;
 * a refused token still stops the upload.
 */
async function alreadyStored(uids: string[], options: UploadOptions): Promise<Set<string>> {
  const stored = new Set<string>();
  for (let i = 0; i < uids.length; i += 5000) {
    let response: Response;
    try {
      response = await request(options.server, '/api/uploads/check', {
        method: 'POST',
        token: options.token,
        json: { sopInstanceUids: uids.slice(i, i + 5000) },
        timeoutMs: 120_000,
      });
    } catch {
      continue;
    }
    const body = (await jsonOf(response)) as { stored?: unknown } | undefined;
    if (response.ok && Array.isArray(body?.stored)) {
      for (const uid of body.stored) stored.add(String(uid));
    } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      throw failureOf(response, body, options.server, { withToken: true });
    }
  }
  return stored;
}

type Outcome = { status: 'stored' } | { status: 'rejected' | 'failed'; code: string };

async function sendWithRetries(batch: Candidate[], options: UploadOptions): Promise<Outcome[] | 'mixed'> {
  const boundary = `yunzhen-${crypto.randomUUID()}`;
  const parts: Uint8Array[] = [];
  for (const c of batch) parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), await c.source.read(), Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const body = Buffer.concat(parts);
  let lastCode = 'NetworkError';
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    let response: Response;
    try {
      response = await request(options.server, '/dicomweb/studies', {
        method: 'POST',
        token: options.token,
        headers: {
          'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
          Accept: 'application/dicom+json',
        },
        body,
      });
    } catch (error) {
      if (error instanceof UploaderFailure && error.code === 'Redirected') throw error;
      lastCode = error instanceof UploaderFailure ? error.code : networkCode(error);
      await sleep(backoff(attempt));
      continue;
    }
    if (response.status === 200 || response.status === 202 || response.status === 409) {
      const answer = await jsonOf(response);
      if (answer && typeof answer === 'object') return outcomes(batch, answer as Parameters<typeof outcomes>[1]);
      throw new UploaderFailure('WrongServer', { endpoint: endpointOf(options.server), status: response.status });
    }
    const failure = failureOf(response, await jsonOf(response), options.server, { withToken: true });
    if (failure.code === 'TokenRefused' || failure.code === 'WrongServer') throw failure;
    if (response.status >= 500 || response.status === 429) {
      lastCode = failure.code;
      await sleep(Math.max((failure.details.retryAfter ?? 0) * 1000, backoff(attempt)));
      continue;
    }
    // Too large for the server or a proxy in front of it: each file on its own may pass.
    if (response.status === 413 && batch.length > 1) return 'mixed';
    return batch.map(() => ({ status: 'rejected', code: failure.code }));
  }
  return batch.map(() => ({ status: 'failed', code: lastCode }));
}

/**
 * The STOW-RS answer per instance of the batch. The server references stored instances by
 * their new (de-identified) UIDs, so only an all-stored or all-refused batch (or a batch of
 * one) can be matched to its files; anything else is 'mixed'.
 */
function outcomes(batch: Candidate[], body: Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }>): Outcome[] | 'mixed' {
  const failed = body['00081198']?.Value ?? [];
  const storedCount = body['00081199']?.Value?.length ?? 0;
  if (failed.length === 0) return batch.map(() => ({ status: 'stored' }));
  if (storedCount === 0) return failed.map((f) => ({ status: 'rejected', code: String(f['00091001']?.Value?.[0] ?? 'Rejected') }));
  return 'mixed';
}
