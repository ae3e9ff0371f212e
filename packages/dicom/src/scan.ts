import { readIndexAttributes, type IndexAttributes } from './attributes.js';
import { isDicomError, type DicomErrorCode } from './errors.js';
import type { DicomLimits } from './limits.js';
import { parseDicom } from './parse.js';
import { pixelReviewReasonsOf, type PixelReviewReason } from './pixel-review.js';
import { remoteDiagnosisProfile, type DeidentificationProfile } from './profile.js';
import { validateForIngest, type ValidationLevel } from './validate.js';
import { isCurveGroup, isOverlayGroup } from './tags.js';

export interface ScanOptions {
  readonly limits?: Partial<DicomLimits>;
  /** `ingest` (default) or `structure`: see `ValidationLevel`. */
  readonly validation?: ValidationLevel;
  /** The profile the upload will use: whether overlays are kept decides one pixel review reason. */
  readonly profile?: DeidentificationProfile;
}

/** What the upload page shows before sending: the original, decoded values, or why the file would be refused. */
export type ScanResult =
  | {
      readonly ok: true;
      /** Original values (not anonymized), decoded to JavaScript strings. */
      readonly attributes: IndexAttributes;
      readonly needsPixelReview: boolean;
      readonly pixelReviewReasons: readonly PixelReviewReason[];
    }
  | { readonly ok: false; readonly code: DicomErrorCode; readonly message: string };

/**
 * Parses and validates like ingest does, without anonymizing: for the browser's pre-scan of an
 * upload. Pixel data are not read (only the first compressed frame's header). Returns the error
 * code instead of throwing, so a batch of files can be scanned and reported together; errors
 * that are not `DicomError`s (bugs) are still thrown.
 */
export function scanDicom(bytes: Uint8Array, options: ScanOptions = {}): ScanResult {
  try {
    const file = parseDicom(bytes, options.limits);
    validateForIngest(file, options.limits, options.validation ?? 'ingest');
    const reasons = pixelReviewReasonsOf(file.dataset);
    const profile = options.profile ?? remoteDiagnosisProfile;
    const hasGraphics = file.dataset.elements.some((element) => isOverlayGroup(element.tag >>> 16) || isCurveGroup(element.tag >>> 16));
    if (profile.cleanGraphics && hasGraphics) reasons.push('OverlayRetained');
    return { ok: true, attributes: readIndexAttributes(file), needsPixelReview: reasons.length > 0, pixelReviewReasons: reasons };
  } catch (error) {
    if (isDicomError(error)) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}
