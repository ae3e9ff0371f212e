import { describe, expect, it } from 'vitest';

import { createTtlCache } from './ttl-cache.js';

describe('createTtlCache', () => {
  it('expires an entry ttl after it was stored, however often it is read', () => {
    let now = 0;
    const cache = createTtlCache<string>({ ttlMs: 10_000, maxEntries: 10, now: () => now });
    cache.set('session', 'principal');
    for (now = 0; now < 10_000; now += 1_000) expect(cache.get('session')).toBe('principal');
    expect(cache.get('session')).toBeUndefined();
  });

  it('drops the oldest entry when full, and forgets on request', () => {
    const cache = createTtlCache<number>({ ttlMs: 1_000, maxEntries: 2, now: () => 0 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
    cache.deleteWhere((value) => value === 2);
    cache.delete('c');
    expect([cache.get('b'), cache.get('c')]).toEqual([undefined, undefined]);
  });
});
