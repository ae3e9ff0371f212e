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
}

export interface S3ClientConfig {
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style addressing (`endpoint/bucket/key`) as MinIO, Ceph RGW and most on-premise stores need. */
  forcePathStyle: boolean;
}

/** Builds an S3 client with timeouts short enough that a dead endpoint becomes a prompt 503. */
export function createS3Client(config: S3ClientConfig): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 60_000 },
  });
}

/** Creates the bucket when it does not exist yet (first start of a deployment, tests). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (httpStatus(error) !== 404) throw asStorageError(error, 'head bucket');
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((cause: unknown) => {
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
  const fullKey = (key: string) => {
    assertValidKey(key);
    return prefix + key;
  };

  async function exists(Key: string): Promise<boolean> {
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
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
          await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key,
              Body: body,
              ContentLength: body.byteLength,
              ContentType: options?.contentType ?? 'application/octet-stream',
              Metadata: { sha256 },
              IfNoneMatch: '*',
            }),
          );
        } catch (error) {
          const status = httpStatus(error);
          if (status === 412 || status === 409) return { created: false };
          throw asStorageError(error, 'put');
        }
        return { created: true, size: body.byteLength, sha256 };
      }

      // Large or streamed body: multipart upload, hashing on the way. The hash is known only
      // at the end, so a mismatch removes the object again.
      const hash = sha256Hash();
      let size = 0;
      const counted = (async function* () {
        for await (const chunk of hashedChunks(body, hash)) {
          size += chunk.byteLength;
          yield chunk;
        }
      })();
      try {
        const upload = new Upload({
          client,
          partSize: PART_SIZE,
          queueSize: 2,
          leavePartsOnError: false,
          params: {
            Bucket: bucket,
            Key,
            Body: Readable.from(counted),
            ContentType: options?.contentType ?? 'application/octet-stream',
          },
        });
        await upload.done();
      } catch (error) {
        throw asStorageError(error, 'multipart put');
      }
      const sha256 = hash.digest('hex');
      if (options?.sha256 && options.sha256 !== sha256) {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key })).catch(() => undefined);
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
        response = await client.send(new GetObjectCommand({ Bucket: bucket, Key, Range }));
      } catch (error) {
        const status = httpStatus(error);
        if (status === 404) return null;
        if (status === 416) throw new StorageError('InvalidRange', 'range is outside the object');
        throw asStorageError(error, 'get');
      }
      const size = totalSize(response.ContentRange) ?? response.ContentLength ?? 0;
      const body = response.Body?.transformToWebStream() as ReadableStream<Uint8Array> | undefined;
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
        const info = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
        return { key, size: info.ContentLength ?? 0, lastModified: info.LastModified ?? new Date(0) };
      } catch (error) {
        if (httpStatus(error) === 404) return null;
        throw asStorageError(error, 'head');
      }
    },

    async delete(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
      } catch (error) {
        if (httpStatus(error) !== 404) throw asStorageError(error, 'delete');
      }
    },

    async *list(keyPrefix) {
      let ContinuationToken: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix + keyPrefix,
              ContinuationToken,
              MaxKeys: config.listPageSize,
            }),
          );
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
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
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
