import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createS3Client, createS3Store, ensureBucket } from './s3-store.js';
import { testObjectStore } from './testing/object-store-conformance.js';
import { startTestS3Server, type TestS3Server } from './testing/s3-server.js';

let server: TestS3Server;
beforeAll(async () => {
  server = await startTestS3Server();
});
afterAll(async () => {
  await server.close();
});

function clientFor(s3: TestS3Server) {
  return createS3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
  });
}

let bucketCount = 0;
testObjectStore(
  'S3 (s3rver on loopback)',
  async () => {
    const client = clientFor(server);
    const bucket = `conformance-${++bucketCount}`;
    await ensureBucket(client, bucket);
    // A small page size makes the listing test walk several pages.
    return { store: createS3Store({ client, bucket, keyPrefix: 'deployment-a/', listPageSize: 2 }) };
  },
  // s3rver ignores If-None-Match on PUT; real S3 honours it.
  { atomicCreateIfAbsent: false },
);

describe('S3 store failures', () => {
  it('turns a dead endpoint into StorageUnavailable and recovers when it returns', async () => {
    const client = clientFor(server);
    await ensureBucket(client, 'outage');
    const store = createS3Store({ client, bucket: 'outage' });
    await store.put('before', new Uint8Array([1, 2, 3]));
    await server.kill();
    try {
      await expect(store.put('during', new Uint8Array([4]))).rejects.toMatchObject({ code: 'StorageUnavailable' });
      await expect(store.get('before')).rejects.toMatchObject({ code: 'StorageUnavailable' });
      await expect(store.ping()).rejects.toMatchObject({ code: 'StorageUnavailable' });
    } finally {
      await server.start();
    }
    await expect(store.head('before')).resolves.toMatchObject({ size: 3 });
    await expect(store.head('during')).resolves.toBeNull();
  });

  it('reports wrong credentials as StorageUnavailable without echoing them', async () => {
    const client = createS3Client({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      accessKeyId: 'AKIA-SECRET-ID',
      secretAccessKey: 'very-secret',
      forcePathStyle: true,
    });
    const error = await createS3Store({ client, bucket: 'x' }).ping().catch((e) => e);
    expect(error.code).toBe('StorageUnavailable');
    expect(String(error.message)).not.toContain('very-secret');
  });
});
