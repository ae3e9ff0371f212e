import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { AppError } from '../errors.js';
import type { PixelInfo } from './pixels.js';

/**
 * Decoding of compressed frames on the server, for rendered images and thumbnails (the
 * viewer decodes frames itself; a radiographer's pixel review and the thumbnails are plain
 * `<img>` elements and need the server to do it). The codecs are the viewer's own
 * (Cornerstone's emscripten builds of OpenJPEG, CharLS and libjpeg-turbo, and its JPEG
 * lossless decoder), so both sides show the same pixels; RLE is decoded here by hand.
 */

/** What a decoder needs to know of the image (PS3.3 C.7.6.3). */
export type FrameGeometry = Pick<PixelInfo, 'rows' | 'columns' | 'samplesPerPixel' | 'bitsAllocated' | 'bitsStored' | 'signed' | 'photometric' | 'planar'>;

/**
 * A decoded frame as native little-endian samples of `bitsAllocated` bits, with the
 * arrangement and colour space the decoder left them in (JPEG colour comes out RGB,
 * interleaved; RLE colour by plane).
 */
export interface DecodedFrame {
  data: Uint8Array;
  planar: boolean;
  photometric: string;
}

export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.57';
const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
const JPEG_LS_LOSSLESS = '1.2.840.10008.1.2.4.80';
const JPEG_LS_NEAR_LOSSLESS = '1.2.840.10008.1.2.4.81';
const JPEG_2000_LOSSLESS = '1.2.840.10008.1.2.4.90';
const JPEG_2000 = '1.2.840.10008.1.2.4.91';
const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';
const HTJ2K_LOSSLESS_RPCL = '1.2.840.10008.1.2.4.202';
const HTJ2K = '1.2.840.10008.1.2.4.203';

type Codec = 'openjpeg' | 'charls' | 'libjpeg-turbo' | 'jpeg-lossless' | 'rle';

const codecOf: Record<string, Codec> = {
  [RLE_LOSSLESS]: 'rle',
  [JPEG_BASELINE]: 'libjpeg-turbo',
  [JPEG_EXTENDED]: 'libjpeg-turbo',
  [JPEG_LOSSLESS]: 'jpeg-lossless',
  [JPEG_LOSSLESS_SV1]: 'jpeg-lossless',
  [JPEG_LS_LOSSLESS]: 'charls',
  [JPEG_LS_NEAR_LOSSLESS]: 'charls',
  [JPEG_2000_LOSSLESS]: 'openjpeg',
  [JPEG_2000]: 'openjpeg',
  // OpenJPEG 2.5 decodes High-Throughput JPEG 2000 (Part 15) codestreams as well.
  [HTJ2K_LOSSLESS]: 'openjpeg',
  [HTJ2K_LOSSLESS_RPCL]: 'openjpeg',
  [HTJ2K]: 'openjpeg',
};

/** Whether frames of this encapsulated transfer syntax can be decoded here. */
export function canDecode(transferSyntaxUid: string): boolean {
  return transferSyntaxUid in codecOf;
}

const corrupt = (message: string, cause?: unknown) => new AppError('CorruptPixelData', message, cause === undefined ? undefined : { cause });

/**
 * Decodes one frame. Decoding is CPU work on the request path: at most
 * MAX_CONCURRENT_DECODES run at once, the rest wait their turn, and each yields to the event
 * loop first, so a page of a thousand thumbnails queues instead of starving other requests.
 * A frame that cannot be decoded throws CorruptPixelData; a syntax with no decoder here,
 * NotAcceptable.
 */
export async function decodeFrame(transferSyntaxUid: string, frame: Uint8Array, geometry: FrameGeometry): Promise<DecodedFrame> {
  const codec = codecOf[transferSyntaxUid];
  if (!codec) throw new AppError('NotAcceptable', `frames of transfer syntax ${transferSyntaxUid} are decoded by the viewer only`);
  if (geometry.bitsAllocated !== 8 && geometry.bitsAllocated !== 16) throw new AppError('NotAcceptable', `cannot decode ${geometry.bitsAllocated}-bit pixels`);
  if (codec === 'rle') return { data: decodeRle(frame, geometry), planar: true, photometric: geometry.photometric };
  await acquireDecodeSlot();
  try {
    await new Promise<void>((resolve) => setImmediate(resolve));
    switch (codec) {
      case 'openjpeg':
        return await decodeJpeg2000(frame, geometry);
      case 'charls':
        return await decodeWithEmscripten('charls', frame, geometry, jpegHeader(frame, geometry, 'JPEG-LS'), geometry.photometric);
      case 'libjpeg-turbo': {
        const header = jpegHeader(frame, geometry, 'JPEG');
        if (header.precision === 12 && header.components === 1 && geometry.bitsAllocated === 16) return await decodeJpeg12(frame, geometry);
        if (header.precision > 8) throw new AppError('NotAcceptable', `${header.precision}-bit colour JPEG is decoded by the viewer only`);
        // libjpeg converts YCbCr to RGB as it decodes (ISO 10918-1 with JFIF colour).
        return await decodeWithEmscripten('libjpeg-turbo', frame, geometry, header, geometry.samplesPerPixel === 3 ? 'RGB' : geometry.photometric);
      }
      case 'jpeg-lossless':
        return await decodeJpegLossless(frame, geometry);
    }
  } finally {
    releaseDecodeSlot();
  }
}

// --- Concurrency -------------------------------------------------------------------------

export const MAX_CONCURRENT_DECODES = 2;
let activeDecodes = 0;
const waitingDecodes: (() => void)[] = [];

function acquireDecodeSlot(): Promise<void> {
  if (activeDecodes < MAX_CONCURRENT_DECODES) {
    activeDecodes++;
    return Promise.resolve();
  }
  return new Promise((resolve) => waitingDecodes.push(resolve));
}

/** Hands the slot straight to the next waiter, so a newcomer cannot overtake the queue. */
function releaseDecodeSlot(): void {
  const next = waitingDecodes.shift();
  if (next) next();
  else activeDecodes--;
}

/** Decodes running and waiting, for tests and metrics. */
export function decodeQueue(): { active: number; waiting: number } {
  return { active: activeDecodes, waiting: waitingDecodes.length };
}

// --- RLE (PS3.5 Annex G) -----------------------------------------------------------------

const RLE_HEADER_BYTES = 64;
const RLE_MAX_SEGMENTS = 15;

/**
 * RLE Lossless (PS3.5 Annex G), written here: no maintained npm package decodes just DICOM
 * RLE (the viewer's copy lives inside Cornerstone's image loader), and the format is a
 * 64-byte header and PackBits. The header holds the number of segments, one per byte plane
 * of each sample (most significant byte first), and their offsets; each segment decodes to
 * exactly Rows × Columns bytes. Output is little-endian, colour by plane (PS3.5 G.2).
 * Refuses, with CorruptPixelData, a header that lists the wrong number of segments, offsets
 * out of order or past the end, and segments that end before their bytes are complete; a
 * segment's trailing pad byte (odd lengths, G.5) and anything else after its last pixel is
 * ignored. Work and output are bounded by the image size: no input makes it loop or overrun.
 */
export function decodeRle(frame: Uint8Array, geometry: Pick<FrameGeometry, 'rows' | 'columns' | 'samplesPerPixel' | 'bitsAllocated'>): Uint8Array {
  const bytesPerSample = Math.ceil(geometry.bitsAllocated / 8);
  const expectedSegments = bytesPerSample * geometry.samplesPerPixel;
  if (frame.length < RLE_HEADER_BYTES) throw corrupt(`the RLE frame is ${frame.length} bytes, shorter than its 64-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments > RLE_MAX_SEGMENTS) throw corrupt(`the RLE header lists ${segments} segments, more than the 15 it can hold`);
  if (segments !== expectedSegments) throw corrupt(`the RLE header lists ${segments} segments where the image needs ${expectedSegments}`);
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) {
    const offset = view.getUint32(4 + s * 4, true);
    if (offset < RLE_HEADER_BYTES || offset >= frame.length) throw corrupt(`RLE segment ${s + 1} starts at byte ${offset}, outside the ${frame.length}-byte frame`);
    if (s > 0 && offset <= offsets[s - 1]!) throw corrupt(`RLE segment ${s + 1} starts at byte ${offset}, not after segment ${s}`);
    offsets.push(offset);
  }
  const pixels = geometry.rows * geometry.columns;
  const out = new Uint8Array(pixels * expectedSegments);
  for (let s = 0; s < segments; s++) {
    const sample = Math.floor(s / bytesPerSample);
    const byteIndex = bytesPerSample - 1 - (s % bytesPerSample); // segments run most to least significant
    const end = s + 1 < segments ? offsets[s + 1]! : frame.length;
    const planeStart = sample * pixels;
    let position = offsets[s]!;
    let pixel = 0;
    while (pixel < pixels) {
      if (position >= end) throw corrupt(`RLE segment ${s + 1} ends after ${pixel} of its ${pixels} bytes`);
      const header = (frame[position++]! << 24) >> 24;
      if (header >= 0) {
        // Literal run: the next header + 1 bytes as they are.
        const count = Math.min(header + 1, pixels - pixel);
        if (position + count > end) throw corrupt(`RLE segment ${s + 1} ends inside a literal run`);
        for (let i = 0; i < count; i++) out[(planeStart + pixel++) * bytesPerSample + byteIndex] = frame[position++]!;
        position += header + 1 - count; // bytes past the last pixel (malformed but harmless) are skipped
      } else if (header !== -128) {
        // Replicate run: the next byte 1 - header times.
        if (position >= end) throw corrupt(`RLE segment ${s + 1} ends inside a replicate run`);
        const value = frame[position++]!;
        const count = Math.min(1 - header, pixels - pixel);
        for (let i = 0; i < count; i++) out[(planeStart + pixel++) * bytesPerSample + byteIndex] = value;
      }
      // -128 is a no-op (G.3.1).
    }
  }
  return out;
}

// --- Emscripten codecs -------------------------------------------------------------------

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** The embind decoder classes of the Cornerstone codecs share this shape. */
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

type WasmModule = Record<string, unknown> & { getExceptionMessage?: (pointer: number) => string };
type WasmFactory = (options: Record<string, unknown>) => Promise<WasmModule>;

const require = createRequire(import.meta.url);

/** The decode-only builds, in their Node (CommonJS) form; each finds its .wasm beside itself. */
const wasmCodecs = {
  openjpeg: { entry: '@cornerstonejs/codec-openjpeg/decodewasmjs', decoder: 'J2KDecoder' },
  charls: { entry: '@cornerstonejs/codec-charls/decodewasmjs', decoder: 'JpegLSDecoder' },
  'libjpeg-turbo': { entry: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', decoder: 'JPEGDecoder' },
} as const;
type WasmCodec = keyof typeof wasmCodecs;

const loaded = new Map<WasmCodec, Promise<WasmModule>>();

/** Each codec is loaded on first use, once; a failed load or a crashed instance is dropped and loaded again next time. */
function loadCodec(codec: WasmCodec): Promise<WasmModule> {
  let module = loaded.get(codec);
  if (!module) {
    const factory = require(wasmCodecs[codec].entry) as WasmFactory;
    // OpenJPEG reports progress on stdout and problems on stderr: errors reach the caller instead.
    module = factory({ print: () => {}, printErr: () => {} });
    module.catch(() => loaded.delete(codec));
    loaded.set(codec, module);
  }
  return module;
}

async function decodeWithEmscripten(codec: WasmCodec, codestream: Uint8Array, geometry: FrameGeometry, header: CodestreamHeader, photometric: string): Promise<DecodedFrame> {
  const module = await loadCodec(codec);
  const Decoder = module[wasmCodecs[codec].decoder] as new () => WasmDecoder;
  let decoder: WasmDecoder | undefined;
  let info: FrameInfo;
  let decoded: Uint8Array;
  try {
    decoder = new Decoder();
    decoder.getEncodedBuffer(codestream.length).set(codestream);
    decoder.decode();
    info = decoder.getFrameInfo();
    decoded = decoder.getDecodedBuffer().slice(); // copied out of the codec's memory before it is reused
  } catch (error) {
    // A C++ exception arrives as a pointer number; anything thrown may have left the instance
    // in a bad state (an emscripten abort), so the next frame gets a fresh one.
    loaded.delete(codec);
    const message = typeof error === 'number' && module.getExceptionMessage ? safely(() => module.getExceptionMessage!(error)) : error instanceof Error ? error.message : String(error);
    throw corrupt(`the ${header.kind} codestream cannot be decoded: ${message}`, error);
  } finally {
    safely(() => decoder?.delete());
  }
  if (info.width === 0 || info.height === 0) throw corrupt(`the ${header.kind} codestream cannot be decoded (damaged or cut short)`);
  if (info.width !== geometry.columns || info.height !== geometry.rows || info.componentCount !== geometry.samplesPerPixel) {
    throw corrupt(`the ${header.kind} codestream decoded to ${info.width}×${info.height}×${info.componentCount}, not ${geometry.columns}×${geometry.rows}×${geometry.samplesPerPixel}`);
  }
  return { data: toAllocatedBits(decoded, info.bitsPerSample > 8 ? 2 : 1, geometry, header.kind), planar: false, photometric };
}

function safely<T>(action: () => T): T | undefined {
  try {
    return action();
  } catch {
    return undefined;
  }
}

/** Decoders give 8-bit output for precision up to 8 and 16-bit above; DICOM may allocate 16 bits for 8 stored. */
function toAllocatedBits(decoded: Uint8Array, decodedBytesPerSample: 1 | 2, geometry: FrameGeometry, kind: string): Uint8Array {
  const samples = geometry.rows * geometry.columns * geometry.samplesPerPixel;
  const bytesPerSample = geometry.bitsAllocated / 8;
  if (decoded.length < samples * decodedBytesPerSample) throw corrupt(`the ${kind} codestream decoded to ${decoded.length} bytes, short of the ${samples * decodedBytesPerSample} the image needs`);
  if (decodedBytesPerSample === bytesPerSample) return decoded.length === samples * bytesPerSample ? decoded : decoded.subarray(0, samples * bytesPerSample);
  if (decodedBytesPerSample === 1) {
    const out = new Uint8Array(samples * 2);
    for (let i = 0; i < samples; i++) out[i * 2] = decoded[i]!;
    return out;
  }
  throw corrupt(`the ${kind} codestream holds samples of more than 8 bits where the image allocates 8`);
}

async function decodeJpeg2000(frame: Uint8Array, geometry: FrameGeometry): Promise<DecodedFrame> {
  const { codestream, header } = jpeg2000Header(frame, geometry);
  // The colour transform of the codestream (YBR_RCT, YBR_ICT) is undone by the decoder.
  const photometric = geometry.photometric === 'YBR_RCT' || geometry.photometric === 'YBR_ICT' ? 'RGB' : geometry.photometric;
  return decodeWithEmscripten('openjpeg', codestream, geometry, header, photometric);
}

// --- JPEG lossless (ISO 10918-1 process 14) ----------------------------------------------

type LosslessDecoder = new () => { decode(buffer?: ArrayBuffer, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array };
let losslessDecoder: Promise<LosslessDecoder> | undefined;

async function decodeJpegLossless(frame: Uint8Array, geometry: FrameGeometry): Promise<DecodedFrame> {
  jpegHeader(frame, geometry, 'JPEG lossless');
  losslessDecoder ??= import('@cornerstonejs/jpeg-lossless-decoder-js').then((m) => m.Decoder as LosslessDecoder);
  const Decoder = await losslessDecoder;
  const bytesPerSample = geometry.bitsAllocated / 8;
  let decoded: Uint8Array | Uint16Array;
  try {
    decoded = new Decoder().decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.byteLength, bytesPerSample);
  } catch (error) {
    throw corrupt(`the JPEG lossless codestream cannot be decoded: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const bytes = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  return { data: toAllocatedBits(bytes, bytesPerSample as 1 | 2, geometry, 'JPEG lossless'), planar: false, photometric: geometry.photometric };
}

interface Jpeg12Image {
  parse(data: Uint8Array): void;
  colorTransform: boolean;
  getData16(width: number, height: number): Uint16Array;
}
let jpeg12Decoder: Promise<new () => Jpeg12Image> | undefined;

/**
 * 12-bit lossy JPEG (Extended, …4.51; old XA and CT, often secondary captures held for pixel
 * review). The libjpeg-turbo build is 8-bit only; the viewer decodes these with the pdf.js
 * JPEG decoder inside Cornerstone's image loader, and so does the server. That package does
 * not export the file, so it is found beside the package's entry point.
 */
async function decodeJpeg12(frame: Uint8Array, geometry: FrameGeometry): Promise<DecodedFrame> {
  jpeg12Decoder ??= import(pathToFileURL(join(dirname(require.resolve('@cornerstonejs/dicom-image-loader')), 'codecs/jpeg.js')).href).then(
    (m: { default: new () => Jpeg12Image }) => m.default,
  );
  const JpegImage = await jpeg12Decoder;
  let samples: Uint16Array;
  try {
    const image = new JpegImage();
    image.parse(frame);
    image.colorTransform = false;
    samples = image.getData16(geometry.columns, geometry.rows);
  } catch (error) {
    throw corrupt(`the 12-bit JPEG codestream cannot be decoded: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  return { data: new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), planar: false, photometric: geometry.photometric };
}

// --- Codestream headers ------------------------------------------------------------------

/**
 * The frame size a codestream declares, read before decoding: a codestream that disagrees
 * with Rows and Columns is refused before a decoder allocates for whatever size it claims.
 */
interface CodestreamHeader {
  kind: string;
  width: number;
  height: number;
  components: number;
  precision: number;
}

const u16be = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u32be = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

function checkSize(header: CodestreamHeader, geometry: FrameGeometry): CodestreamHeader {
  // JPEG may leave the height to a later DNL marker (height 0).
  if (header.width !== geometry.columns || (header.height !== 0 && header.height !== geometry.rows) || header.components !== geometry.samplesPerPixel) {
    throw corrupt(`the ${header.kind} codestream is ${header.width}×${header.height}×${header.components}, not ${geometry.columns}×${geometry.rows}×${geometry.samplesPerPixel}`);
  }
  return header;
}

/** ISO 10918-1 B.2 / ISO 14495-1: SOI, marker segments, then the frame header (SOFn or SOF55). */
function jpegHeader(frame: Uint8Array, geometry: FrameGeometry, kind: string): CodestreamHeader {
  if (u16be(frame, 0) !== 0xffd8) throw corrupt(`the ${kind} frame does not start with an SOI marker`);
  let position = 2;
  while (position + 4 <= frame.length) {
    if (frame[position] !== 0xff) throw corrupt(`the ${kind} marker segments are malformed`);
    const marker = frame[position + 1]!;
    if (marker === 0xff) {
      position++;
      continue;
    }
    const isFrameHeader = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (isFrameHeader) {
      if (position + 10 > frame.length) break;
      return checkSize({ kind, precision: frame[position + 4]!, height: u16be(frame, position + 5), width: u16be(frame, position + 7), components: frame[position + 9]! }, geometry);
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image or start of scan before any frame header
    position += 2 + u16be(frame, position + 2);
  }
  throw corrupt(`the ${kind} frame has no frame header`);
}

/** ISO 15444-1 A.5.1: SOC, then SIZ; a JP2 file (out of conformance, met in practice) is unwrapped to its codestream. */
function jpeg2000Header(frame: Uint8Array, geometry: FrameGeometry): { codestream: Uint8Array; header: CodestreamHeader } {
  let start = 0;
  if (frame.length >= 8 && u32be(frame, 0) === 0x0000000c && u32be(frame, 4) === 0x6a502020) {
    start = -1;
    for (let i = 8; i + 4 <= Math.min(frame.length, 4096); i++) {
      if (u32be(frame, i) === 0xff4fff51) {
        start = i;
        break;
      }
    }
    if (start < 0) throw corrupt('the JP2 file has no JPEG 2000 codestream');
  }
  if (frame.length < start + 42 || u32be(frame, start) !== 0xff4fff51) throw corrupt('the frame does not start with a JPEG 2000 SOC and SIZ marker');
  const header = checkSize(
    {
      kind: 'JPEG 2000',
      width: u32be(frame, start + 8) - u32be(frame, start + 16),
      height: u32be(frame, start + 12) - u32be(frame, start + 20),
      components: u16be(frame, start + 40),
      precision: ((frame[start + 42] ?? 0) & 0x7f) + 1,
    },
    geometry,
  );
  return { codestream: start === 0 ? frame : frame.subarray(start), header };
}
