/**
 * A small in-process cache whose entries expire `ttlMs` after they were stored (not after
 * they were last read: a busy client must not keep a stale answer alive), oldest entry out
 * first when full. For answers that may be a few seconds stale across replicas when a change notification
 * is missed (see `cache-changes.ts`).
 */
export function createTtlCache<T>(options: { ttlMs: number; maxEntries: number; now: () => number }) {
  const entries = new Map<string, { value: T; until: number }>();
  return {
    get(key: string): T | undefined {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.until > options.now()) return entry.value;
      entries.delete(key);
      return undefined;
    },
    set(key: string, value: T): void {
      if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { value, until: options.now() + options.ttlMs });
    },
    delete(key: string): void {
      entries.delete(key);
    },
    clear(): void {
      entries.clear();
    },
    deleteWhere(matches: (value: T) => boolean): void {
      for (const [key, entry] of entries) if (matches(entry.value)) entries.delete(key);
    },
  };
}
