import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import { pipeline } from 'node:stream/promises';

import yauzl from 'yauzl';

import { AppError } from '../errors.js';

export interface ZipLimits {
  /** Largest archive accepted, in bytes. */
  maxArchiveBytes: number;
  /** Most entries (the central directory's count, checked before anything is read). */
  maxEntries: number;
  /** Largest inflated entry (one instance). */
  maxEntryBytes: number;
  /** Sum of the declared inflated sizes of the entries to read, checked before any is inflated. */
  maxTotalBytes: number;
  /**
   * Largest inflated/compressed ratio of any entry, whatever its size (zip bombs compress
   * 1000:1). With entries that may not share bytes, the whole archive then inflates to at most
   * this many times its own size.
   */
  maxRatio: number;
  /**
   * Wall-clock budget in milliseconds for reading the entries once the archive is spooled,
   * including the time the caller spends on each entry; entries not reached in time are
   * rejected as `TimeBudgetExceeded`. Default 15 minutes.
   */
  maxMillis?: number;
}

/** Collaborators of `readZipEntries` that tests replace. */
export interface ZipReadOptions {
  /** Monotonic clock in milliseconds for the time budget (default `performance.now`). */
  now?: () => number;
}

const DEFAULT_MAX_MILLIS = 15 * 60 * 1000;

export type ZipEntry =
  | { index: number; name: string; kind: 'file'; bytes: Uint8Array }
  | { index: number; name: string; kind: 'ignored'; reason: 'Directory' | 'SystemFile' | 'Dicomdir' }
  | { index: number; name: string; kind: 'rejected'; code: ZipEntryErrorCode; message: string };

/** Why one entry of an archive was not read; the archive's other entries still are. */
export type ZipEntryErrorCode =
  | 'EntryTooLarge'
  | 'CompressionRatioTooHigh'
  | 'EncryptedEntry'
  | 'UnsupportedCompression'
  /** Does not inflate, inflates to another size than declared, or fails its CRC-32. */
  | 'CorruptEntry'
  /** The upload's time budget (`maxMillis`) ran out before this entry was read. */
  | 'TimeBudgetExceeded';

type Rejection = { code: ZipEntryErrorCode; message: string };

/**
 * Reads the entries of an uploaded zip one at a time, in memory, never writing them to disk.
 * The archive itself is spooled to a temporary file first because a zip's central directory
 * (the only trustworthy list of entries) sits at its end; the spool is removed afterwards.
 * Entry names are reported back to the uploader only: never used as paths, stored or logged.
 *
 * Before any entry is inflated the whole directory is checked, so a hostile archive is
 * refused before it costs work and before any of its entries reaches the caller: no two
 * entries may share bytes or a name, none may reach into the central directory, and the
 * entries to read may not declare more than `maxTotalBytes` in all. Each entry's CRC-32
 * (APPNOTE 4.4.7) is checked before it is handed out.
 */
export async function* readZipEntries(
  body: ReadableStream<Uint8Array>,
  tempDir: string,
  limits: ZipLimits,
  options: ZipReadOptions = {},
): AsyncGenerator<ZipEntry> {
  const now = options.now ?? (() => performance.now());
  const maxMillis = limits.maxMillis ?? DEFAULT_MAX_MILLIS;
  await mkdir(tempDir, { recursive: true });
  const spool = join(tempDir, `upload-${randomUUID()}.zip`);
  try {
    await spoolTo(body, spool, limits.maxArchiveBytes);
    const zip = await openZip(spool);
    try {
      if (zip.entryCount > limits.maxEntries) {
        throw new AppError('PayloadTooLarge', `archive has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`);
      }
      const deadline = now() + maxMillis;
      const overBudget = () => now() > deadline;
      const planned = await planEntries(zip, centralDirectoryOffset(zip), limits);
      for (const { index, name, entry, dataStart, plan } of planned) {
        if (plan.kind === 'ignored') {
          yield { index, name, kind: 'ignored', reason: plan.reason };
          continue;
        }
        if (plan.kind === 'rejected') {
          yield { index, name, kind: 'rejected', ...plan.rejection };
          continue;
        }
        const read = overBudget() ? timeBudgetExceeded(maxMillis) : await readEntry(zip, entry, dataStart, limits.maxEntryBytes, overBudget, maxMillis);
        yield read instanceof Uint8Array ? { index, name, kind: 'file', bytes: read } : { index, name, kind: 'rejected', ...read };
      }
    } finally {
      zip.close();
    }
  } finally {
    await rm(spool, { force: true });
  }
}

type Plan = { kind: 'ignored'; reason: 'Directory' | 'SystemFile' | 'Dicomdir' } | { kind: 'rejected'; rejection: Rejection } | { kind: 'read' };

/**
 * Reads the central directory and each local header (no entry data) and decides what becomes
 * of every entry, refusing the archive when its structure is hostile.
 */
async function planEntries(zip: yauzl.ZipFile, directoryStart: number, limits: ZipLimits) {
  const planned: { index: number; name: string; entry: yauzl.Entry; dataStart: number; plan: Plan }[] = [];
  const firstIndexOf = new Map<string, number>();
  for await (const entry of entriesOf(zip)) {
    const index = planned.length;
    const name = entryName(entry);
    const first = firstIndexOf.get(name);
    if (first !== undefined) {
      throw new AppError('InvalidRequest', `DuplicateEntryName: entries ${first} and ${index} of the zip archive have the same name; the archive is refused unread`);
    }
    firstIndexOf.set(name, index);
    const ignored = ignoreReason(name);
    const rejection = ignored ? undefined : entryProblem(entry, limits);
    const plan: Plan = ignored ? { kind: 'ignored', reason: ignored } : rejection ? { kind: 'rejected', rejection } : { kind: 'read' };
    planned.push({ index, name, entry, dataStart: 0, plan });
  }

  // Where each entry's local header and data lie. Entries sharing bytes are how a small zip
  // inflates the same compressed data over and over (Fifield, "A better zip bomb", 2019).
  const spans: { index: number; start: number; end: number }[] = [];
  for (const item of planned) {
    const start = item.entry.relativeOffsetOfLocalHeader;
    const dataStart = await localDataStart(zip, item.entry);
    if (dataStart === undefined) {
      if (item.plan.kind === 'read') item.plan = { kind: 'rejected', rejection: { code: 'CorruptEntry', message: 'the entry has no valid local header' } };
      continue;
    }
    item.dataStart = dataStart;
    const end = dataStart + item.entry.compressedSize;
    if (end > directoryStart) {
      throw new AppError('InvalidRequest', `OverlappingEntries: entry ${item.index} of the zip archive reaches into its central directory; the archive is refused unread`);
    }
    spans.push({ index: item.index, start, end });
  }
  spans.sort((a, b) => a.start - b.start);
  let reach: (typeof spans)[number] | undefined;
  for (const span of spans) {
    if (reach && span.start < reach.end) {
      const [a, b] = [reach.index, span.index].sort((x, y) => x - y);
      throw new AppError('InvalidRequest', `OverlappingEntries: entries ${a} and ${b} of the zip archive share bytes; the archive is refused unread`);
    }
    if (!reach || span.end > reach.end) reach = span;
  }

  const total = planned.reduce((sum, item) => (item.plan.kind === 'read' ? sum + item.entry.uncompressedSize : sum), 0);
  if (total > limits.maxTotalBytes) {
    throw new AppError('PayloadTooLarge', `archive inflates to ${total} bytes; the limit is ${limits.maxTotalBytes}`);
  }
  return planned;
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

function entryProblem(entry: yauzl.Entry, limits: ZipLimits): Rejection | undefined {
  if ((entry.generalPurposeBitFlag & 0x1) !== 0) return { code: 'EncryptedEntry', message: 'the entry is encrypted' };
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return { code: 'UnsupportedCompression', message: `compression method ${entry.compressionMethod} is not supported (only stored and deflate)` };
  }
  if (entry.uncompressedSize > limits.maxEntryBytes) {
    return { code: 'EntryTooLarge', message: `the entry inflates to ${entry.uncompressedSize} bytes; the limit is ${limits.maxEntryBytes}` };
  }
  if (entry.uncompressedSize > limits.maxRatio * Math.max(entry.compressedSize, 1)) {
    return { code: 'CompressionRatioTooHigh', message: `the entry inflates ${entry.compressedSize} bytes to ${entry.uncompressedSize}, more than ${limits.maxRatio} times` };
  }
  return undefined;
}

function timeBudgetExceeded(maxMillis: number): Rejection {
  return { code: 'TimeBudgetExceeded', message: `the upload's time budget of ${Math.round(maxMillis / 1000)} s ran out before this entry was read` };
}

const corrupt = (message: string): Rejection => ({ code: 'CorruptEntry', message });

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

/**
 * Where an entry's data starts, from its local header (whose name and extra field lengths may
 * differ from the central directory's); undefined when the local header is not valid.
 */
function localDataStart(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<number | undefined> {
  return new Promise((resolve) => {
    zip.readLocalFileHeader(entry, { minimal: true }, (error, header) => resolve(error ? undefined : header.fileDataStart));
  });
}

/**
 * Offset of the central directory. yauzl 3 keeps it only as the cursor it reads the directory
 * from, which still points there before the first entry is read.
 */
function centralDirectoryOffset(zip: yauzl.ZipFile): number {
  const cursor = (zip as unknown as { readEntryCursor?: unknown }).readEntryCursor;
  if (typeof cursor !== 'number' || zip.entriesRead !== 0) throw new Error('yauzl no longer exposes the central directory offset');
  return cursor;
}

/**
 * Inflates one entry into memory, checking its size against the central directory, its CRC-32
 * and the time budget as it goes. Returns the bytes, or why the entry is refused.
 */
async function readEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  dataStart: number,
  maxBytes: number,
  overBudget: () => boolean,
  maxMillis: number,
): Promise<Uint8Array | Rejection> {
  let stream: Readable;
  try {
    // From the data start found while planning: the local header is not read a second time.
    const { compressedSize, uncompressedSize } = entry;
    stream = await new Promise<Readable>((resolve, reject) => {
      zip.openReadStreamLowLevel(dataStart, compressedSize, 0, compressedSize, entry.compressionMethod === 8, uncompressedSize, (error, s) =>
        error || !s ? reject(error ?? new Error('no stream')) : resolve(s),
      );
    });
  } catch {
    return corrupt('the entry cannot be opened');
  }
  const bytes = new Uint8Array(entry.uncompressedSize);
  let offset = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (offset + chunk.length > Math.min(maxBytes, bytes.length)) {
        return corrupt(`the entry inflates to more than the ${bytes.length} bytes the archive declares`);
      }
      if (overBudget()) return timeBudgetExceeded(maxMillis);
      bytes.set(chunk, offset);
      offset += chunk.length;
      crc = crc32(chunk, crc);
    }
  } catch {
    // An inflate error, or yauzl's own check of the inflated size against the directory.
    return corrupt('the entry\'s compressed data is damaged');
  } finally {
    stream.destroy();
  }
  if (offset !== bytes.length) return corrupt(`the entry inflates to ${offset} bytes, not the ${bytes.length} the archive declares`);
  if (crc !== entry.crc32) return corrupt('the entry\'s CRC-32 does not match the archive\'s: its bytes were altered or damaged');
  return bytes;
}

/**
 * Removes spooled archives a crash left in `tempDir` (a spool is otherwise removed when its
 * upload ends); run at start, before any upload. Returns how many.
 */
export async function removeLeftoverSpools(tempDir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tempDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const spools = names.filter((name) => /^upload-[0-9a-f-]{36}\.zip$/.test(name));
  for (const name of spools) await rm(join(tempDir, name), { force: true });
  return spools.length;
}
