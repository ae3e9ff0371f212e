import type { PendingObjectRepository } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

/**
 * The object store as the application uses it: every put first records its key as pending in
 * the database (`pending_object`), so an object a crash leaves without its row is found by
 * the orphan sweep from that table, on any replica, without listing the bucket. The row that
 * references the object clears the key (an instance's index statement does it in the same
 * transaction; the sweep clears keys it finds referenced).
 */
export function trackPendingPuts(store: ObjectStore, pending: PendingObjectRepository): ObjectStore {
  return {
    ...store,
    async put(key, body, options) {
      await pending.add(key);
      return store.put(key, body, options);
    },
    get: (key, range) => store.get(key, range),
    head: (key) => store.head(key),
    delete: (key) => store.delete(key),
    list: (prefix) => store.list(prefix),
    ping: () => store.ping(),
    ...(store.removeAbandonedUploads && { removeAbandonedUploads: (before: Date) => store.removeAbandonedUploads!(before) }),
  };
}
