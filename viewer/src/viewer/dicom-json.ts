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

const SR_SOP_CLASS_PREFIX = '1.2.840.10008.5.1.4.1.1.88.';

export function isImage(ds: DicomJson): boolean {
  return (Boolean(ds[Tag.PixelData] ?? ds[Tag.FloatPixelData] ?? ds[Tag.DoubleFloatPixelData]) && (number(ds, Tag.Rows) ?? 0) > 0);
}

export function isStructuredReport(ds: DicomJson): boolean {
  return text(ds, Tag.SOPClassUID).startsWith(SR_SOP_CLASS_PREFIX);
}
