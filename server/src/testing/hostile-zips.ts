import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Zip archives written byte by byte (APPNOTE 4.3), for the shapes no zip library will write:
 * entries that share bytes, names used twice, directories that lie. Test use only.
 */

/** What the central directory says about one entry. */
export interface CentralRecord {
  name: string;
  /** Offset of the entry's local header. */
  offset: number;
  method: 0 | 8;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
}

const encoder = new TextEncoder();

/** A local file header (APPNOTE 4.3.7) for an entry, with no data descriptor. */
export function localHeader(entry: Omit<CentralRecord, 'offset'>): Uint8Array {
  const name = encoder.encode(entry.name);
  const bytes = new Uint8Array(30 + name.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x04034b50, true);
  view.setUint16(4, 20, true);
  view.setUint16(8, entry.method, true);
  view.setUint32(14, entry.crc32, true);
  view.setUint32(18, entry.compressedSize, true);
  view.setUint32(22, entry.uncompressedSize, true);
  view.setUint16(26, name.length, true);
  bytes.set(name, 30);
  return bytes;
}

/** `body` (local headers and data, laid out by the caller) followed by a central directory of `records`. */
export function assembleZip(body: Uint8Array, records: readonly CentralRecord[]): Uint8Array {
  const headers = records.map((record) => {
    const name = encoder.encode(record.name);
    const bytes = new Uint8Array(46 + name.length);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x02014b50, true);
    view.setUint16(4, 20, true);
    view.setUint16(6, 20, true);
    view.setUint16(10, record.method, true);
    view.setUint32(16, record.crc32, true);
    view.setUint32(20, record.compressedSize, true);
    view.setUint32(24, record.uncompressedSize, true);
    view.setUint16(28, name.length, true);
    view.setUint32(42, record.offset, true);
    bytes.set(name, 46);
    return bytes;
  });
  const directorySize = headers.reduce((sum, h) => sum + h.length, 0);
  const end = new Uint8Array(22);
  const view = new DataView(end.buffer);
  view.setUint32(0, 0x06054b50, true);
  view.setUint16(8, records.length, true);
  view.setUint16(10, records.length, true);
  view.setUint32(12, directorySize, true);
  view.setUint32(16, body.length, true);
  return concat([body, ...headers, end]);
}

/**
 * Fifield's "full overlap" zip bomb: one compressed kernel of `kernelBytes` zeros, and
 * `count` central directory entries that all point at it.
 */
export function fullOverlapBomb(count: number, kernelBytes: number): Uint8Array {
  const kernel = deflateRawSync(new Uint8Array(kernelBytes), { level: 9 });
  const entry = { method: 8 as const, compressedSize: kernel.length, uncompressedSize: kernelBytes, crc32: crc32(new Uint8Array(kernelBytes)) };
  const body = concat([localHeader({ name: '0.dcm', ...entry }), kernel]);
  return assembleZip(
    body,
    Array.from({ length: count }, (_, i) => ({ name: `${i}.dcm`, offset: 0, ...entry })),
  );
}

/**
 * Fifield's "quoted overlap" zip bomb ("A better zip bomb", 2019): every entry's data is a
 * stored deflate block that quotes the next entry's local header, followed by that entry's
 * data, down to one kernel of `kernelBytes` zeros. Each entry is a valid deflate stream with
 * the right sizes and CRC-32; all of them inflate the kernel.
 */
export function quotedOverlapBomb(count: number, kernelBytes: number): Uint8Array {
  const kernel = deflateRawSync(new Uint8Array(kernelBytes), { level: 9 });
  const zeros = new Uint8Array(kernelBytes);
  // Built from the last entry backwards: each local header holds the sizes of its entry.
  const names = Array.from({ length: count }, (_, i) => `${i}.dcm`);
  const pieces: Uint8Array[] = [kernel];
  let compressedSize = kernel.length;
  let uncompressedSize = kernelBytes;
  const quoted: Uint8Array[] = []; // the local headers after the entry being built, in order
  let header = localHeader({ name: names[count - 1]!, method: 8, compressedSize, uncompressedSize, crc32: crc32(zeros) });
  const records: Omit<CentralRecord, 'offset'>[] = [{ name: names[count - 1]!, method: 8, compressedSize, uncompressedSize, crc32: crc32(zeros) }];
  for (let i = count - 2; i >= 0; i--) {
    // A non-final stored block (BFINAL 0, BTYPE 00) holding the next local header verbatim.
    const block = new Uint8Array([0, header.length & 0xff, header.length >> 8, ~header.length & 0xff, (~header.length >> 8) & 0xff]);
    pieces.unshift(header);
    pieces.unshift(block);
    quoted.unshift(header);
    compressedSize += block.length + header.length;
    uncompressedSize += header.length;
    let crc = 0;
    for (const h of quoted) crc = crc32(h, crc);
    crc = crc32(zeros, crc);
    records.unshift({ name: names[i]!, method: 8, compressedSize, uncompressedSize, crc32: crc });
    header = localHeader(records[0]!);
  }
  pieces.unshift(header);
  let offset = 0;
  const withOffsets = records.map((record, i) => {
    const at = offset;
    // Entry i's local header is followed by its quoting block; the next header comes after it.
    offset += localHeader(record).length + (i < count - 1 ? 5 : 0);
    return { ...record, offset: at };
  });
  return assembleZip(concat(pieces), withOffsets);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
