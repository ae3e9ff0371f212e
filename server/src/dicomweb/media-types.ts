import { AppError } from '../errors.js';
import { parseMediaType } from '../ingest/multipart-related.js';

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2']);

/** Whether pixel data of this transfer syntax are stored uncompressed (PS3.5 A.1–A.3). */
export function isNative(transferSyntaxUid: string): boolean {
  return NATIVE.has(transferSyntaxUid);
}

/** The media type of a compressed frame (PS3.18 Table 8.7.3-5); native frames are application/octet-stream. */
export function frameMediaType(transferSyntaxUid: string): string {
  if (isNative(transferSyntaxUid)) return 'application/octet-stream';
  if (/^1\.2\.840\.10008\.1\.2\.4\.(50|51|57|70)$/.test(transferSyntaxUid)) return 'image/jpeg';
  if (/^1\.2\.840\.10008\.1\.2\.4\.8[01]$/.test(transferSyntaxUid)) return 'image/jls';
  if (/^1\.2\.840\.10008\.1\.2\.4\.9[01]$/.test(transferSyntaxUid)) return 'image/jp2';
  if (/^1\.2\.840\.10008\.1\.2\.4\.9[23]$/.test(transferSyntaxUid)) return 'image/jpx';
  if (/^1\.2\.840\.10008\.1\.2\.4\.20[123]$/.test(transferSyntaxUid)) return 'image/jphc';
  if (/^1\.2\.840\.10008\.1\.2\.4\.11[012]$/.test(transferSyntaxUid)) return 'image/jxl';
  if (transferSyntaxUid === '1.2.840.10008.1.2.5') return 'image/dicom-rle';
  return 'application/octet-stream';
}

interface AcceptEntry {
  type: string;
  params: Record<string, string>;
}

/** The Accept header as media ranges in order (quality factors are not ranked; order wins). */
export function parseAccept(header: string | undefined): AcceptEntry[] {
  if (!header) return [];
  return splitOutsideQuotes(header, ',').map((part) => parseMediaType(part)).filter((entry) => entry.type !== '');
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/**
 * Chooses the transfer syntax to send instances in (PS3.18 8.7.3): `transfer-syntax=*` or the
 * stored syntax gets the stored bytes; no parameter means Explicit VR Little Endian (the
 * default since DICOM 2016c), which a native instance can be rewritten into without touching
 * pixels. Compressed pixel data is never decoded on the server, so anything else is 406.
 */
export function negotiateInstance(accept: string | undefined, storedTs: string): { transferSyntax: string } {
  const entries = parseAccept(accept);
  if (entries.length === 0) return { transferSyntax: defaultFor(storedTs) };
  for (const entry of entries) {
    const wildcard = entry.type === '*/*' || entry.type === 'multipart/*';
    const dicom = entry.type === 'multipart/related' && (!entry.params.type || entry.params.type === 'application/dicom');
    if (!wildcard && !dicom && entry.type !== 'application/dicom') continue;
    const wanted = entry.params['transfer-syntax'];
    if (wanted === '*' || wanted === storedTs) return { transferSyntax: storedTs };
    if (wanted === undefined) {
      const fallback = defaultFor(storedTs);
      if (fallback) return { transferSyntax: fallback };
    }
    if (wanted === EXPLICIT_VR_LITTLE_ENDIAN && isNative(storedTs)) return { transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN };
  }
  throw new AppError('NotAcceptable', 'the instance is stored compressed; ask for transfer-syntax=* or its stored transfer syntax');
}

function defaultFor(storedTs: string): string {
  return isNative(storedTs) ? EXPLICIT_VR_LITTLE_ENDIAN : '';
}

/**
 * Chooses how to send frames: `application/octet-stream` means uncompressed Explicit VR Little
 * Endian frames unless `transfer-syntax=*` (or the stored syntax) allows the stored bytes; an
 * image media type matching the stored compression gets the stored bytes.
 */
export function negotiateFrames(accept: string | undefined, storedTs: string): { mediaType: string; transferSyntax: string } {
  const stored = { mediaType: frameMediaType(storedTs), transferSyntax: isNative(storedTs) ? EXPLICIT_VR_LITTLE_ENDIAN : storedTs };
  const entries = parseAccept(accept);
  if (entries.length === 0) return stored;
  for (const entry of entries) {
    const type = entry.type === 'multipart/related' ? (entry.params.type ?? '*/*') : entry.type;
    const wanted = entry.params['transfer-syntax'];
    if (type === '*/*' || type === 'multipart/*') return stored;
    if (type === 'application/octet-stream') {
      if (wanted === '*' || wanted === storedTs || isNative(storedTs)) return { mediaType: 'application/octet-stream', transferSyntax: stored.transferSyntax };
      continue;
    }
    if (type === stored.mediaType && (wanted === undefined || wanted === '*' || wanted === storedTs)) return stored;
  }
  throw new AppError('NotAcceptable', 'frames are stored compressed; ask for their media type or transfer-syntax=*');
}
