import type { Context } from 'hono';
import { Hono } from 'hono';

import type { Repositories } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { AppError, notFound } from '../errors.js';
import type { CacheChanges } from '../cache-changes.js';
import { createTtlCache } from '../ttl-cache.js';
import { imageScope } from './access.js';
import { findByPath, servedMetadata, toDicomJson } from './metadata.js';
import { EXPLICIT_VR_LITTLE_ENDIAN, frameMediaType, isNative, negotiateFrames, negotiateInstance, parseAccept } from './media-types.js';
import { multipartOfBytes, multipartStream, newBoundary, openAhead, type OutgoingPart } from './multipart-writer.js';
import type { ObjectCache } from './object-cache.js';
import { frameBytes, frameRanges, pixelInfo, renderFrameAsync } from './pixels.js';
import { downscale, encodePng } from './png.js';
import { toExplicitLittleEndian } from './transcode.js';

export interface WadoDeps {
  repos: Repositories;
  store: ObjectStore;
  cache: ObjectCache;
  audit: AuditWriter;
  now: () => Date;
  /** Consult changes from every replica, which drop the cached visibility of instances. */
  cacheChanges?: CacheChanges;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;
const THUMBNAIL_SIZE = 128;
/** Instances whose bodies are opened while the one before is sent (see openAhead). */
const RETRIEVE_READ_AHEAD = 4;
const METADATA_READ_AHEAD = 8;
const METADATA_PARALLEL_MAX_BYTES = 16 * 1024 * 1024;
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** WADO-RS (PS3.18 10.4): instances, metadata, frames, bulk data and rendered images, within the caller's scope. */
export function wadoRoutes(deps: WadoDeps) {
  const { repos, cache } = deps;
  const accessAudit = createAccessAudit(deps);
  // A viewer asks for the frames of one instance many times a second: its visibility is
  // looked up once per few seconds, and dropped at once when any replica changes a consult
  // (closed, cancelled, a study or reader added).
  const visibleInstance = createTtlCache<Awaited<ReturnType<Repositories['dicomweb']['retrievable']>>>({ ttlMs: 5_000, maxEntries: 20_000, now: () => deps.now().getTime() });
  deps.cacheChanges?.subscribe((change) => {
    if (change.kind === 'visibility' || change.kind === 'all') visibleInstance.clear();
  });

  /** The visible instances a URL names; a UID out of scope answers exactly like an unknown one. */
  const resolve = async (c: Context<AppEnv>) => {
    const principal = requireUser(c);
    const target = { studyUid: c.req.param('study') ?? '', seriesUid: c.req.param('series'), sopUid: c.req.param('instance') };
    if (![target.studyUid, target.seriesUid, target.sopUid].every((uid) => uid === undefined || UID.test(uid))) throw notFound('study');
    const scope = imageScope(principal);
    const key = target.sopUid && `${scope.tenantId}|${scope.own}|${scope.reader}|${target.studyUid}|${target.seriesUid}|${target.sopUid}`;
    let rows = key ? visibleInstance.get(key) : undefined;
    if (!rows) {
      rows = await repos.dicomweb.retrievable(scope, target);
      if (key && rows.length) visibleInstance.set(key, rows);
    }
    if (rows.length === 0) throw notFound(target.sopUid ? 'instance' : target.seriesUid ? 'series' : 'study');
    await accessAudit(c, principal.user.id, rows[0]!.study_pk);
    return rows;
  };

  const retrieve = async (c: Context<AppEnv>) => {
    const rows = await resolve(c);
    const boundary = newBoundary();
    const accept = c.req.header('Accept');
    // Negotiate every instance up front: a 406 must come before the first byte is sent.
    const plans = rows.map((row) => ({ row, ...negotiateInstance(accept, row.transfer_syntax_uid) }));
    const parts: OutgoingPart[] = plans.map(({ row, transferSyntax }) => ({
      contentType: `application/dicom; transfer-syntax=${transferSyntax}`,
      body: async () => {
        if (transferSyntax !== row.transfer_syntax_uid) return toExplicitLittleEndian(await cache.get(row.object_key));
        const inMemory = cache.storedBytes(row.object_key);
        if (inMemory) return inMemory;
        const object = await deps.store.get(row.object_key);
        if (!object) throw new AppError('StorageUnavailable', 'a stored instance is missing from the object store');
        return object.body;
      },
    }));
    return new Response(multipartStream(openAhead(parts, RETRIEVE_READ_AHEAD), boundary), {
      headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
    });
  };

  const metadata = async (c: Context<AppEnv>) => {
    const rows = await resolve(c);
    const origin = c.var.publicBase;
    // A viewer opening a series waits for this answer before its first image; reading the
    // instances a few at a time overlaps the object store's latency instead of adding it up.
    // Large multi-frame objects are read one at a time, so memory stays bounded by instance size.
    const parallel = rows.every((row) => Number(row.size_bytes) <= METADATA_PARALLEL_MAX_BYTES) ? METADATA_READ_AHEAD : 1;
    // Kept at ingest, the metadata comes from the index; only older rows are read from the store.
    const kept = await repos.dicomweb.storedMetadata(rows.map((row) => row.object_key));
    const datasets = await mapInOrder(rows, parallel, async (row) => {
      const bulkDataBase = `${origin}/dicomweb/studies/${row.study_uid}/series/${row.series_uid}/instances/${row.sop_instance_uid}/bulkdata`;
      const text = kept.get(row.object_key);
      return text ? servedMetadata(text, bulkDataBase) : JSON.stringify(toDicomJson(await cache.get(row.object_key), bulkDataBase));
    });
    return c.body(`[${datasets.join(',')}]`, 200, { 'Content-Type': 'application/dicom+json' });
  };

  const frames = async (c: Context<AppEnv>) => {
    const [row] = await resolve(c);
    const numbers = (c.req.param('frames') ?? '').split(',').map((n) => Number(n));
    if (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n < 1)) throw new AppError('InvalidRequest', 'frame numbers are positive integers');
    const file = await cache.get(row!.object_key);
    const count = frameRanges(file).length;
    if (numbers.some((n) => n > count)) throw notFound('frame');
    const { mediaType, transferSyntax } = negotiateFrames(c.req.header('Accept'), row!.transfer_syntax_uid);
    const info = pixelInfo(file);
    const swap = !file.transferSyntax.littleEndian && info?.bitsAllocated === 16;
    const boundary = newBoundary();
    const parts = numbers.map((n) => {
      let bytes = frameBytes(file, n);
      if (swap) bytes = swap16(bytes);
      return { contentType: `${mediaType}; transfer-syntax=${transferSyntax}`, body: bytes };
    });
    const headers = { 'Content-Type': `multipart/related; type="${mediaType}"; boundary=${boundary}` };
    return new Response(multipartOfBytes(parts, boundary), { headers }); // the frames are in memory already
  };

  const bulkdata = async (c: Context<AppEnv>) => {
    const [row] = await resolve(c);
    const path = c.req.path.split('/bulkdata/')[1]?.split('/').filter(Boolean) ?? [];
    const file = await cache.get(row!.object_key);
    const found = findByPath(file, path);
    if (!found) throw notFound('bulk data');
    const { dataset, element } = found;
    let body: Uint8Array;
    let contentType = 'application/octet-stream';
    if (element.fragments && element.tag === 0x7fe00010) {
      // Encapsulated pixel data as bulk data: the frames, each in its stored compression.
      const parts = frameRanges(file).map((_, i) => ({ contentType: `${frameMediaType(row!.transfer_syntax_uid)}; transfer-syntax=${row!.transfer_syntax_uid}`, body: frameBytes(file, i + 1) }));
      const boundary = newBoundary();
      return new Response(multipartOfBytes(parts, boundary), { headers: { 'Content-Type': `multipart/related; type="${frameMediaType(row!.transfer_syntax_uid)}"; boundary=${boundary}` } });
    }
    body = dataset.bytes.subarray(element.offset, element.offset + element.length);
    if (!dataset.encoding.littleEndian && ['OW', 'US', 'SS'].includes(element.vr)) body = swap16(body);
    contentType = `application/octet-stream; transfer-syntax=${isNative(row!.transfer_syntax_uid) ? EXPLICIT_VR_LITTLE_ENDIAN : row!.transfer_syntax_uid}`;
    const range = byteRange(c.req.header('Range'), body.length);
    const boundary = newBoundary();
    const partBody = range ? body.subarray(range.start, range.end + 1) : body;
    return new Response(multipartOfBytes([{ contentType, body: partBody }], boundary), {
      status: 200,
      headers: { 'Content-Type': `multipart/related; type="application/octet-stream"; boundary=${boundary}` },
    });
  };

  const rendered = (thumbnail: boolean) => async (c: Context<AppEnv>) => {
    const rows = await resolve(c);
    const frameNumber = Number(c.req.param('frame') ?? '1');
    // For a study or series thumbnail, the middle image is the most representative.
    const row = c.req.param('instance') ? rows[0]! : rows[Math.floor(rows.length / 2)]!;
    const file = await cache.get(row.object_key);
    if (!pixelInfo(file)) throw new AppError('NotAcceptable', 'the instance has no image to render');
    const accepts = parseAccept(c.req.header('Accept')).map((a) => a.type);
    const wantsJpegOnly = accepts.length > 0 && accepts.every((t) => t === 'image/jpeg');
    const window = windowOverride(c.req.query('window'));
    const viewport = /^(\d+),(\d+)$/.exec(c.req.query('viewport') ?? '');
    // The stored JPEG baseline frame as it is, unless a window or a viewport asks for a rendering.
    const asStored = wantsJpegOnly || (!window && !viewport && (accepts.length === 0 || accepts.includes('image/jpeg') || accepts.includes('*/*') || accepts.includes('image/*')));
    if (row.transfer_syntax_uid === JPEG_BASELINE && asStored) {
      return c.body(frameBytes(file, frameNumber) as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/jpeg', 'Cache-Control': 'private, max-age=3600' });
    }
    if (accepts.length > 0 && !accepts.some((t) => t === 'image/png' || t === 'image/*' || t === '*/*')) {
      throw new AppError('NotAcceptable', 'rendered images are PNG (or the stored JPEG baseline frame)');
    }
    // Compressed frames (RLE, JPEG, JPEG lossless, JPEG-LS, JPEG 2000, HTJ2K) are decoded here, a
    // few at a time; one that cannot be decoded answers CorruptPixelData (422).
    let image = await renderFrameAsync(file, frameNumber, window);
    const max = thumbnail ? THUMBNAIL_SIZE : viewport ? Math.max(Number(viewport[1]), Number(viewport[2])) : undefined;
    if (max) image = downscale(image, max);
    return c.body(encodePng(image) as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/png', 'Cache-Control': 'private, max-age=3600' });
  };

  const instance = '/studies/:study/series/:series/instances/:instance';
  return new Hono<AppEnv>()
    .get('/studies/:study', retrieve)
    .get('/studies/:study/series/:series', retrieve)
    .get(instance, retrieve)
    .get('/studies/:study/metadata', metadata)
    .get('/studies/:study/series/:series/metadata', metadata)
    .get(`${instance}/metadata`, metadata)
    .get(`${instance}/frames/:frames`, frames)
    .get(`${instance}/frames/:frame/rendered`, rendered(false))
    .get(`${instance}/rendered`, rendered(false))
    .get(`${instance}/thumbnail`, rendered(true))
    .get('/studies/:study/series/:series/thumbnail', rendered(true))
    .get('/studies/:study/thumbnail', rendered(true))
    .get(`${instance}/bulkdata/*`, bulkdata);
}

function windowOverride(value: string | undefined): { center: number; width: number } | undefined {
  const match = /^(-?[\d.]+),([\d.]+)(,linear)?$/.exec(value ?? '');
  return match ? { center: Number(match[1]), width: Math.max(1, Number(match[2])) } : undefined;
}

function swap16(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out[i] = bytes[i + 1]!;
    out[i + 1] = bytes[i]!;
  }
  return out;
}

function byteRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const start = match[1] === '' ? Math.max(0, size - Number(match[2])) : Number(match[1]);
  const end = match[1] === '' || match[2] === '' ? size - 1 : Math.min(size - 1, Number(match[2]));
  if (start > end) throw new AppError('InvalidRange', 'range outside the value');
  return { start, end };
}

/** The access-audit window: 110103 is recorded once per user and study in each. */
export const ACCESS_AUDIT_WINDOW_MS = 10 * 60 * 1000;

/**
 * 110103 Instances Accessed, once per user and study per ten-minute window (aligned to the
 * clock, so every replica computes the same one): a viewer fetches hundreds of frames of one
 * study, possibly through several replicas, and one access is one audit event. The database
 * decides which request records it (`recordOncePerWindow`); this process remembers the windows
 * it has seen recorded, so only a window's first request here costs a write.
 */
function createAccessAudit(deps: { audit: AuditWriter; now: () => Date }) {
  const recorded = new Map<string, number>();
  return async (c: Context<AppEnv>, userId: string, studyPk: string) => {
    const now = deps.now().getTime();
    const windowStart = now - (now % ACCESS_AUDIT_WINDOW_MS);
    const key = `${AuditEvent.InstancesAccessed}:${userId}:${studyPk}`;
    if (recorded.get(key) === windowStart) return;
    await deps.audit(c, {
      eventCode: AuditEvent.InstancesAccessed,
      action: 'R',
      outcome: Outcome.Success,
      objectType: 'study',
      objectId: studyPk,
      once: { key, windowStart: new Date(windowStart) },
    });
    // Only once it is known to be recorded: a failed write fails this access, and the next one tries again.
    recorded.set(key, windowStart);
    if (recorded.size > 50_000) for (const [k, start] of recorded) if (start < windowStart) recorded.delete(k);
  };
}

/** `items` mapped by `task` with at most `limit` tasks running; results keep the input order. */
async function mapInOrder<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
