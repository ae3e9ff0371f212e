import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';

import { hashedChunks, sha256Hash } from './body.js';
import { createWatchdog, guardStalls, withDeadline } from './deadline.js';
import { assertValidKey, resolveRange, StorageError, type ObjectStore } from './object-store.js';

export interface S3StoreConfig {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, so one bucket can hold several deployments. */
  keyPrefix?: string;
  /** Bodies larger than this go up as multipart uploads. */
  multipartThreshold?: number;
  /** Keys per list request (S3 allows at most 1000). */
  listPageSize?: number;
  /** How long the store waits on the endpoint; `defaultS3Timeouts` for what is not given. */
  timeouts?: Partial<S3Timeouts>;
}

/**
 * How long Yunzhen waits on an S3 endpoint before answering `StorageUnavailable` (503 with
 * Retry-After), so a frozen store never holds an upload or a retrieval open.
 */
export interface S3Timeouts {
  /** Opening a connection to the endpoint. */
  connectMs: number;
  /**
   * One call (head, get, put, delete, one list page, ping) until its answer's headers, retries
   * included. A multipart put, whose length depends on the body, instead fails when the
   * endpoint has made no progress for this long, and each of its requests has this limit.
   */
  requestMs: number;
  /** The longest wait for the next chunk of an object being read; a slow reader does not count. */
  stallMs: number;
}

export const defaultS3Timeouts: Readonly<S3Timeouts> = Object.freeze({ connectMs: 10_000, requestMs: 30_000, stallMs: 30_000 });

export interface S3ClientConfig {
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style addressing (`endpoint/bucket/key`) as MinIO, Ceph RGW and most on-premise stores need. */
  forcePathStyle: boolean;
  /** Connection and per-request limits of the HTTP client; `defaultS3Timeouts` for what is not given. */
  timeouts?: Partial<S3Timeouts>;
}

/**
 * Builds an S3 client with timeouts short enough that a dead endpoint becomes a prompt 503.
 * The SDK's request timeout only logs a warning unless told to throw; it applies to each
 * attempt, the store's own deadline (`S3Timeouts.requestMs`) to the call as a whole.
 */
export function createS3Client(config: S3ClientConfig): S3Client {
  const timeouts = { ...defaultS3Timeouts, ...config.timeouts };
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    maxAttempts: 3,
    requestHandler: { connectionTimeout: timeouts.connectMs, requestTimeout: timeouts.requestMs, throwOnRequestTimeout: true },
  });
}

/** Creates the bucket when it does not exist yet (first start of a deployment, tests). */
export async function ensureBucket(client: S3Client, bucket: string, timeouts?: Partial<S3Timeouts>): Promise<void> {
  const { requestMs } = { ...defaultS3Timeouts, ...timeouts };
  try {
    await withDeadline(requestMs, 'head bucket', (abortSignal) => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal }));
  } catch (error) {
    if (httpStatus(error) !== 404) throw asStorageError(error, 'head bucket');
    await withDeadline(requestMs, 'create bucket', (abortSignal) => client.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal })).catch(async (cause: unknown) => {
      // 409: created meanwhile (by another replica starting at the same moment, or an operation
      // on it still running). Whether it is ours to use, the HEAD says.
      if (httpStatus(cause) === 409) {
        const ours = await withDeadline(requestMs, 'head bucket', (abortSignal) => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal })).then(() => true, () => false);
        if (ours) return;
      }
      throw asStorageError(cause, 'create bucket');
    });
  }
}

const PART_SIZE = 8 * 1024 * 1024;

/**
 * S3 driver (AWS S3, MinIO, Ceph RGW, Alibaba OSS). Create-if-absent uses a HEAD first and
 * `If-None-Match: *` on the PUT, so real S3 also refuses a racing second writer; stores that
 * ignore the header still get the HEAD check.
 */
export function createS3Store(config: S3StoreConfig): ObjectStore {
  const { client, bucket } = config;
  const threshold = config.multipartThreshold ?? PART_SIZE;
  const prefix = config.keyPrefix ?? '';
  const { requestMs, stallMs } = { ...defaultS3Timeouts, ...config.timeouts };
  /** Every call to the endpoint goes through here: aborted and answered StorageUnavailable after requestMs. */
  const call = <T>(operation: string, run: (abortSignal: AbortSignal) => Promise<T>) => withDeadline(requestMs, operation, run);
  const fullKey = (key: string) => {
    assertValidKey(key);
    return prefix + key;
  };

  async function exists(Key: string): Promise<boolean> {
    try {
      await call('head', (abortSignal) => client.send(new HeadObjectCommand({ Bucket: bucket, Key }), { abortSignal }));
      return true;
    } catch (error) {
      if (httpStatus(error) === 404) return false;
      throw asStorageError(error, 'head');
    }
  }

  return {
    async put(key, body, options) {
      const Key = fullKey(key);
      if (await exists(Key)) return { created: false };
      if (body instanceof Uint8Array && body.byteLength <= threshold) {
        const sha256 = sha256Hash().update(body).digest('hex');
        if (options?.sha256 && options.sha256 !== sha256) {
          throw new StorageError('IntegrityMismatch', 'object body does not match its SHA-256');
        }
        try {
          await call('put', (abortSignal) =>
            client.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key,
                Body: body,
                ContentLength: body.byteLength,
                ContentType: options?.contentType ?? 'application/octet-stream',
                Metadata: { sha256 },
                IfNoneMatch: '*',
              }),
              { abortSignal },
            ),
          );
        } catch (error) {
          const status = httpStatus(error);
          if (status === 412 || status === 409) return { created: false };
          throw asStorageError(error, 'put');
        }
        return { created: true, size: body.byteLength, sha256 };
      }

      // Large or streamed body: multipart upload, hashing on the way. The hash is known only
      // at the end, so a mismatch removes the object again. Its length depends on the body, so
      // instead of a deadline a watchdog runs while the upload waits on the endpoint (it holds
      // a chunk and asks for no more, or has the whole body): no progress for requestMs aborts.
      const hash = sha256Hash();
      let size = 0;
      const abortController = new AbortController();
      const watchdog = createWatchdog(requestMs, 'multipart put', () => abortController.abort());
      const counted = (async function* () {
        for await (const chunk of hashedChunks(body, hash)) {
          size += chunk.byteLength;
          watchdog.arm();
          yield chunk;
          watchdog.disarm(); // asked for more: waiting on the caller's body now
        }
        watchdog.arm();
      })();
      try {
        const upload = new Upload({
          client,
          partSize: PART_SIZE,
          queueSize: 2,
          leavePartsOnError: false,
          abortController,
          params: {
            Bucket: bucket,
            Key,
            Body: Readable.from(counted),
            ContentType: options?.contentType ?? 'application/octet-stream',
          },
        });
        upload.on('httpUploadProgress', () => watchdog.renew());
        const done = upload.done();
        done.catch(() => undefined); // after the watchdog fired, the aborted upload's failure is moot
        await Promise.race([done, watchdog.expired]);
      } catch (error) {
        throw asStorageError(error, 'multipart put');
      } finally {
        watchdog.stop();
      }
      const sha256 = hash.digest('hex');
      if (options?.sha256 && options.sha256 !== sha256) {
        await call('delete', (abortSignal) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }), { abortSignal })).catch(() => undefined);
        throw new StorageError('IntegrityMismatch', 'object body does not match its SHA-256');
      }
      return { created: true, size, sha256 };
    },

    async get(key, range) {
      const Key = fullKey(key);
      if (range?.length === 0) {
        // S3 cannot serve an empty range; answer it from the object's size.
        const info = await this.head(key);
        if (!info) return null;
        return { body: new Blob([]).stream(), size: info.size, range: resolveRange(info.size, range) };
      }
      const Range = range
        ? `bytes=${range.offset}-${range.length === undefined ? '' : range.offset + range.length - 1}`
        : undefined;
      let response;
      try {
        response = await call('get', (abortSignal) => client.send(new GetObjectCommand({ Bucket: bucket, Key, Range }), { abortSignal }));
      } catch (error) {
        const status = httpStatus(error);
        if (status === 404) return null;
        if (status === 416) throw new StorageError('InvalidRange', 'range is outside the object');
        throw asStorageError(error, 'get');
      }
      const size = totalSize(response.ContentRange) ?? response.ContentLength ?? 0;
      const stream = response.Body?.transformToWebStream() as ReadableStream<Uint8Array> | undefined;
      // After the headers, a store that stops sending must not hold the reader (and the
      // client it streams to) forever.
      const body = stream && guardStalls(stream, stallMs, 'get', (error) => asStorageError(error, 'get'));
      try {
        const served = resolveRange(size, range);
        if (!body) throw new StorageError('StorageUnavailable', 'object store returned no body');
        return { body, size, range: served };
      } catch (error) {
        await body?.cancel().catch(() => undefined);
        throw error;
      }
    },

    async head(key) {
      try {
        const Key = fullKey(key);
        const info = await call('head', (abortSignal) => client.send(new HeadObjectCommand({ Bucket: bucket, Key }), { abortSignal }));
        return { key, size: info.ContentLength ?? 0, lastModified: info.LastModified ?? new Date(0) };
      } catch (error) {
        if (httpStatus(error) === 404) return null;
        throw asStorageError(error, 'head');
      }
    },

    async delete(key) {
      try {
        const Key = fullKey(key);
        await call('delete', (abortSignal) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }), { abortSignal }));
      } catch (error) {
        if (httpStatus(error) !== 404) throw asStorageError(error, 'delete');
      }
    },

    async *list(keyPrefix) {
      let ContinuationToken: string | undefined;
      do {
        let page;
        try {
          const command = new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + keyPrefix, ContinuationToken, MaxKeys: config.listPageSize });
          page = await call('list', (abortSignal) => client.send(command, { abortSignal }));
        } catch (error) {
          throw asStorageError(error, 'list');
        }
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          yield {
            key: object.Key.slice(prefix.length),
            size: object.Size ?? 0,
            lastModified: object.LastModified ?? new Date(0),
          };
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },

    async ping() {
      try {
        await call('ping', (abortSignal) => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal }));
      } catch (error) {
        throw asStorageError(error, 'ping');
      }
    },
  };
}

function totalSize(contentRange: string | undefined): number | undefined {
  const total = contentRange?.split('/')[1];
  return total && total !== '*' ? Number(total) : undefined;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Everything but a missing key is the store's fault, not the client's: 503 and retry. */
function asStorageError(error: unknown, operation: string): StorageError {
  if (error instanceof StorageError) return error;
  const status = httpStatus(error);
  const reason = status ? `HTTP ${status}` : ((error as { code?: string }).code ?? (error as Error).name ?? 'error');
  return new StorageError('StorageUnavailable', `object store ${operation} failed (${reason})`, { cause: error });
}
