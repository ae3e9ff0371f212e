import { randomUUID } from 'node:crypto';
import { access, constants, link, mkdir, open, readdir, rm, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

import { hashedChunks, sha256Hash } from './body.js';
import {
  assertValidKey,
  resolveRange,
  StorageError,
  type ObjectInfo,
  type ObjectStore,
} from './object-store.js';

export interface FsStoreConfig {
  /** Directory that holds the objects; created when missing. */
  root: string;
}

const TEMP_DIR = '.tmp';

/** Space that must come back after a write failed for want of it before the store counts as writable again. */
const FULL_MARGIN_BYTES = 1024 * 1024;

/** Largest read: whole-study retrieval streams hundreds of megabytes, and small chunks spend more time in stream plumbing than in the disk. */
const READ_CHUNK = 1 << 20;

/**
 * `length` bytes of an open file from `offset`, as a web stream read straight from the file
 * handle, which it closes at the end or on cancel. (A Node stream wrapped by `Readable.toWeb`
 * cost a third of the server's time in a whole-study retrieval.)
 */
function fileBody(file: FileHandle, offset: number, length: number): ReadableStream<Uint8Array> {
  let position = offset;
  const end = offset + length;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (position >= end) {
          await file.close();
          controller.close();
          return;
        }
        const want = Math.min(READ_CHUNK, end - position);
        const { bytesRead, buffer } = await file.read(Buffer.allocUnsafeSlow(want), 0, want, position);
        if (bytesRead === 0) throw new Error('the object ended before its size');
        position += bytesRead;
        controller.enqueue(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
      } catch (error) {
        await file.close().catch(() => undefined);
        controller.error(asStorageError(error, 'read'));
      }
    },
    async cancel() {
      await file.close();
    },
  });
}

/**
 * Filesystem driver, the embedded default. A put writes a temp file, fsyncs it and then
 * hard-links it into place: the link is atomic and fails when the key exists, so a crash
 * never leaves a half object under a key and create-if-absent holds under concurrency.
 */
export function createFsStore(config: FsStoreConfig): ObjectStore {
  const root = config.root;
  const tempDir = join(root, TEMP_DIR);
  // Directories this process has created or seen: mkdir is a syscall per put otherwise.
  const knownDirectories = new Set<string>();
  const ensureDirectory = async (path: string) => {
    if (knownDirectories.has(path)) return;
    await mkdir(path, { recursive: true });
    knownDirectories.add(path);
  };
  const pathOf = (key: string) => {
    assertValidKey(key);
    return join(root, key);
  };
  /**
   * Directory syncs shared by concurrent puts: a sync that has not started yet covers every link
   * made before it starts, so puts that link while one sync runs wait for the next one together
   * instead of each syncing the directory once more.
   */
  const directorySyncs = new Map<string, { running?: Promise<void>; pending?: Promise<void> }>();
  const syncDirectoryShared = (path: string): Promise<void> => {
    let state = directorySyncs.get(path);
    if (!state) directorySyncs.set(path, (state = {}));
    const s = state;
    if (s.pending) return s.pending;
    const before = s.running ?? Promise.resolve();
    const next: Promise<void> = before
      .catch(() => undefined)
      .then(() => {
        s.pending = undefined;
        s.running = next;
        return syncDirectory(path);
      })
      .finally(() => {
        if (s.running === next) s.running = undefined;
      });
    s.pending = next;
    return next;
  };
  /**
   * Free bytes when a write last failed for want of space: until more than that (plus a margin)
   * is free again, `ping` reports the store full, so readiness follows the disk without a restart.
   */
  let fullAt: number | undefined;
  const freeBytes = async () => {
    const fs = await statfs(root);
    return fs.bavail * fs.bsize;
  };

  return {
    async put(key, body, options) {
      const target = pathOf(key);
      const temp = join(tempDir, randomUUID());
      const hash = sha256Hash();
      let size = 0;
      try {
        await ensureDirectory(tempDir);
        const file = await open(temp, 'wx');
        try {
          for await (const chunk of hashedChunks(body, hash)) {
            // One write call may write part of the chunk (a disk filling up does exactly that,
            // without an error): write the rest until it is all down or the disk says ENOSPC.
            let written = 0;
            while (written < chunk.byteLength) {
              const { bytesWritten } = await file.write(chunk, written, chunk.byteLength - written);
              written += bytesWritten;
            }
            size += chunk.byteLength;
          }
          // Data only: the link below and the directory sync make the name durable.
          await file.datasync();
        } finally {
          await file.close();
        }
        const sha256 = hash.digest('hex');
        if (options?.sha256 && options.sha256 !== sha256) {
          throw new StorageError('IntegrityMismatch', 'object body does not match its SHA-256');
        }
        await ensureDirectory(dirname(target));
        if (!(await linkIfAbsent(temp, target))) return { created: false };
        await syncDirectoryShared(dirname(target));
        return { created: true, size, sha256 };
      } catch (error) {
        knownDirectories.clear(); // a directory may have been removed underneath us
        const failure = asStorageError(error, 'write');
        if (failure.code === 'StorageFull') {
          await rm(temp, { force: true }).catch(() => undefined);
          fullAt = await freeBytes().catch(() => 0);
        }
        throw failure;
      } finally {
        await rm(temp, { force: true }).catch(() => undefined);
      }
    },

    async get(key, range) {
      let file: FileHandle;
      try {
        file = await open(pathOf(key), 'r');
      } catch (error) {
        if (isMissing(error)) return null;
        throw asStorageError(error, 'read');
      }
      try {
        const size = (await file.stat()).size;
        const served = resolveRange(size, range);
        return { body: fileBody(file, served.offset, served.length), size, range: served };
      } catch (error) {
        await file.close();
        throw error instanceof StorageError ? error : asStorageError(error, 'read');
      }
    },

    async head(key) {
      try {
        const info = await stat(pathOf(key));
        return { key, size: info.size, lastModified: info.mtime };
      } catch (error) {
        if (isMissing(error)) return null;
        throw asStorageError(error, 'read');
      }
    },

    async delete(key) {
      try {
        await unlink(pathOf(key));
      } catch (error) {
        if (!isMissing(error)) throw asStorageError(error, 'delete');
      }
    },

    async *list(prefix) {
      const start = prefix.includes('/') ? join(root, prefix.slice(0, prefix.lastIndexOf('/'))) : root;
      const found: ObjectInfo[] = [];
      try {
        for await (const path of walk(start)) {
          const key = relative(root, path).split(sep).join('/');
          if (!key.startsWith(prefix) || key.startsWith(TEMP_DIR + '/')) continue;
          const info = await stat(path);
          found.push({ key, size: info.size, lastModified: info.mtime });
        }
      } catch (error) {
        if (!isMissing(error)) throw asStorageError(error, 'list');
      }
      // S3 lists in binary key order; a directory walk does not, so sort to behave the same.
      found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      yield* found;
    },

    async removeAbandonedUploads(before) {
      let removed = 0;
      let names: string[];
      try {
        names = await readdir(tempDir);
      } catch (error) {
        if (isMissing(error)) return 0;
        throw asStorageError(error, 'list');
      }
      for (const name of names) {
        const path = join(tempDir, name);
        try {
          if ((await stat(path)).mtime < before) {
            await unlink(path);
            removed++;
          }
        } catch (error) {
          if (!isMissing(error)) throw asStorageError(error, 'delete');
        }
      }
      return removed;
    },

    async ping() {
      try {
        await mkdir(root, { recursive: true });
        await access(root, constants.W_OK);
        if (fullAt !== undefined) {
          if ((await freeBytes()) <= fullAt + FULL_MARGIN_BYTES) throw new StorageError('StorageFull', 'object store is full (ENOSPC)');
          fullAt = undefined;
        }
      } catch (error) {
        throw asStorageError(error, 'access');
      }
    },
  };
}

async function linkIfAbsent(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** A rename or link is durable only once its directory entry is on disk. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function asStorageError(error: unknown, operation: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StorageError('StorageFull', `object store is full (${code})`, { cause: error });
  return new StorageError('StorageUnavailable', `object store ${operation} failed (${code})`, { cause: error });
}
