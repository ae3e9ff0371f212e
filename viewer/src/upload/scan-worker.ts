/// <reference lib="webworker" />
/**
 * Pre-scans dropped files off the main thread with the same DICOM engine the server uses,
 * and expands zip archives entry by entry as they stream in.
 */
import { archiveValidation, scanDicom } from '@yunzhen/dicom';
import { Unzip, UnzipInflate } from 'fflate';

import type { ScanReply, ScanRequest, ScanSummary } from './scan-types.js';

declare const self: DedicatedWorkerGlobalScope;

const MAX_ENTRY_BYTES = 2 * 1024 * 1024 * 1024;

function scan(bytes: Uint8Array): ScanSummary {
  try {
    const result = scanDicom(bytes, { validation: archiveValidation });
    return result.ok
      ? { ok: true, attributes: result.attributes, needsPixelReview: result.needsPixelReview, pixelReviewReasons: result.pixelReviewReasons }
      : { ok: false, code: result.code };
  } catch {
    return { ok: false, code: 'ScanFailed' };
  }
}

function post(reply: ScanReply, transfer: Transferable[] = []) {
  self.postMessage(reply, transfer);
}

/** Why an entry of an archive is not a candidate instance, as the server would also decide. */
function skipReason(name: string): string | undefined {
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (name.startsWith('__MACOSX/') || base.startsWith('._') || base === '.DS_Store' || base === 'Thumbs.db') return 'SystemFile';
  if (base.toUpperCase() === 'DICOMDIR') return 'Dicomdir';
  return undefined;
}

async function expandZip(id: number, file: Blob): Promise<void> {
  const pending: Promise<void>[] = [];
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  unzip.onfile = (entry) => {
    if (entry.name.endsWith('/')) return;
    const reason = skipReason(entry.name) ?? (entry.originalSize !== undefined && entry.originalSize > MAX_ENTRY_BYTES ? 'EntryTooLarge' : undefined);
    if (reason) {
      post({ kind: 'zip-skipped', id, name: entry.name, reason });
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    pending.push(
      new Promise<void>((resolve) => {
        entry.ondata = (error, chunk, final) => {
          if (error) {
            post({ kind: 'zip-skipped', id, name: entry.name, reason: 'CorruptEntry' });
            return resolve();
          }
          chunks.push(chunk);
          size += chunk.length;
          if (!final) return;
          const bytes = new Uint8Array(size);
          let offset = 0;
          for (const c of chunks) {
            bytes.set(c, offset);
            offset += c.length;
          }
          post({ kind: 'zip-entry', id, name: entry.name, bytes, result: scan(bytes) }, [bytes.buffer]);
          resolve();
        };
        entry.start();
      }),
    );
  };
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    unzip.push(value ?? new Uint8Array(0), done);
    if (done) break;
  }
  await Promise.all(pending);
}

self.onmessage = async (event: MessageEvent<ScanRequest>) => {
  const request = event.data;
  if (request.kind === 'file') {
    post({ kind: 'scanned', id: request.id, result: scan(new Uint8Array(await request.file.arrayBuffer())) });
    return;
  }
  try {
    await expandZip(request.id, request.file);
    post({ kind: 'zip-done', id: request.id });
  } catch {
    post({ kind: 'zip-done', id: request.id, error: 'InvalidArchive' });
  }
};
