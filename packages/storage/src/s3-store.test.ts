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
  it('lets replicas that start together all ensure one new bucket (the losers of the create get 409)', async () => {
    const clients = Array.from({ length: 4 }, () => clientFor(server));
    await expect(Promise.all(clients.map((client) => ensureBucket(client, 'started-together')))).resolves.toHaveLength(4);
    await createS3Store({ client: clients[0]!, bucket: 'started-together' }).put('object', new Uint8Array([1]));
  });

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

  it('reports wrong credentials as the server refuses them (HTTP 403, InvalidAccessKeyId), without echoing them', async () => {
    await ensureBucket(clientFor(server), 'credentials');
    const right = createS3Store({ client: clientFor(server), bucket: 'credentials' });
    await right.put('object', new Uint8Array([1]));
    // s3rver knows one key id (S3RVER) and refuses any other. It takes any secret for that id: the
    // test server runs with allowMismatchedSignatures, because s3rver 4 computes other signatures
    // than AWS SDK v3 for bucket requests (HeadBucket, ListObjectsV2). So the key id is wrong here.
    const client = createS3Client({ endpoint: server.endpoint, region: 'us-east-1', accessKeyId: 'AKIA-WRONG-ID', secretAccessKey: 'very-secret', forcePathStyle: true });
    const wrong = createS3Store({ client, bucket: 'credentials' });
    // A ping is a HEAD: the refusal has no body, so its status is all there is to report.
    const ping = await wrong.ping().then(() => 'resolved', (e: unknown) => e);
    expect(ping).toMatchObject({ code: 'StorageUnavailable', message: 'object store ping failed (HTTP 403)' });
    const get = await wrong.get('object').then(() => 'resolved', (e: unknown) => e);
    expect(get).toMatchObject({ code: 'StorageUnavailable', message: 'object store get failed (HTTP 403)', cause: { name: 'InvalidAccessKeyId' } });
    for (const error of [ping, get]) {
      expect(String((error as Error).message)).not.toMatch(/very-secret|AKIA-WRONG-ID/);
    }
    // The same calls with the right credentials succeed: the refusal is the credentials'.
    await expect(right.ping()).resolves.toBeUndefined();
    const object = await right.get('object');
    expect(object).toMatchObject({ size: 1 });
    await object!.body.cancel();
  });
});
