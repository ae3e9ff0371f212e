import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import yauzl from 'yauzl';

import { AppError } from '../errors.js';

export interface ZipLimits {
  /** Largest archive accepted, in bytes. */
  maxArchiveBytes: number;
  maxEntries: number;
  /** Largest inflated entry (one instance). */
  maxEntryBytes: number;
  /** Sum of all inflated entries. */
  maxTotalBytes: number;
  /** Largest inflated/compressed ratio for entries over 1 MiB (zip bombs compress 1000:1 and more). */
  maxRatio: number;
}

export type ZipEntry =
  | { index: number; name: string; kind: 'file'; bytes: Uint8Array }
  | { index: number; name: string; kind: 'ignored'; reason: 'Directory' | 'SystemFile' | 'Dicomdir' }
  | { index: number; name: string; kind: 'rejected'; code: ZipEntryErrorCode };

/** Why one entry of an archive was not read; the archive's other entries still are. */
export type ZipEntryErrorCode = 'EntryTooLarge' | 'CompressionRatioTooHigh' | 'EncryptedEntry' | 'UnsupportedCompression' | 'CorruptEntry';

/**
 * Reads the entries of an uploaded zip one at a time, in memory, never writing them to disk.
 * The archive itself is spooled to a temporary file first because a zip's central directory
 * (the only trustworthy list of entries) sits at its end; the spool is removed afterwards.
 * Entry names are reported back to the uploader only: never used as paths, stored or logged.
 */
export async function* readZipEntries(body: ReadableStream<Uint8Array>, tempDir: string, limits: ZipLimits): AsyncGenerator<ZipEntry> {
  await mkdir(tempDir, { recursive: true });
  const spool = join(tempDir, `upload-${randomUUID()}.zip`);
  try {
    await spoolTo(body, spool, limits.maxArchiveBytes);
    const zip = await openZip(spool);
    try {
      if (zip.entryCount > limits.maxEntries) {
        throw new AppError('PayloadTooLarge', `archive has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`);
      }
      let total = 0;
      let index = 0;
      for await (const entry of entriesOf(zip)) {
        const name = entryName(entry);
        const i = index++;
        const ignored = ignoreReason(name);
        if (ignored) {
          yield { index: i, name, kind: 'ignored', reason: ignored };
          continue;
        }
        const problem = entryProblem(entry, limits);
        if (problem) {
          yield { index: i, name, kind: 'rejected', code: problem };
          continue;
        }
        total += entry.uncompressedSize;
        if (total > limits.maxTotalBytes) {
          throw new AppError('PayloadTooLarge', `archive inflates to more than ${limits.maxTotalBytes} bytes`);
        }
        try {
          yield { index: i, name, kind: 'file', bytes: await readEntry(zip, entry, limits.maxEntryBytes) };
        } catch {
          // yauzl checks the inflated size against the central directory and the CRC-less
          // stream length; any mismatch or inflate error lands here.
          yield { index: i, name, kind: 'rejected', code: 'CorruptEntry' };
        }
      }
    } finally {
      zip.close();
    }
  } finally {
    await rm(spool, { force: true });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const gb18030 = new TextDecoder('gb18030');

/**
 * The entry name as text: UTF-8 when flagged (bit 11) or valid, otherwise GB18030, which is
 * what Chinese Windows writes without setting the flag (and a superset of ASCII).
 */
function entryName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  try {
    return utf8.decode(raw);
  } catch {
    return gb18030.decode(raw);
  }
}

function ignoreReason(name: string): 'Directory' | 'SystemFile' | 'Dicomdir' | undefined {
  if (name.endsWith('/')) return 'Directory';
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (name.startsWith('__MACOSX/') || base.startsWith('._') || base === '.DS_Store' || base === 'Thumbs.db') return 'SystemFile';
  // A DICOMDIR is an index of the media (with patient names), not an instance to store.
  if (base.toUpperCase() === 'DICOMDIR') return 'Dicomdir';
  return undefined;
}

function entryProblem(entry: yauzl.Entry, limits: ZipLimits): ZipEntryErrorCode | undefined {
  if ((entry.generalPurposeBitFlag & 0x1) !== 0) return 'EncryptedEntry';
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) return 'UnsupportedCompression';
  if (entry.uncompressedSize > limits.maxEntryBytes) return 'EntryTooLarge';
  if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize > limits.maxRatio * Math.max(entry.compressedSize, 1)) {
    return 'CompressionRatioTooHigh';
  }
  return undefined;
}

async function spoolTo(body: ReadableStream<Uint8Array>, path: string, maxBytes: number): Promise<void> {
  let size = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) done(new AppError('PayloadTooLarge', `archive is larger than ${maxBytes} bytes`));
      else done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>), limit, createWriteStream(path, { flags: 'wx' }));
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // Names stay raw bytes: yauzl would refuse the whole archive for one '../' name, and
    // names are only echoed back to the uploader anyway.
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: false }, (error, zip) => {
      if (error || !zip) reject(new AppError('InvalidRequest', 'the upload is not a readable zip archive'));
      else resolve(zip);
    });
  });
}

async function* entriesOf(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      const onEntry = (e: yauzl.Entry) => {
        cleanup();
        resolve(e);
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const onError = () => {
        cleanup();
        reject(new AppError('InvalidRequest', 'the zip archive directory is corrupt'));
      };
      const cleanup = () => {
        zip.off('entry', onEntry);
        zip.off('end', onEnd);
        zip.off('error', onError);
      };
      zip.on('entry', onEntry);
      zip.on('end', onEnd);
      zip.on('error', onError);
      zip.readEntry();
    });
    if (!entry) return;
    yield entry;
  }
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number): Promise<Uint8Array> {
  const stream = await new Promise<Readable>((resolve, reject) => {
    zip.openReadStream(entry, (error, s) => (error || !s ? reject(error ?? new Error('no stream')) : resolve(s)));
  });
  const bytes = new Uint8Array(entry.uncompressedSize);
  let offset = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (offset + chunk.length > Math.min(maxBytes, bytes.length)) {
      stream.destroy();
      throw new Error('entry larger than declared');
    }
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  if (offset !== bytes.length) throw new Error('entry shorter than declared');
  return bytes;
}
