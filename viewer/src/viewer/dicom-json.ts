/**
 * Reading the DICOM JSON model (PS3.18 F.2) that QIDO-RS and WADO-RS metadata answer with.
 * Values stay data: callers render them as text, never as markup.
 */
import { dicomJsonTags } from '@yunzhen/dicom';

export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

export type DicomJson = Record<string, DicomJsonAttribute | undefined>;

/** Tags by keyword, as the 8 hex digit keys of the JSON model. */
export const Tag = dicomJsonTags;

export function values(ds: DicomJson | undefined, tag: string): unknown[] {
  return ds?.[tag]?.Value ?? [];
}

/** The first value as text: person names by their alphabetic group (then ideographic), numbers as written. */
export function text(ds: DicomJson | undefined, tag: string): string {
  const first = values(ds, tag)[0];
  return valueText(first);
}

export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') {
    const pn = value as { Alphabetic?: unknown; Ideographic?: unknown; Phonetic?: unknown };
    const groups = [pn.Alphabetic, pn.Ideographic, pn.Phonetic].filter((g): g is string => typeof g === 'string' && g !== '');
    if (groups.length) return groups.join('=');
  }
  return '';
}

export function number(ds: DicomJson | undefined, tag: string): number | undefined {
  const first = values(ds, tag)[0];
  const n = typeof first === 'number' ? first : typeof first === 'string' && first.trim() !== '' ? Number(first) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

export function numbers(ds: DicomJson | undefined, tag: string): number[] {
  return values(ds, tag)
    .map((v) => (typeof v === 'number' ? v : Number(v)))
    .filter((v) => Number.isFinite(v));
}

/**
 * The image's pixel spacing in mm (row, column): the top-level Pixel Spacing or Imager Pixel
 * Spacing of a single-frame image, or in a multi-frame (enhanced) image the Pixel Measures
 * functional group of the frame (1-based), else the one shared by all frames (PS3.3 C.7.6.16.2.1).
 */
export function pixelSpacingOf(ds: DicomJson | undefined, frame = 1): number[] | undefined {
  for (const tag of [Tag.PixelSpacing, Tag.ImagerPixelSpacing]) {
    const spacing = numbers(ds, tag);
    if (spacing.length === 2) return spacing;
  }
  const perFrame = values(ds, Tag.PerFrameFunctionalGroupsSequence)[frame - 1] as DicomJson | undefined;
  const shared = values(ds, Tag.SharedFunctionalGroupsSequence)[0] as DicomJson | undefined;
  for (const group of [perFrame, shared]) {
    const measures = values(group, Tag.PixelMeasuresSequence)[0] as DicomJson | undefined;
    const spacing = numbers(measures, Tag.PixelSpacing);
    if (spacing.length === 2) return spacing;
  }
  return undefined;
}

const SR_SOP_CLASS_PREFIX = '1.2.840.10008.5.1.4.1.1.88.';

export function isImage(ds: DicomJson): boolean {
  return (Boolean(ds[Tag.PixelData] ?? ds[Tag.FloatPixelData] ?? ds[Tag.DoubleFloatPixelData]) && (number(ds, Tag.Rows) ?? 0) > 0);
}

/** Segmentation Storage (PS3.4 B.5): a labelmap over other images, not an image to show by itself. */
export const SEGMENTATION_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';

export function isSegmentation(ds: DicomJson): boolean {
  return text(ds, Tag.SOPClassUID) === SEGMENTATION_SOP_CLASS;
}

export function isStructuredReport(ds: DicomJson): boolean {
  return text(ds, Tag.SOPClassUID).startsWith(SR_SOP_CLASS_PREFIX);
}
