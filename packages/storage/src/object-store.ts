/**
 * The one interface the rest of Yunzhen uses to keep bytes: DICOM instances, attachments,
 * rendered reports. Keys are opaque ids chosen by the caller (never UIDs, names or file
 * names). Drivers: `createFsStore` (embedded default) and `createS3Store`.
 */
export interface ObjectStore {
  /**
   * Stores `body` under `key` if nothing is stored there yet (create-if-absent). The SHA-256
   * of the stored bytes is computed while writing; when `options.sha256` is given the bytes
   * must match it or nothing is stored (`IntegrityMismatch`). Returns `created: false` and
   * leaves the existing object untouched when the key was already taken; the body may then
   * be left unread.
   */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult>;
  /** Streams an object, or `null` when the key does not exist. */
  get(key: string, range?: ByteRange): Promise<ObjectStream | null>;
  /** Size and date of an object, or `null` when the key does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Removes an object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Throws `StorageUnavailable` when the store cannot be reached (for readiness checks). */
  ping(): Promise<void>;
  /**
   * Removes what puts cut off by a crash left behind outside the key space (the filesystem
   * driver's temp files) if older than `before`; returns how many. Drivers without such
   * leftovers leave it out.
   */
  removeAbandonedUploads?(before: Date): Promise<number>;
}

export type ObjectBody = Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface PutOptions {
  /** Expected lowercase hex SHA-256 of the body. */
  sha256?: string;
  contentType?: string;
}

/** What a put did: wrote the object (with its size and lowercase hex SHA-256) or found the key taken. */
export type PutResult = { created: true; size: number; sha256: string } | { created: false };

/** Byte range: `length` bytes starting at `offset`; `length` omitted means to the end. */
export interface ByteRange {
  offset: number;
  length?: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStream {
  body: ReadableStream<Uint8Array>;
  /** Size of the whole object. */
  size: number;
  /** The range actually served (the whole object when none was asked for). */
  range: { offset: number; length: number };
}

/**
 * Storage error codes:
 * - `InvalidKey` (400): a key outside `[A-Za-z0-9][A-Za-z0-9/._-]*` or containing `..` or `//`.
 * - `InvalidRange` (416): a range outside the object.
 * - `IntegrityMismatch` (400): the body did not hash to the promised SHA-256.
 * - `StorageUnavailable` (503): the disk or the S3 endpoint failed; retry later.
 * - `StorageFull` (503): the disk has no space left (ENOSPC, EDQUOT); retry once space is freed.
 */
export type StorageErrorCode = 'InvalidKey' | 'InvalidRange' | 'IntegrityMismatch' | 'StorageUnavailable' | 'StorageFull';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9/._-]*$/;

/** Rejects keys that could escape a directory or confuse a driver. */
export function assertValidKey(key: string): void {
  if (key.length > 512 || !KEY_PATTERN.test(key) || key.includes('..') || key.includes('//') || key.endsWith('/')) {
    throw new StorageError('InvalidKey', 'object key is not a valid opaque id');
  }
}

/** Resolves a requested range against an object size, or throws `InvalidRange`. */
export function resolveRange(size: number, range: ByteRange | undefined): { offset: number; length: number } {
  if (!range) return { offset: 0, length: size };
  const { offset } = range;
  const length = range.length ?? size - offset;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new StorageError('InvalidRange', `range ${offset}+${length} is outside an object of ${size} bytes`);
  }
  return { offset, length };
}
