import { characterSetOf, dicomJsonKey, readText, type CharacterSet, type DicomDataset, type DicomElement, type DicomFile } from '@yunzhen/dicom';

import type { DicomJsonAttribute, DicomJsonDataset } from './dicom-json.js';

/** Binary values larger than this are referenced by BulkDataURI instead of inlined. */
const INLINE_BINARY_LIMIT = 1024;

const binaryVrs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const numberVrs: Record<string, { bytes: number; read: (view: DataView, at: number, le: boolean) => number | bigint }> = {
  US: { bytes: 2, read: (v, at, le) => v.getUint16(at, le) },
  SS: { bytes: 2, read: (v, at, le) => v.getInt16(at, le) },
  UL: { bytes: 4, read: (v, at, le) => v.getUint32(at, le) },
  SL: { bytes: 4, read: (v, at, le) => v.getInt32(at, le) },
  FL: { bytes: 4, read: (v, at, le) => v.getFloat32(at, le) },
  FD: { bytes: 8, read: (v, at, le) => v.getFloat64(at, le) },
  UV: { bytes: 8, read: (v, at, le) => v.getBigUint64(at, le) },
  SV: { bytes: 8, read: (v, at, le) => v.getBigInt64(at, le) },
};

/**
 * An instance as the DICOM JSON model (PS3.18 F.2): every element of the data set with its
 * decoded values, sequences recursively, and large binary values (pixel data, overlays,
 * waveforms…) as a BulkDataURI under `bulkDataBase`, path-addressed for nested values.
 */
export function toDicomJson(file: DicomFile, bulkDataBase: string): DicomJsonDataset {
  // The stored transfer syntax lives in the file meta, outside the data set; viewers read it
  // from the metadata to choose a decoder and to ask for frames in a syntax they can decode.
  // (Written into one object: spreading two objects of a hundred attributes each cost more than
  // converting them, for a series' metadata.)
  const transferSyntax: DicomJsonDataset = { '00020010': { vr: 'UI', Value: [file.transferSyntax.uid] } };
  return datasetToJson(file.dataset, characterSetOf(file.dataset), bulkDataBase, '', transferSyntax);
}

/** Where the BulkDataURIs of metadata kept at ingest begin; the instance's own URL replaces it when served. */
const KEPT_BULK_BASE = 'yunzhen:bulkdata';
/** Metadata longer than this (an SR of thousands of items) is not kept: it is read from the object instead. */
const MAX_KEPT_METADATA_CHARS = 256 * 1024;

/**
 * An instance's metadata to keep in the index at ingest (DICOM JSON text, bulk data under a
 * placeholder base), or null when too large to be worth keeping.
 */
export function metadataToKeep(file: DicomFile): string | null {
  const text = JSON.stringify(toDicomJson(file, KEPT_BULK_BASE));
  return text.length <= MAX_KEPT_METADATA_CHARS ? text : null;
}

/**
 * Kept metadata as served, its bulk data under `bulkDataBase`. Matched with the key: a quote
 * inside a JSON string is escaped, so `"BulkDataURI":"` occurs only where the key does.
 */
export function servedMetadata(kept: string, bulkDataBase: string): string {
  return kept.split(`"BulkDataURI":"${KEPT_BULK_BASE}/`).join(`"BulkDataURI":"${bulkDataBase}/`);
}

function datasetToJson(ds: DicomDataset, charset: CharacterSet, bulkBase: string, path: string, out: DicomJsonDataset = {}): DicomJsonDataset {
  for (const element of ds.elements) {
    if ((element.tag & 0xffff) === 0) continue; // group lengths are an encoding detail
    const key = dicomJsonKey(element.tag);
    out[key] = elementToJson(ds, element, charset, bulkBase, path ? `${path}/${key}` : key);
  }
  return out;
}

function elementToJson(ds: DicomDataset, e: DicomElement, charset: CharacterSet, bulkBase: string, path: string): DicomJsonAttribute {
  const vr = e.vr;
  if (e.items) {
    const items = e.items.map((item, i) => datasetToJson(item, characterSetOf(item, charset), bulkBase, `${path}/${i}`));
    return items.length ? { vr: 'SQ', Value: items } : { vr: 'SQ' };
  }
  if (e.fragments || binaryVrs.has(vr)) {
    if (e.fragments || e.length > INLINE_BINARY_LIMIT) return { vr, BulkDataURI: `${bulkBase}/${path}` };
    if (e.length === 0) return { vr };
    return { vr, InlineBinary: Buffer.from(ds.bytes.subarray(e.offset, e.offset + e.length)).toString('base64') };
  }
  if (e.length === 0) return { vr };
  const numeric = numberVrs[vr];
  if (numeric) {
    const view = new DataView(ds.bytes.buffer, ds.bytes.byteOffset + e.offset, e.length);
    const values = [];
    for (let at = 0; at + numeric.bytes <= e.length; at += numeric.bytes) {
      const value = numeric.read(view, at, ds.encoding.littleEndian);
      values.push(typeof value === 'bigint' ? Number(value) : value);
    }
    return { vr, Value: values };
  }
  if (vr === 'AT') {
    const view = new DataView(ds.bytes.buffer, ds.bytes.byteOffset + e.offset, e.length);
    const values = [];
    for (let at = 0; at + 4 <= e.length; at += 4) {
      const group = view.getUint16(at, ds.encoding.littleEndian);
      const element = view.getUint16(at + 2, ds.encoding.littleEndian);
      values.push(dicomJsonKey(((group << 16) | element) >>> 0));
    }
    return { vr, Value: values };
  }
  const text = readText(ds, e, charset);
  if (vr === 'LT' || vr === 'ST' || vr === 'UT' || vr === 'UR') return text ? { vr, Value: [text] } : { vr };
  const values = text.split('\\').map((v) => v.trim());
  if (vr === 'PN') {
    return {
      vr,
      Value: values.map((value) => {
        const [alphabetic, ideographic, phonetic] = value.split('=');
        return {
          ...(alphabetic && { Alphabetic: alphabetic }),
          ...(ideographic && { Ideographic: ideographic }),
          ...(phonetic && { Phonetic: phonetic }),
        };
      }),
    };
  }
  if (vr === 'DS' || vr === 'IS') {
    // PS3.18 F.2.3: numbers as JSON numbers; a value that is not a number stays absent (null).
    return { vr, Value: values.map((v) => (v === '' || !Number.isFinite(Number(v)) ? (null as unknown as number) : Number(v))) };
  }
  return { vr, Value: values.map((v) => (v === '' ? (null as unknown as string) : v)) };
}

/** The element a bulk data path (`7FE00010` or `00540016/0/00181074`) names, or undefined. */
export function findByPath(file: DicomFile, path: string[]): { dataset: DicomDataset; element: DicomElement } | undefined {
  let ds = file.dataset;
  for (let i = 0; i < path.length; i += 2) {
    const tag = Number.parseInt(path[i]!, 16);
    if (!/^[0-9A-Fa-f]{8}$/.test(path[i]!)) return undefined;
    const element = ds.elements.find((e) => e.tag === tag);
    if (!element) return undefined;
    if (i + 1 === path.length) return { dataset: ds, element };
    const item = element.items?.[Number(path[i + 1])];
    if (!item) return undefined;
    ds = item;
  }
  return undefined;
}
