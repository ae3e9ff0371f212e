import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { serve } from '@hono/node-server';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRepositories } from '@yunzhen/db';
import { createTestDb, type TestDb } from '@yunzhen/db/testing';
import { createS3Client, createS3Store, ensureBucket, type S3Timeouts } from '@yunzhen/storage';
import { startTestS3Server, type TestS3Server } from '@yunzhen/storage/testing';

import { createApp, defaultSettings, type App } from './app.js';
import { DEMO_PASSWORD, seedDemoUnion } from './demo-union.js';
import { createLogger } from './logger.js';
import { readSample } from './testing/dicom-fixtures.js';

/**
 * The app over an S3 store whose server is frozen (SIGSTOP: connections are accepted and
 * never answered). Small store timeouts keep the test short; the test timeouts stay generous.
 */
describe('the app when the S3 object store freezes', () => {
  const timeouts: S3Timeouts = { connectMs: 1_000, requestMs: 500, stallMs: 500 };
  let db: TestDb;
  let s3: TestS3Server;
  let app: App;
  let dataDir: string;
  let token: string;
  const client = () => createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true, timeouts });

  beforeAll(async () => {
    db = await createTestDb('embedded');
    await seedDemoUnion(db.kysely);
    s3 = await startTestS3Server();
    const s3Client = client();
    await ensureBucket(s3Client, 'yunzhen-frozen');
    dataDir = await mkdtemp(join(tmpdir(), 'yunzhen-frozen-'));
    const logger = createLogger({ level: 'fatal', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    app = createApp({
      db,
      store: createS3Store({ client: s3Client, bucket: 'yunzhen-frozen', timeouts }),
      logger,
      secret: 'test-root-secret-of-at-least-32-characters',
      settings: { ...defaultSettings, tempDir: join(dataDir, 'tmp') },
    });
    const response = await app.request('/api/auth/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'rad@minhang.demo', password: DEMO_PASSWORD }) });
    token = ((await response.json()) as { token: string }).token;
  }, 60_000);
  afterAll(async () => {
    s3?.thaw();
    await s3?.close();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const upload = (archive: Uint8Array) =>
    app.request('/api/uploads', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/zip' }, body: new Blob([archive]) });
  const archive = () => zipSync({ 'exam/ct.dcm': readSample('modalities/CT_small.dcm') });

  it('answers a zip upload 503 StorageUnavailable with Retry-After instead of hanging, and takes it once thawed', async () => {
    s3.freeze();
    let response: Response;
    try {
      response = await upload(archive());
    } finally {
      s3.thaw();
    }
    expect(response.status).toBe(503);
    expect(response.headers.get('Retry-After')).toMatch(/^\d+$/);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('StorageUnavailable');

    const retried = await upload(archive());
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as { summary: unknown }).summary).toMatchObject({ stored: 1 });
  }, 60_000);

  it('ends a retrieval whose 200 is already sent when the store freezes, instead of stalling, and serves it once thawed', async () => {
    expect((await upload(zipSync({ 'exam/mr.dcm': readSample('transfer-syntaxes/MR_small.dcm') }))).status).toBe(200);
    const { studies } = (await (await app.request('/api/studies', { headers: { Authorization: `Bearer ${token}` } })).json()) as { studies: { studyInstanceUid: string }[] };
    const uid = studies[0]!.studyInstanceUid;
    const retrieve = () => app.request(`/dicomweb/studies/${uid}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'multipart/related; type="application/dicom"' } });

    s3.freeze();
    try {
      const response = await retrieve();
      expect(response.status).toBe(200);
      const failure = await response.arrayBuffer().then(() => 'completed', (error: unknown) => error);
      expect(failure).toMatchObject({ code: 'StorageUnavailable', message: 'object store get timed out after 500 ms' });
      // Over HTTP, the client sees the answer cut off (no closing boundary) rather than waiting forever.
      const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const overHttp = await fetch(`http://127.0.0.1:${port}/dicomweb/studies/${uid}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'multipart/related; type="application/dicom"' } });
        expect(overHttp.status).toBe(200);
        await expect(overHttp.arrayBuffer()).rejects.toThrow();
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      s3.thaw();
    }

    const response = await retrieve();
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.includes('DICM')).toBe(true);
    expect(body.subarray(-4).toString()).toBe('--\r\n'); // the closing boundary: the whole answer
  }, 60_000);
});
