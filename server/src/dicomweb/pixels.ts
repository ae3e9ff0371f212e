import { findElement, getAsciiString, readUint16Values, valueBytes, type DicomDataset, type DicomFile } from '@yunzhen/dicom';

import { AppError } from '../errors.js';
import { decodeFrame, decodeRle as decodeRleFrame, RLE_LOSSLESS, type DecodedFrame } from './decode-frame.js';

const tag = {
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  PixelRepresentation: 0x00280103,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  RedPaletteDescriptor: 0x00281101,
  GreenPaletteDescriptor: 0x00281102,
  BluePaletteDescriptor: 0x00281103,
  RedPaletteData: 0x00281201,
  GreenPaletteData: 0x00281202,
  BluePaletteData: 0x00281203,
  ExtendedOffsetTable: 0x7fe00001,
  PixelData: 0x7fe00010,
} as const;

/** Image Pixel module attributes (PS3.3 C.7.6.3) needed to cut frames and render them. */
export interface PixelInfo {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  photometric: string;
  planar: boolean;
  frames: number;
  window?: { center: number; width: number };
  rescale: { slope: number; intercept: number };
}

const uint16 = (ds: DicomDataset, t: number) => {
  const e = findElement(ds, t);
  return e ? readUint16Values(ds, e)[0] : undefined;
};
const firstNumber = (ds: DicomDataset, t: number) => {
  const text = getAsciiString(ds, t)?.split('\\')[0];
  const value = text === undefined || text === '' ? NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
};

export function pixelInfo(file: DicomFile): PixelInfo | undefined {
  const ds = file.dataset;
  const rows = uint16(ds, tag.Rows);
  const columns = uint16(ds, tag.Columns);
  if (!rows || !columns || !findElement(ds, tag.PixelData)) return undefined;
  const center = firstNumber(ds, tag.WindowCenter);
  const width = firstNumber(ds, tag.WindowWidth);
  return {
    rows,
    columns,
    samplesPerPixel: uint16(ds, tag.SamplesPerPixel) ?? 1,
    bitsAllocated: uint16(ds, tag.BitsAllocated) ?? 8,
    bitsStored: uint16(ds, tag.BitsStored) ?? uint16(ds, tag.BitsAllocated) ?? 8,
    signed: uint16(ds, tag.PixelRepresentation) === 1,
    photometric: (getAsciiString(ds, tag.PhotometricInterpretation) ?? 'MONOCHROME2').toUpperCase(),
    planar: uint16(ds, tag.PlanarConfiguration) === 1,
    frames: Math.max(1, Math.floor(firstNumber(ds, tag.NumberOfFrames) ?? 1)),
    window: center !== undefined && width !== undefined && width > 0 ? { center, width } : undefined,
    rescale: { slope: firstNumber(ds, tag.RescaleSlope) ?? 1, intercept: firstNumber(ds, tag.RescaleIntercept) ?? 0 },
  };
}

/**
 * The stored bytes of each frame, as byte ranges of the data set buffer, without copying:
 * native pixel data is cut by frame size; encapsulated pixel data (PS3.5 A.4) is grouped
 * into frames by the Extended Offset Table, the Basic Offset Table, one fragment per frame,
 * or (with neither table) by where a new codestream starts.
 */
export function frameRanges(file: DicomFile): readonly FrameRange[] {
  // Parsed files are immutable and held by the object cache: a viewer reading frame after
  // frame of one instance finds them here instead of regrouping every fragment each time.
  let ranges = frameRangesByFile.get(file);
  if (!ranges) frameRangesByFile.set(file, (ranges = computeFrameRanges(file)));
  return ranges;
}

type FrameRange = { offset: number; length: number }[];
const frameRangesByFile = new WeakMap<DicomFile, readonly FrameRange[]>();

function computeFrameRanges(file: DicomFile): FrameRange[] {
  const ds = file.dataset;
  const pixels = findElement(ds, tag.PixelData);
  const info = pixelInfo(file);
  if (!pixels || !info) return [];
  if (!pixels.fragments) {
    const frameBytes = Math.ceil((info.rows * info.columns * info.samplesPerPixel * info.bitsAllocated) / 8);
    const frames = [];
    for (let i = 0; i < info.frames && (i + 1) * frameBytes <= pixels.length; i++) {
      frames.push([{ offset: pixels.offset + i * frameBytes, length: frameBytes }]);
    }
    return frames;
  }
  const [table, ...fragments] = pixels.fragments;
  if (fragments.length === 0) return [];
  if (info.frames === 1) return [fragments];

  // Offset tables count from the first fragment's item tag (8 bytes before its value).
  const indexByOffset = new Map(fragments.map((fragment, i) => [fragment.offset - fragments[0]!.offset, i]));
  const groupAt = (offsets: number[]) => {
    const starts = offsets.map((o) => indexByOffset.get(o) ?? -1);
    if (starts.some((s) => s < 0)) return undefined;
    return starts.map((start, f) => fragments.slice(start, starts[f + 1] ?? fragments.length));
  };
  const extended = findElement(ds, tag.ExtendedOffsetTable);
  if (extended && extended.length >= 8 * info.frames) {
    const view = new DataView(ds.bytes.buffer, ds.bytes.byteOffset + extended.offset, extended.length);
    const grouped = groupAt(Array.from({ length: info.frames }, (_, i) => Number(view.getBigUint64(i * 8, true))));
    if (grouped) return grouped;
  }
  if (table && table.length >= 4 * info.frames) {
    const view = new DataView(ds.bytes.buffer, ds.bytes.byteOffset + table.offset, table.length);
    const grouped = groupAt(Array.from({ length: info.frames }, (_, i) => view.getUint32(i * 4, true)));
    if (grouped) return grouped;
  }
  if (fragments.length === info.frames) return fragments.map((f) => [f]);
  // No offset table and more fragments than frames: a frame starts where a codestream starts.
  const frames: FrameRange[] = [];
  for (const fragment of fragments) {
    if (frames.length === 0 || (frames.length < info.frames && startsCodestream(ds.bytes, fragment.offset))) frames.push([fragment]);
    else frames[frames.length - 1]!.push(fragment);
  }
  return frames;
}

function startsCodestream(bytes: Uint8Array, at: number): boolean {
  const a = bytes[at];
  const b = bytes[at + 1];
  // JPEG SOI, JPEG 2000 SOC, JP2 signature box length 12, JPEG XL codestream.
  return (a === 0xff && (b === 0xd8 || b === 0x4f || b === 0x0a)) || (a === 0x00 && b === 0x00 && bytes[at + 3] === 0x0c);
}

/** The bytes of one frame (1-based), concatenating its fragments. */
export function frameBytes(file: DicomFile, frameNumber: number): Uint8Array {
  const frame = frameRanges(file)[frameNumber - 1];
  if (!frame) throw new AppError('NotFound', `frame ${frameNumber} not found`);
  if (frame.length === 1) return file.dataset.bytes.subarray(frame[0]!.offset, frame[0]!.offset + frame[0]!.length);
  const out = new Uint8Array(frame.reduce((sum, f) => sum + f.length, 0));
  let at = 0;
  for (const f of frame) {
    out.set(file.dataset.bytes.subarray(f.offset, f.offset + f.length), at);
    at += f.length;
  }
  return out;
}

/** An 8-bit image ready for PNG: 1 (grey) or 3 (RGB) channels. */
export interface RenderedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/**
 * Renders one frame of native or RLE pixel data to 8 bits: monochrome through the stored
 * window (or the frame's min/max) after the modality rescale, MONOCHROME1 inverted, RGB and
 * YBR_FULL as colour, PALETTE COLOR through its lookup tables. Other compressed syntaxes
 * need a codec: use renderFrameAsync, which decodes every syntax in decode-frame.ts.
 */
export function renderFrame(file: DicomFile, frameNumber: number, window?: { center: number; width: number }): RenderedImage {
  const info = pixelInfo(file);
  if (!info) throw new AppError('NotFound', 'the instance has no image');
  const ts = file.transferSyntax;
  const raw = frameBytes(file, frameNumber);
  if (ts.uid === RLE_LOSSLESS) {
    checkRenderable(info);
    return renderPixels(file, info, { data: decodeRleFrame(raw, info), planar: true, photometric: info.photometric }, false, window);
  }
  if (ts.encapsulated) throw new AppError('NotAcceptable', `rendering ${ts.name} needs renderFrameAsync`);
  checkRenderable(info);
  return renderPixels(file, info, { data: raw, planar: info.planar, photometric: info.photometric }, !ts.littleEndian, window);
}

/**
 * renderFrame for every transfer syntax the viewer decodes: compressed frames (RLE, JPEG,
 * JPEG lossless, JPEG-LS, JPEG 2000, HTJ2K) are decoded first (decode-frame.ts, a few at a
 * time). A frame that cannot be decoded throws CorruptPixelData; a syntax without a decoder
 * here (JPEG XL, 12-bit JPEG), NotAcceptable.
 */
export async function renderFrameAsync(file: DicomFile, frameNumber: number, window?: { center: number; width: number }): Promise<RenderedImage> {
  const ts = file.transferSyntax;
  if (!ts.encapsulated || ts.uid === RLE_LOSSLESS) return renderFrame(file, frameNumber, window);
  const info = pixelInfo(file);
  if (!info) throw new AppError('NotFound', 'the instance has no image');
  checkRenderable(info);
  const decoded = await decodeFrame(ts.uid, frameBytes(file, frameNumber), info);
  return renderPixels(file, info, decoded, false, window);
}

function checkRenderable(info: PixelInfo): void {
  if (info.bitsAllocated !== 8 && info.bitsAllocated !== 16) throw new AppError('NotAcceptable', `cannot render ${info.bitsAllocated}-bit pixels`);
}

function renderPixels(file: DicomFile, info: PixelInfo, frame: DecodedFrame, bigEndian: boolean, window: { center: number; width: number } | undefined): RenderedImage {
  const pixels = info.rows * info.columns;
  const bytesPerSample = info.bitsAllocated / 8;
  const raw = frame.data;
  if (raw.length < pixels * info.samplesPerPixel * bytesPerSample) throw new AppError('CorruptPixelData', `frame holds ${raw.length} bytes where the image needs ${pixels * info.samplesPerPixel * bytesPerSample}`);
  const sample = sampleReader(raw, info, bigEndian);

  if (info.samplesPerPixel === 3) {
    const out = new Uint8Array(pixels * 3);
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < 3; c++) {
        const index = frame.planar ? c * pixels + p : p * 3 + c;
        const value = sample(index);
        out[p * 3 + c] = bytesPerSample === 2 ? value >> Math.max(0, info.bitsStored - 8) : value;
      }
    }
    if (frame.photometric === 'YBR_FULL') ybrToRgb(out);
    return { width: info.columns, height: info.rows, channels: 3, data: out };
  }

  if (frame.photometric === 'PALETTE COLOR') {
    const palette = readPalette(file.dataset);
    const out = new Uint8Array(pixels * 3);
    for (let p = 0; p < pixels; p++) {
      const [r, g, b] = palette(sample(p));
      out[p * 3] = r;
      out[p * 3 + 1] = g;
      out[p * 3 + 2] = b;
    }
    return { width: info.columns, height: info.rows, channels: 3, data: out };
  }

  const values = new Float64Array(pixels);
  let min = Infinity;
  let max = -Infinity;
  for (let p = 0; p < pixels; p++) {
    const v = sample(p) * info.rescale.slope + info.rescale.intercept;
    values[p] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const { center, width } = window ?? info.window ?? { center: (min + max) / 2, width: Math.max(1, max - min) };
  const low = center - 0.5 - (width - 1) / 2;
  const span = Math.max(1, width - 1);
  const invert = frame.photometric === 'MONOCHROME1';
  const out = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    // PS3.3 C.11.2.1.2.1 linear VOI function.
    const v = Math.round(Math.min(255, Math.max(0, ((values[p]! - low) / span) * 255)));
    out[p] = invert ? 255 - v : v;
  }
  return { width: info.columns, height: info.rows, channels: 1, data: out };
}

function sampleReader(raw: Uint8Array, info: PixelInfo, bigEndian: boolean): (index: number) => number {
  if (info.bitsAllocated === 8) return (i) => raw[i] ?? 0;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shift = 32 - info.bitsStored;
  return (i) => {
    const stored = view.getUint16(i * 2, !bigEndian);
    // Keep the stored bits; sign-extend when the pixel representation is signed.
    return info.signed ? ((stored << shift) >> shift) : stored & ((1 << info.bitsStored) - 1);
  };
}

/** Full-range YCbCr (YBR_FULL, PS3.3 C.7.6.3.1.2) to RGB in place, 8 bits per sample, interleaved. */
export function ybrToRgb(data: Uint8Array): void {
  for (let i = 0; i + 2 < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - 128;
    const cr = data[i + 2]! - 128;
    data[i] = clamp(y + 1.402 * cr);
    data[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
    data[i + 2] = clamp(y + 1.772 * cb);
  }
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function readPalette(ds: DicomDataset): (index: number) => [number, number, number] {
  const channel = (descriptorTag: number, dataTag: number) => {
    const descriptor = findElement(ds, descriptorTag);
    const data = findElement(ds, dataTag);
    if (!descriptor || !data) throw new AppError('NotAcceptable', 'palette colour image without its lookup tables');
    const [entries = 0, first = 0, bits = 16] = readUint16Values(ds, descriptor);
    const table = bits === 8 ? Array.from(valueBytes(ds, data)) : readUint16Values(ds, data).map((v) => v >> 8);
    const count = entries === 0 ? 65536 : entries;
    return (index: number) => table[Math.max(0, Math.min(count - 1, index - first))] ?? 0;
  };
  const r = channel(tag.RedPaletteDescriptor, tag.RedPaletteData);
  const g = channel(tag.GreenPaletteDescriptor, tag.GreenPaletteData);
  const b = channel(tag.BluePaletteDescriptor, tag.BluePaletteData);
  return (index) => [r(index), g(index), b(index)];
}

/**
 * PS3.5 Annex G (decoded by decode-frame.ts): little-endian output, colour by plane, and
 * `info.planar` set to say so. Corrupt frames throw CorruptPixelData.
 */
export function decodeRle(frame: Uint8Array, info: PixelInfo): Uint8Array {
  const out = decodeRleFrame(frame, info);
  if (info.samplesPerPixel === 3) info.planar = true;
  return out;
}
