import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { StorageError, type ObjectStore } from '../object-store.js';

export interface ConformanceOptions {
  /** Whether two racing puts of one key are guaranteed to yield exactly one `created`. */
  atomicCreateIfAbsent: boolean;
}

/**
 * The behaviour every `ObjectStore` driver must have. Each driver's test file calls this
 * with a factory for a fresh, empty store.
 */
export function testObjectStore(
  name: string,
  setup: () => Promise<{ store: ObjectStore; teardown?: () => Promise<void> }>,
  options: ConformanceOptions,
): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let store: ObjectStore;
    let teardown: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      ({ store, teardown } = await setup());
    });
    afterAll(async () => {
      await teardown?.();
    });

    it('stores bytes and returns their SHA-256', async () => {
      const body = bytes('hello object store');
      const result = await store.put('a/hello', body);
      expect(result).toEqual({ created: true, size: body.byteLength, sha256: sha256(body) });
      expect(await readAll(store, 'a/hello')).toEqual(body);
      expect(await store.head('a/hello')).toMatchObject({ key: 'a/hello', size: body.byteLength });
    });

    it('never overwrites: a second put of a key reports created: false', async () => {
      await store.put('a/once', bytes('first'));
      expect(await store.put('a/once', bytes('second'))).toEqual({ created: false });
      expect(text(await readAll(store, 'a/once'))).toBe('first');
    });

    it.runIf(options.atomicCreateIfAbsent)('creates a key exactly once under racing puts', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.put('a/race', bytes(`writer ${i}`))),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('refuses a body that does not match the promised hash and stores nothing', async () => {
      const error = await store.put('a/tampered', bytes('abc'), { sha256: sha256(bytes('abd')) }).catch((e) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error.code).toBe('IntegrityMismatch');
      expect(await store.head('a/tampered')).toBeNull();
    });

    it('accepts a matching promised hash', async () => {
      const body = bytes('checked');
      expect(await store.put('a/checked', body, { sha256: sha256(body) })).toMatchObject({ created: true });
    });

    it('serves byte ranges', async () => {
      await store.put('r/digits', bytes('0123456789'));
      expect(text(await readAll(store, 'r/digits', { offset: 2, length: 3 }))).toBe('234');
      expect(text(await readAll(store, 'r/digits', { offset: 7 }))).toBe('789');
      expect(text(await readAll(store, 'r/digits', { offset: 9, length: 1 }))).toBe('9');
      expect(text(await readAll(store, 'r/digits', { offset: 4, length: 0 }))).toBe('');
      const ranged = await store.get('r/digits', { offset: 2, length: 3 });
      expect(ranged).toMatchObject({ size: 10, range: { offset: 2, length: 3 } });
      await ranged?.body.cancel();
      for (const range of [{ offset: 8, length: 5 }, { offset: 11 }, { offset: -1, length: 2 }]) {
        const error = await store.get('r/digits', range).catch((e) => e);
        expect(error, JSON.stringify(range)).toBeInstanceOf(StorageError);
        expect(error.code).toBe('InvalidRange');
      }
    });

    it('answers null for missing keys and deletes idempotently', async () => {
      expect(await store.get('missing/key')).toBeNull();
      expect(await store.head('missing/key')).toBeNull();
      await store.put('d/gone', bytes('x'));
      await store.delete('d/gone');
      await store.delete('d/gone');
      expect(await store.head('d/gone')).toBeNull();
    });

    it('lists by prefix in key order', async () => {
      // ('l0' sorts after 'l/…'; s3rver pages in directory-walk order, which differs from
      // S3's binary key order for keys such as 'l-other', so the test avoids that case.)
      for (const key of ['l/b', 'l/a', 'l/c/d', 'l0', 'm/x']) await store.put(key, bytes(key));
      const keys = [];
      for await (const info of store.list('l/')) keys.push(info.key);
      expect(keys).toEqual(['l/a', 'l/b', 'l/c/d']);
      const partial = [];
      for await (const info of store.list('l')) partial.push(info.key);
      expect(partial).toEqual(['l/a', 'l/b', 'l/c/d', 'l0']);
    });

    it('stores streamed bodies, including ones larger than a multipart part', async () => {
      const big = new Uint8Array(12 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
      async function* chunks() {
        for (let i = 0; i < big.length; i += 1024 * 1024) yield big.subarray(i, i + 1024 * 1024);
      }
      expect(await store.put('s/big', chunks())).toEqual({ created: true, size: big.length, sha256: sha256(big) });
      expect(await store.head('s/big')).toMatchObject({ size: big.length });
      const tail = await readAll(store, 's/big', { offset: big.length - 5000, length: 5000 });
      expect(tail).toEqual(big.subarray(big.length - 5000));

      const web = new Blob([bytes('from a web stream')]).stream();
      expect(await store.put('s/web', web)).toMatchObject({ created: true, size: 17 });
      expect(text(await readAll(store, 's/web'))).toBe('from a web stream');
    });

    it('rejects keys that could escape or confuse the store', async () => {
      for (const key of ['../x', '/abs', 'a//b', '.tmp/x', 'a/../b', '', 'a/', 'space key']) {
        const error = await store.put(key, bytes('x')).catch((e) => e);
        expect(error, key).toBeInstanceOf(StorageError);
        expect(error.code, key).toBe('InvalidKey');
      }
    });

    it('answers ping when reachable', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

function bytes(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function text(value: Uint8Array): string {
  return new TextDecoder().decode(value);
}

function sha256(value: Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

async function readAll(store: ObjectStore, key: string, range?: { offset: number; length?: number }) {
  const object = await store.get(key, range);
  if (!object) throw new Error(`missing ${key}`);
  return new Uint8Array(await new Response(object.body).arrayBuffer());
}
