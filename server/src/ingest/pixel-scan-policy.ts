import type { IndexAttributes } from '@yunzhen/dicom';
import type { PixelScanPolicy } from '@yunzhen/db';

/**
 * Modalities whose images often carry burned-in text (PS3.3 C.7.3.1.1.1): ultrasound and
 * angiography/fluoroscopy screens, projection radiographs with lead markers and typed labels,
 * endoscopy, photographs, scanned documents. Every image of these is OCR'd.
 */
const TEXT_PRONE_MODALITIES = new Set(['US', 'IVUS', 'XA', 'RF', 'OT', 'ES', 'XC', 'GM', 'SM', 'OP', 'DX', 'CR', 'MG', 'IO', 'PX', 'DOC', 'DG', 'RG', 'OPT', 'BMD']);

/** Secondary capture (PS3.4 B.5: 1.2.840.10008.5.1.4.1.1.7 and its multi-frame variants): screen grabs and scans. */
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

/**
 * Which images are OCR'd for burned-in text before the reading centre sees them: every image
 * a header flag holds (the scan proposes the boxes), every image of a text-prone modality or a
 * secondary capture, and a sample of each other series (its first SERIES_SAMPLE_SIZE images:
 * a CT localizer or a dose screen may carry a name that no header announces). Objects without
 * pixels are not scanned.
 */
export function pixelScanPolicy(a: Pick<IndexAttributes, 'Modality' | 'SOPClassUID' | 'Rows'>, heldByHeader: boolean): PixelScanPolicy {
  if (!a.Rows) return 'none';
  if (heldByHeader) return 'all';
  if (TEXT_PRONE_MODALITIES.has((a.Modality ?? '').toUpperCase())) return 'all';
  if (a.SOPClassUID === SECONDARY_CAPTURE || a.SOPClassUID?.startsWith(`${SECONDARY_CAPTURE}.`)) return 'all';
  return 'sample';
}
