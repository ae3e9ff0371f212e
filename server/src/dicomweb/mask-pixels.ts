import { randomBytes } from 'node:crypto';

import { findElement, readUint16Values, Tags, uidFromBytes, valueBytes, writeDicom, type DicomDataset, type DicomFile, type WriteElement } from '@yunzhen/dicom';

import { AppError } from '../errors.js';
import { decodeFrame, type DecodedFrame } from './decode-frame.js';
import { EXPLICIT_VR_LITTLE_ENDIAN } from './media-types.js';
import { frameBytes, frameRanges, pixelInfo, ybrToRgb, type PixelInfo } from './pixels.js';
import { toWriteDataset } from './transcode.js';

/** A rectangle in image pixel coordinates: columns x … x+width−1, rows y … y+height−1. */
export interface MaskBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** PS3.16 CID 7050: the option a de-identifier records when it cleaned burned-in text from the pixels. */
export const CLEAN_PIXEL_DATA_OPTION = { codeValue: '113101', codingScheme: 'DCM', codeMeaning: 'Clean Pixel Data Option' } as const;

const tag = {
  PlanarConfiguration: 0x00280006,
  PixelRepresentation: 0x00280103,
  BitsStored: 0x00280101,
  RedPaletteDescriptor: 0x00281101,
  RedPaletteData: 0x00281201,
  GreenPaletteData: 0x00281202,
  BluePaletteData: 0x00281203,
  LossyImageCompression: 0x00282110,
  ExtendedOffsetTable: 0x7fe00001,
  ExtendedOffsetTableLengths: 0x7fe00002,
  DataSetTrailingPadding: 0xfffcfffc,
} as const;

/** Transfer syntaxes whose frames lost information: the uncompressed copy must still say so (Lossy Image Compression 01). */
const LOSSY = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.203']);

/** Whether every box lies inside an image of `rows` × `columns`. */
export function boxesFit(boxes: readonly MaskBox[], rows: number, columns: number): boolean {
  return boxes.every((b) => b.x >= 0 && b.y >= 0 && b.width >= 1 && b.height >= 1 && b.x + b.width <= columns && b.y + b.height <= rows);
}

/** A fresh UID under the 2.25 arc (random, never derived from the original). */
export function freshUid(): string {
  return uidFromBytes(randomBytes(16));
}

const notMaskable = (message: string) => new AppError('NotMaskable', message);

/**
 * The instance with every box filled in every frame, written uncompressed (Explicit VR Little
 * Endian): compressed frames are decoded first (decode-frame.ts). Monochrome boxes get the
 * value that displays black (the smallest stored value, the largest for MONOCHROME1), palette
 * colour the darkest palette entry, colour all samples 0. YBR_FULL colour (and what a JPEG
 * decoder turns into RGB) is stored as RGB, interleaved. The copy gets a new SOP Instance UID,
 * Burned In Annotation NO, and the Clean Pixel Data Option (113101) in De-identification Method
 * (Code Sequence); everything else is copied as it was.
 */
export async function maskInstance(file: DicomFile, boxes: readonly MaskBox[], sopInstanceUid: string): Promise<Uint8Array> {
  const info = pixelInfo(file);
  if (!info) throw notMaskable('the instance has no image pixels');
  if (info.bitsAllocated !== 8 && info.bitsAllocated !== 16) throw notMaskable(`cannot mask ${info.bitsAllocated}-bit pixels`);
  if (info.samplesPerPixel !== 1 && info.samplesPerPixel !== 3) throw notMaskable(`cannot mask ${info.samplesPerPixel} samples per pixel`);
  if (!boxesFit(boxes, info.rows, info.columns)) throw new AppError('MaskOutOfBounds', `a box lies outside the ${info.columns} × ${info.rows} image`);
  const ts = file.transferSyntax;
  if (!ts.encapsulated && /^YBR_(FULL|PARTIAL)_42[02]$/.test(info.photometric)) throw notMaskable(`cannot mask native ${info.photometric} pixels`);
  if (frameRanges(file).length < info.frames) throw new AppError('CorruptPixelData', 'the pixel data holds fewer frames than Number of Frames says');

  const bytesPerSample = info.bitsAllocated / 8;
  const pixels = info.rows * info.columns;
  const frameLength = pixels * info.samplesPerPixel * bytesPerSample;
  const out = new Uint8Array(frameLength * info.frames + ((frameLength * info.frames) % 2));
  let photometric = info.photometric;
  const fill = info.samplesPerPixel === 1 ? fillValue(file.dataset, info) : 0;

  for (let f = 0; f < info.frames; f++) {
    const decoded = await decodedFrame(file, info, f + 1);
    if (decoded.data.length < frameLength) throw new AppError('CorruptPixelData', `frame ${f + 1} holds ${decoded.data.length} bytes where the image needs ${frameLength}`);
    const frame = out.subarray(f * frameLength, (f + 1) * frameLength);
    if (info.samplesPerPixel === 3) {
      photometric = colourSpace(decoded.photometric, info);
      interleave(decoded, frame, pixels, bytesPerSample);
      if (decoded.photometric === 'YBR_FULL') ybrToRgb(frame);
    } else {
      frame.set(decoded.data.subarray(0, frameLength));
    }
    fillBoxes(frame, info, boxes, fill);
  }
  return writeDicom({ dataset: maskedDataset(file, info, out, photometric, sopInstanceUid), transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN });
}

/** One frame as native little-endian samples, decoded when compressed. */
async function decodedFrame(file: DicomFile, info: PixelInfo, frameNumber: number): Promise<DecodedFrame> {
  const ts = file.transferSyntax;
  const raw = frameBytes(file, frameNumber);
  if (ts.encapsulated) return decodeFrame(ts.uid, raw, info);
  const data = new Uint8Array(raw);
  if (!ts.littleEndian && info.bitsAllocated === 16) {
    for (let i = 0; i + 1 < data.length; i += 2) [data[i], data[i + 1]] = [data[i + 1]!, data[i]!];
  }
  return { data, planar: info.planar, photometric: info.photometric };
}

function colourSpace(decodedPhotometric: string, info: PixelInfo): string {
  if (decodedPhotometric === 'RGB') return 'RGB';
  if (decodedPhotometric === 'YBR_FULL' && info.bitsAllocated === 8) return 'RGB';
  throw notMaskable(`cannot mask ${decodedPhotometric} colour`);
}

/** Colour samples by pixel (R1 G1 B1 R2 …), whatever arrangement the decoder left them in. */
function interleave(frame: DecodedFrame, out: Uint8Array, pixels: number, bytesPerSample: number): void {
  if (!frame.planar) {
    out.set(frame.data.subarray(0, out.length));
    return;
  }
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      for (let b = 0; b < bytesPerSample; b++) out[(p * 3 + c) * bytesPerSample + b] = frame.data[(c * pixels + p) * bytesPerSample + b]!;
    }
  }
}

/** The stored value (as its unsigned bit pattern) that displays black in a one-sample image. */
function fillValue(ds: DicomDataset, info: PixelInfo): number {
  const mask = info.bitsAllocated === 8 ? 0xff : 0xffff;
  if (info.photometric === 'PALETTE COLOR') return darkestPaletteEntry(ds, info) & mask;
  const lowest = info.signed ? -(2 ** (info.bitsStored - 1)) : 0;
  const highest = info.signed ? 2 ** (info.bitsStored - 1) - 1 : 2 ** info.bitsStored - 1;
  return (info.photometric === 'MONOCHROME1' ? highest : lowest) & mask;
}

function darkestPaletteEntry(ds: DicomDataset, info: PixelInfo): number {
  const descriptor = findElement(ds, tag.RedPaletteDescriptor);
  const [entries = 0, first = 0, bits = 16] = descriptor ? readUint16Values(ds, descriptor) : [];
  const table = (t: number) => {
    const e = findElement(ds, t);
    if (!e) throw notMaskable('palette colour image without its lookup tables');
    return bits === 8 && info.bitsAllocated === 8 && e.length === (entries || 65536) ? Array.from(valueBytes(ds, e)) : readUint16Values(ds, e);
  };
  const [r, g, b] = [table(tag.RedPaletteData), table(tag.GreenPaletteData), table(tag.BluePaletteData)];
  let best = 0;
  let bestSum = Infinity;
  for (let i = 0; i < r.length; i++) {
    const sum = (r[i] ?? 0) + (g[i] ?? 0) + (b[i] ?? 0);
    if (sum < bestSum) [best, bestSum] = [i, sum];
  }
  return best + first;
}

function fillBoxes(frame: Uint8Array, info: PixelInfo, boxes: readonly MaskBox[], fill: number): void {
  const bytesPerSample = info.bitsAllocated / 8;
  const pixelBytes = info.samplesPerPixel * bytesPerSample;
  const row = new Uint8Array(Math.max(...boxes.map((b) => b.width)) * pixelBytes);
  for (let i = 0; i < row.length; i += bytesPerSample) {
    row[i] = fill & 0xff;
    if (bytesPerSample === 2) row[i + 1] = fill >> 8;
  }
  for (const box of boxes) {
    for (let y = box.y; y < box.y + box.height; y++) {
      frame.set(row.subarray(0, box.width * pixelBytes), (y * info.columns + box.x) * pixelBytes);
    }
  }
}

const ascii = (text: string) => {
  const padded = text.length % 2 ? `${text} ` : text;
  return new Uint8Array(Buffer.from(padded, 'latin1'));
};

function maskedDataset(file: DicomFile, info: PixelInfo, pixelData: Uint8Array, photometric: string, sopInstanceUid: string): WriteElement[] {
  const ds = file.dataset;
  const dropped = new Set<number>([tag.ExtendedOffsetTable, tag.ExtendedOffsetTableLengths, tag.DataSetTrailingPadding]);
  const output = toWriteDataset(ds).filter((e) => !dropped.has(e.tag) && e.tag >>> 16 !== 0x0002) as WriteElement[];
  const replace = (element: WriteElement) => {
    const index = output.findIndex((e) => e.tag === element.tag);
    if (index >= 0) output.splice(index, 1, element);
    else output.push(element);
  };
  const uid = sopInstanceUid.length % 2 ? `${sopInstanceUid}\0` : sopInstanceUid;
  replace({ tag: Tags.SOPInstanceUID, vr: 'UI', bytes: new Uint8Array(Buffer.from(uid, 'latin1')) });
  replace({ tag: Tags.BurnedInAnnotation, vr: 'CS', bytes: ascii('NO') });
  replace({ tag: Tags.PhotometricInterpretation, vr: 'CS', bytes: ascii(photometric) });
  if (info.samplesPerPixel === 3) replace({ tag: tag.PlanarConfiguration, vr: 'US', bytes: new Uint8Array([0, 0]) });
  if (LOSSY.has(file.transferSyntax.uid) && !findElement(ds, tag.LossyImageCompression)) replace({ tag: tag.LossyImageCompression, vr: 'CS', bytes: ascii('01') });

  // De-identification Method: the option appended to what the profile recorded.
  const method = findElement(ds, Tags.DeidentificationMethod);
  const previous = method ? Buffer.from(valueBytes(ds, method)).toString('latin1').replace(/[\0 ]+$/, '') : '';
  const values = previous ? previous.split('\\') : [];
  if (!values.includes(CLEAN_PIXEL_DATA_OPTION.codeMeaning)) values.push(CLEAN_PIXEL_DATA_OPTION.codeMeaning);
  replace({ tag: Tags.DeidentificationMethod, vr: 'LO', bytes: ascii(values.join('\\')) });
  const codes = output.find((e) => e.tag === Tags.DeidentificationMethodCodeSequence);
  const items = codes && 'items' in codes ? [...codes.items] : [];
  items.push([
    { tag: Tags.CodeValue, vr: 'SH', bytes: ascii(CLEAN_PIXEL_DATA_OPTION.codeValue) },
    { tag: Tags.CodingSchemeDesignator, vr: 'SH', bytes: ascii(CLEAN_PIXEL_DATA_OPTION.codingScheme) },
    { tag: Tags.CodeMeaning, vr: 'LO', bytes: ascii(CLEAN_PIXEL_DATA_OPTION.codeMeaning) },
  ]);
  replace({ tag: Tags.DeidentificationMethodCodeSequence, vr: 'SQ', items });

  replace({ tag: Tags.PixelData, vr: info.bitsAllocated === 8 ? 'OB' : 'OW', bytes: pixelData });
  return output;
}
