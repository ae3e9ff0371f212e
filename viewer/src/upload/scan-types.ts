import type { IndexAttributes, PixelReviewReason } from '@yunzhen/dicom';

/** What the pre-scan learned of one file, in a form that crosses the worker boundary. */
export type ScanSummary =
  | { ok: true; attributes: IndexAttributes; needsPixelReview: boolean; pixelReviewReasons: readonly PixelReviewReason[] }
  | { ok: false; code: string };

export type ScanRequest = { kind: 'file'; id: number; file: Blob } | { kind: 'zip'; id: number; file: Blob };

export type ScanReply =
  | { kind: 'scanned'; id: number; result: ScanSummary }
  | { kind: 'zip-entry'; id: number; name: string; bytes: Uint8Array; result: ScanSummary }
  | { kind: 'zip-skipped'; id: number; name: string; reason: string }
  | { kind: 'zip-done'; id: number; error?: string };
