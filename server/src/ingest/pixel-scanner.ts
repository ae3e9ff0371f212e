import { parseDicom } from '@yunzhen/dicom';
import type { PixelTextProposal, Repositories } from '@yunzhen/db';
import type { ObjectStore } from '@yunzhen/storage';
import type { Logger } from 'pino';

import { pixelInfo, renderFrameAsync } from '../dicomweb/pixels.js';
import { AppError } from '../errors.js';
import type { OcrLine, TextDetector } from '../ocr/detect-text.js';
import { OcrError } from '../ocr/detect-text.js';
import { createOutboxWorker, processClaimant } from '../outbox-worker.js';
import { identityTerms, normalize, type IdentityKind, type KnownIdentity } from '../routes/document-identity.js';
import type { Vault } from '../vault/vault.js';

/** Frames OCR'd per instance: burned-in text of a clip is the same in most frames, so a few spread over it find it. */
export const DEFAULT_MAX_FRAMES_PER_INSTANCE = 5;
/** Attempts before an image that cannot be scanned is held for a person to look at. */
const MAX_ATTEMPTS = 3;
/** A claim covers one instance: its frames at the detector's budget each, on a busy machine. */
const LEASE_MS = 10 * 60 * 1000;

export interface PixelScannerDeps {
  repos: Repositories;
  store: ObjectStore;
  vault: Vault;
  detector: TextDetector;
  logger?: Logger;
  now: () => Date;
  maxFramesPerInstance?: number;
}

export interface FrameScanResult {
  proposals: PixelTextProposal[];
  framesScanned: number;
  /** Lines read, for the caller to judge (the bench, tests); never stored. */
  lines: (OcrLine & { frame: number })[];
}

/**
 * The background job that OCRs newly stored images for burned-in text (issue 17): claims due
 * rows of `pixel_scan` like an outbox (several replicas take different rows), reads the
 * instance, OCRs a few of its frames, marks text that names the patient (from the study's
 * sealed originals in the vault), and records the proposed mask boxes; any text holds the image
 * for the radiographer's review, no text releases an image that only waited for the scan.
 */
export function createPixelScanner(deps: PixelScannerDeps) {
  const claimant = processClaimant();
  const maxFrames = deps.maxFramesPerInstance ?? DEFAULT_MAX_FRAMES_PER_INSTANCE;

  async function attempt(row: { id: string; attempts: number }): Promise<void> {
    const target = await deps.repos.pixelScans.target(row.id);
    if (!target) return;
    try {
      const object = await deps.store.get(target.objectKey);
      if (!object) throw new AppError('StorageUnavailable', 'the stored instance is missing from the object store');
      const bytes = new Uint8Array(await new Response(object.body).arrayBuffer());
      const sealed = await deps.vault.reveal(target.tenantId, 'study', [target.studyUid]);
      const known: KnownIdentity[] = [...sealed.values()].map((s) => ({ patient: s.patient, accessionNumber: s.accessionNumber }));
      const result = await scanInstanceFrames(bytes, { detector: deps.detector, known, modality: target.modality, maxFrames });
      await deps.repos.pixelScans.complete(row.id, { proposals: result.proposals, framesScanned: result.framesScanned, textFound: result.lines.length > 0, now: deps.now() });
    } catch (error) {
      // A frame over budget may pass on a quieter machine; a format nothing here can decode will not.
      const transient = !(error instanceof AppError && (error.code === 'NotAcceptable' || error.code === 'CorruptPixelData' || error.code === 'NotFound'));
      const attempts = row.attempts + 1;
      const retryAt = transient && attempts < MAX_ATTEMPTS ? new Date(deps.now().getTime() + 30_000 * 2 ** attempts) : null;
      const reason = error instanceof OcrError || error instanceof AppError ? error.code : 'ScanFailed';
      deps.logger?.warn({ scan: row.id, reason, retry: Boolean(retryAt) }, retryAt ? 'pixel scan failed; will retry' : 'pixel scan failed; image held for review');
      await deps.repos.pixelScans.fail(row.id, { error: reason, retryAt, now: deps.now() });
    }
  }

  return createOutboxWorker({ job: 'pixel-scan', claim: () => deps.repos.pixelScans.claimDue({ now: deps.now(), leaseMs: LEASE_MS, claimant }), attempt, maxPerPass: 20 });
}

/** Frame numbers (1-based) spread evenly over `frames`, first and last included, at most `max`. */
export function framesToScan(frames: number, max: number): number[] {
  if (frames <= max) return Array.from({ length: frames }, (_, i) => i + 1);
  if (max <= 1) return [1];
  return [...new Set(Array.from({ length: max }, (_, i) => 1 + Math.round((i * (frames - 1)) / (max - 1))))];
}

/**
 * OCRs up to `maxFrames` frames of one stored instance and proposes mask boxes: a padded box per
 * line of text read (the same box in several frames once, with its frames), marked with the
 * identity kinds it names, plus the modality's template boxes.
 */
export async function scanInstanceFrames(bytes: Uint8Array, options: { detector: TextDetector; known: KnownIdentity[]; modality: string | null; maxFrames: number }): Promise<FrameScanResult> {
  const file = parseDicom(bytes, { maxInstanceBytes: Number.MAX_SAFE_INTEGER });
  const info = pixelInfo(file);
  if (!info) throw new AppError('NotFound', 'the instance has no image');
  const terms = identityTerms(options.known);
  const frames = framesToScan(info.frames, options.maxFrames);
  const lines: FrameScanResult['lines'] = [];
  const proposals: PixelTextProposal[] = [];
  for (const frame of frames) {
    const rendered = await renderFrameAsync(file, frame);
    for (const line of await options.detector.detectText(rendered)) {
      lines.push({ ...line, frame });
      const box = padBox(line.box, info.columns, info.rows);
      const identity = identityKindsIn(line.text, terms);
      const same = proposals.find((p) => p.source === 'ocr' && overlapRatio(p, box) > 0.6);
      if (same) {
        Object.assign(same, union(same, box));
        same.identity = [...new Set([...same.identity, ...identity])];
        if (!same.frames.includes(frame)) same.frames.push(frame);
      } else {
        proposals.push({ ...box, source: 'ocr', identity, frames: [frame] });
      }
    }
  }
  return { proposals: [...proposals, ...templateProposals(options.modality, info.rows, info.columns)], framesScanned: frames.length, lines };
}

/**
 * Where a modality's equipment usually prints the patient, whatever the OCR read: the header
 * band of an ultrasound screen (name, ID, date, hospital across the top, about a tenth of the
 * height). Proposed, not applied: the radiographer keeps or removes it.
 */
export function templateProposals(modality: string | null, rows: number, columns: number): PixelTextProposal[] {
  if ((modality ?? '').toUpperCase() === 'US' || (modality ?? '').toUpperCase() === 'IVUS') {
    return [{ x: 0, y: 0, width: columns, height: Math.min(rows, Math.max(12, Math.round(rows * 0.08))), source: 'template', identity: [], frames: [] }];
  }
  return [];
}

type Box = { x: number; y: number; width: number; height: number };

/** Glyphs reach past the detector's box (accents, descenders, anti-aliasing): pad by a quarter of the line height. */
function padBox(box: Box, columns: number, rows: number): Box {
  const pad = Math.max(2, Math.round(box.height * 0.25));
  const x = Math.max(0, box.x - pad);
  const y = Math.max(0, box.y - pad);
  return { x, y, width: Math.min(columns, box.x + box.width + pad) - x, height: Math.min(rows, box.y + box.height + pad) - y };
}

function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

/** Intersection over the smaller box's area. */
function overlapRatio(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min(a.width * a.height, b.width * b.height);
}

/**
 * The identity kinds a line of OCR text names. OCR misreads a glyph now and then ("ZHANGASAN"
 * for ZHANG^SAN, "O" for 0), so identifiers of six or more characters also match with one
 * character wrong, missing or extra; shorter ones (a two-character Chinese name) must match exactly.
 */
export function identityKindsIn(text: string, terms: { kind: IdentityKind; text: string }[]): IdentityKind[] {
  const haystack = normalize(text);
  const kinds = new Set<IdentityKind>();
  for (const term of terms) {
    if (haystack.includes(term.text) || (term.text.length >= 6 && approximatelyContains(haystack, term.text, 1))) kinds.add(term.kind);
  }
  return [...kinds];
}

/**
 * Whether `needle` occurs in `haystack` with at most `k` edits (Sellers' approximate substring
 * match: edit distance with a free start anywhere in the haystack). O(n·m) on a line of text.
 */
export function approximatelyContains(haystack: string, needle: string, k: number): boolean {
  const h = [...haystack];
  const n = [...needle];
  let previous = Array.from({ length: n.length + 1 }, (_, i) => i);
  if (previous[n.length]! <= k) return true;
  for (const char of h) {
    const current = [0];
    for (let j = 1; j <= n.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (n[j - 1] === char ? 0 : 1));
    }
    if (current[n.length]! <= k) return true;
    previous = current;
  }
  return false;
}
