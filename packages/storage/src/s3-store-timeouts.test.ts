import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { createWatchdog } from './deadline.js';
import { createS3Client, createS3Store, ensureBucket, type S3Timeouts } from './s3-store.js';
import { startFrozenServer, type FrozenServer } from './testing/frozen-server.js';
import { startTestS3Server, type TestS3Server } from './testing/s3-server.js';

/** Small limits, so a frozen endpoint is noticed within a test; the test timeouts stay generous. */
const timeouts: S3Timeouts = { connectMs: 1_000, requestMs: 300, stallMs: 300 };

function storeAt(endpoint: string, bucket = 'frozen') {
  const client = createS3Client({ endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true, timeouts });
  return { client, store: createS3Store({ client, bucket, timeouts }) };
}

async function* chunksOf(...chunks: Uint8Array[]) {
  yield* chunks;
}

const unavailable = (operation: string) => ({ code: 'StorageUnavailable', message: `object store ${operation} timed out after ${timeouts.requestMs} ms` });

describe('S3 store against an endpoint that accepts connections and never answers', () => {
  let frozen: FrozenServer;
  beforeAll(async () => {
    frozen = await startFrozenServer({ mode: 'silent' });
  });
  afterAll(() => frozen.close());

  it('answers StorageUnavailable for every call instead of hanging', async () => {
    const { client, store } = storeAt(frozen.endpoint);
    const list = async () => {
      for await (const info of store.list('a/')) return info;
    };
    const outcomes = await Promise.allSettled([
      store.ping(),
      store.head('a/key'),
      store.get('a/key'),
      store.put('a/small', new Uint8Array([1, 2, 3])),
      store.delete('a/key'),
      list(),
      ensureBucket(client, 'frozen', timeouts),
    ]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o))).toEqual([
      expect.objectContaining(unavailable('ping')),
      expect.objectContaining(unavailable('head')),
      expect.objectContaining(unavailable('get')),
      expect.objectContaining(unavailable('head')), // a put asks whether the key is taken first
      expect.objectContaining(unavailable('delete')),
      expect.objectContaining(unavailable('list')),
      expect.objectContaining(unavailable('head bucket')),
    ]);
    expect(frozen.connections).toBeGreaterThan(0);
    client.destroy();
  }, 30_000);
});

describe('S3 store against an endpoint that freezes after saying the key is free', () => {
  let frozen: FrozenServer;
  beforeAll(async () => {
    frozen = await startFrozenServer({ mode: 'silent', missingOnHead: true });
  });
  afterAll(() => frozen.close());

  it('aborts streamed and large puts once the endpoint stops answering', async () => {
    const { client } = storeAt(frozen.endpoint);
    const store = createS3Store({ client, bucket: 'frozen', timeouts, multipartThreshold: 1024 });
    const outcomes = await Promise.allSettled([
      store.put('a/streamed', chunksOf(new Uint8Array(1024), new Uint8Array(1024))),
      store.put('a/large', new Uint8Array(4096)),
      store.put('a/web', new Blob([new Uint8Array(2048)]).stream()),
    ]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o))).toEqual(Array(3).fill(expect.objectContaining(unavailable('multipart put'))));
    client.destroy();
  }, 30_000);
});

describe('S3 store reading an object whose body stops after the headers', () => {
  let stalling: FrozenServer;
  beforeAll(async () => {
    stalling = await startFrozenServer({ mode: 'answer', declaredBytes: 1 << 20, sentBytes: 4096 });
  });
  afterAll(() => stalling.close());

  it('fails the read with StorageUnavailable after stallMs without data', async () => {
    const { client, store } = storeAt(stalling.endpoint);
    const object = await store.get('a/key');
    expect(object).toMatchObject({ size: 1 << 20 });
    const read = await new Response(object!.body).arrayBuffer().catch((e: unknown) => e);
    expect(read).toMatchObject({ code: 'StorageUnavailable', message: `object store get stalled: no data for ${timeouts.stallMs} ms` });
    expect(stalling.answered).toBe(1);
    client.destroy();
  }, 30_000);
});

describe('S3 store with a reader slower than the stall timeout', () => {
  let complete: FrozenServer;
  beforeAll(async () => {
    complete = await startFrozenServer({ mode: 'answer', declaredBytes: 4 << 20 });
  });
  afterAll(() => complete.close());

  it('does not count the reader’s own pauses as a stall', async () => {
    const { client, store } = storeAt(complete.endpoint);
    const object = await store.get('a/key');
    const reader = object!.body.getReader();
    let received = (await reader.read()).value!.length;
    await new Promise((resolve) => setTimeout(resolve, 3 * timeouts.stallMs));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
    }
    expect(received).toBe(4 << 20);
    client.destroy();
  }, 30_000);
});

describe('S3 store when s3rver is frozen (SIGSTOP) with connections already open', () => {
  let server: TestS3Server;
  beforeAll(async () => {
    server = await startTestS3Server();
  }, 60_000);
  afterAll(() => server.close());

  it('answers StorageUnavailable while frozen and works again once thawed', async () => {
    const { client, store } = storeAt(server.endpoint, 'sigstop');
    await ensureBucket(client, 'sigstop');
    await store.put('before', new Uint8Array([1, 2, 3]));
    server.freeze();
    try {
      const outcomes = await Promise.allSettled([store.put('during', new Uint8Array([4])), store.get('before'), store.ping()]);
      expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o))).toEqual([
        expect.objectContaining(unavailable('head')),
        expect.objectContaining(unavailable('get')),
        expect.objectContaining(unavailable('ping')),
      ]);
    } finally {
      server.thaw();
    }
    await expect(store.head('before')).resolves.toMatchObject({ size: 3 });
    await expect(store.head('during')).resolves.toBeNull();
    client.destroy();
  }, 60_000);
});

describe('createWatchdog', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts only armed time, restarts on renewal, and rejects once when it runs out', async () => {
    vi.useFakeTimers();
    const onExpire = vi.fn();
    const watchdog = createWatchdog(1000, 'multipart put', onExpire);
    let failure: unknown;
    watchdog.expired.catch((error: unknown) => (failure = error));
    vi.advanceTimersByTime(5000); // not armed: the caller's body is slow, not the store
    watchdog.renew(); // renewing a disarmed watchdog does not arm it
    vi.advanceTimersByTime(5000);
    watchdog.arm();
    vi.advanceTimersByTime(900);
    watchdog.renew(); // progress from the store
    vi.advanceTimersByTime(900);
    watchdog.disarm();
    vi.advanceTimersByTime(5000);
    await vi.runAllTimersAsync();
    expect(onExpire).not.toHaveBeenCalled();
    watchdog.arm();
    vi.advanceTimersByTime(1000);
    await Promise.resolve();
    expect(onExpire).toHaveBeenCalledTimes(1);
    expect(failure).toMatchObject({ code: 'StorageUnavailable', message: 'object store multipart put timed out after 1000 ms' });
    watchdog.arm();
    vi.advanceTimersByTime(5000);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });
});
