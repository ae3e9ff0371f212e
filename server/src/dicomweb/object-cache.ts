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
  const entries = new Map<string, DicomFile>();
  // Reads under way, so concurrent requests for one uncached instance share one read and parse.
  const loading = new Map<string, Promise<DicomFile>>();
  let used = 0;

  const load = async (objectKey: string): Promise<DicomFile> => {
    const object = await store.get(objectKey);
    if (!object) throw new AppError('StorageUnavailable', 'a stored instance is missing from the object store');
    const bytes = new Uint8Array(await new Response(object.body).arrayBuffer());
    // Stored objects passed validation on ingest; parse without limits beyond their size.
    const file = parseDicom(bytes, { maxInstanceBytes: Math.max(bytes.length, 1) });
    const size = file.dataset.bytes.length;
    if (size <= budgetBytes / 4) {
      entries.set(objectKey, file);
      used += size;
      for (const [key, value] of entries) {
        if (used <= budgetBytes) break;
        entries.delete(key);
        used -= value.dataset.bytes.length;
      }
    }
    return file;
  };

  return {
    async get(objectKey: string): Promise<DicomFile> {
      const cached = entries.get(objectKey);
      if (cached) {
        entries.delete(objectKey);
        entries.set(objectKey, cached);
        return cached;
      }
      let pending = loading.get(objectKey);
      if (!pending) {
        pending = load(objectKey).finally(() => loading.delete(objectKey));
        loading.set(objectKey, pending);
      }
      return pending;
    },
  };
}

export type ObjectCache = ReturnType<typeof createObjectCache>;
