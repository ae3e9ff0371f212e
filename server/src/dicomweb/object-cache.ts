import { parseDicom, type DicomFile } from '@yunzhen/dicom';
import type { ObjectStore } from '@yunzhen/storage';

import { AppError } from '../errors.js';

/**
 * Parsed stored instances kept in memory, least recently used out first, within a byte
 * budget: a viewer reads frames of the same instances over and over, and a frame out of
 * memory is a slice, not a store round trip. Stored objects are immutable, so entries never
 * go stale.
 */
export function createObjectCache(store: ObjectStore, budgetBytes: number) {
  // Each entry keeps the stored bytes as well: the parsed data set points into them (so they
  // cost nothing extra), and a retrieval of a cached instance sends them as they are.
  const entries = new Map<string, { file: DicomFile; bytes: Uint8Array }>();
  // Reads under way, so concurrent requests for one uncached instance share one read and parse.
  const loading = new Map<string, Promise<DicomFile>>();
  let used = 0;

  const load = async (objectKey: string): Promise<DicomFile> => {
    const object = await store.get(objectKey);
    if (!object) throw new AppError('StorageUnavailable', 'a stored instance is missing from the object store');
    const bytes = new Uint8Array(await new Response(object.body).arrayBuffer());
    // Stored objects passed validation on ingest; parse without limits beyond their size.
    const file = parseDicom(bytes, { maxInstanceBytes: Math.max(bytes.length, 1) });
    const size = sizeOf(file, bytes);
    if (size <= budgetBytes / 4) {
      entries.set(objectKey, { file, bytes });
      used += size;
      for (const [key, value] of entries) {
        if (used <= budgetBytes) break;
        entries.delete(key);
        used -= sizeOf(value.file, value.bytes);
      }
    }
    return file;
  };

  /** The entry for `objectKey`, moved to the most recently used end; undefined when not cached. */
  const touch = (objectKey: string) => {
    const cached = entries.get(objectKey);
    if (cached) {
      entries.delete(objectKey);
      entries.set(objectKey, cached);
    }
    return cached;
  };

  return {
    async get(objectKey: string): Promise<DicomFile> {
      const cached = touch(objectKey);
      if (cached) return cached.file;
      let pending = loading.get(objectKey);
      if (!pending) {
        pending = load(objectKey).finally(() => loading.delete(objectKey));
        loading.set(objectKey, pending);
      }
      return pending;
    },

    /**
     * The stored bytes of an instance when it is in memory, else undefined (the caller streams
     * it from the store, and the cache is not filled: one retrieval of a large study would
     * push out every instance the viewers are reading).
     */
    storedBytes(objectKey: string): Uint8Array | undefined {
      return touch(objectKey)?.bytes;
    },

    /** Drops an instance from memory (its object was deleted: a masked original must not linger here). */
    forget(objectKey: string): void {
      const cached = entries.get(objectKey);
      if (!cached) return;
      entries.delete(objectKey);
      used -= sizeOf(cached.file, cached.bytes);
    },
  };
}

/** Memory an entry holds: the stored bytes, plus the inflated data set of a deflated file. */
function sizeOf(file: DicomFile, bytes: Uint8Array): number {
  return file.dataset.bytes.buffer === bytes.buffer ? bytes.length : bytes.length + file.dataset.bytes.length;
}

export type ObjectCache = ReturnType<typeof createObjectCache>;
