import { findElement, getAsciiString, readAsciiString, readUint16Values, type DicomDataset, type DicomElement } from './dataset.js';
import { keywordOf } from './dictionary.js';
import { DicomError } from './errors.js';
import { resolveLimits, type DicomLimits } from './limits.js';
import type { DicomFile } from './parse.js';
import { formatTag, isPrivateTag, Tags, type Tag } from './tags.js';
import { isValidUid } from './uid.js';
import { maxValueBytes } from './vr.js';

/**
 * `ingest` (the default) is everything the archive needs: the identifying UIDs must be present,
 * and pixel data must come with a complete, consistent geometry. `instance` is the same except
 * that a missing Study or Series Instance UID is allowed, for `anonymize` to derive (images
 * exported by some tools carry only SOP Class and SOP Instance UIDs). `structure` is for tools that
 * only de-identify files (test data, fragments of studies): missing UIDs are allowed, and pixel
 * data without Rows and Columns is not checked; everything present is still validated.
 */
export type ValidationLevel = 'ingest' | 'instance' | 'structure';

/**
 * What the archive accepts on upload; pre-scans use it too, so they refuse exactly what ingest
 * refuses. Every identifying UID must be present: a file cut short after its SOP UIDs must be
 * refused, not stored under invented Study and Series UIDs.
 */
export const archiveValidation: ValidationLevel = 'ingest';

/** Pixel matrix facts established by validation. */
export interface PixelGeometry {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly numberOfFrames: number;
  /** Rows × Columns × Samples × Bits Allocated / 8 × Frames, the size once decoded. */
  readonly decodedBytes: number;
}

const describe = (tag: Tag) => `${keywordOf(tag) ?? 'element'} ${formatTag(tag)}`;

/**
 * Checks what ingest needs beyond a well-formed structure (which `parseDicom` already checked):
 * value lengths of the ASCII-only VRs everywhere in the data set, the identifying UIDs (present
 * and conformant to PS3.5 9.1), and the pixel geometry including the first compressed frame's
 * header. Returns the pixel geometry, or undefined when there is no pixel data. Reads only
 * headers: pixel bytes are never scanned beyond the first frame's codestream header.
 */
export function validateForIngest(file: DicomFile, limits?: Partial<DicomLimits>, level: ValidationLevel = 'ingest'): PixelGeometry | undefined {
  const resolved = resolveLimits(limits);
  checkValueLengths(file.dataset);
  checkIdentifyingUids(file.dataset, level === 'ingest' ? identifyingUids : level === 'instance' ? instanceUids : []);
  if (level === 'structure' && (findElement(file.dataset, Tags.Rows) === undefined || findElement(file.dataset, Tags.Columns) === undefined)) return undefined;
  if (level !== 'structure') checkPixelDataPresent(file.dataset);
  return checkPixelGeometry(file, resolved);
}

/**
 * Storage SOP classes whose IODs require the Image Pixel module (PS3.3 A; PS3.4 B.5): CR, DX,
 * MG, IO, CT, US, MR, SC, XA, RF, 3D X-ray, NM, VL and ophthalmic photography, PET, RT Image,
 * segmentation and parametric maps. Without Pixel Data such an instance is incomplete, usually a
 * file cut short, and an archive must not keep it as if it were the image.
 */
const imageStorageSopClasses = new Set(
  [
    '1', '1.1', '1.1.1', '1.2', '1.2.1', '1.3', '1.3.1', '2', '2.1', '2.2', '3.1', '4', '4.1', '4.3', '4.4', '6.1', '6.2', '7', '7.1', '7.2', '7.3', '7.4',
    '12.1', '12.1.1', '12.2', '12.2.1', '13.1.1', '13.1.2', '13.1.3', '13.1.4', '13.1.5', '14.1', '14.2', '20', '30', '66.4',
    '77.1.1', '77.1.1.1', '77.1.2', '77.1.2.1', '77.1.3', '77.1.4', '77.1.4.1', '77.1.5.1', '77.1.5.2', '77.1.5.4', '77.1.6', '128', '128.1', '130', '481.1',
  ].map((suffix) => `1.2.840.10008.5.1.4.1.1.${suffix}`),
);

function checkPixelDataPresent(dataset: DicomDataset): void {
  const sopClass = getAsciiString(dataset, Tags.SOPClassUID) ?? '';
  if (imageStorageSopClasses.has(sopClass) && pixelDataElement(dataset) === undefined) {
    throw new DicomError('MissingPixelData', `${keywordOf(Tags.SOPClassUID)} is an image storage class but Pixel Data (7FE0,0010) is absent`, { tag: formatTag(Tags.PixelData) });
  }
}

/**
 * Values of the ASCII-repertoire VRs that this package interprets or keeps as identifiers (AE, AS,
 * CS, DA, DT, TM, UI) must fit their maximum length (PS3.5 Table 6.2-1): an over-long date or UID
 * is a sign of a broken or hostile writer, and other tools truncate or refuse it. Numbers as text
 * (DS, IS) are not held to it: over-long ones are common from real scanners and harmless here.
 * Private elements are skipped: they are removed, or kept only when listed as safe.
 */
function checkValueLengths(root: DicomDataset): void {
  const pending: DicomDataset[] = [root];
  while (pending.length > 0) {
    const dataset = pending.pop()!;
    const bytes = dataset.bytes;
    for (const element of dataset.elements) {
      if (element.items !== undefined) {
        for (const item of element.items) pending.push(item); // a spread overflows the stack on huge sequences
        continue;
      }
      if (isPrivateTag(element.tag) || element.vr === 'DS' || element.vr === 'IS') continue;
      const limit = maxValueBytes[element.vr];
      if (limit === undefined || element.length <= limit) continue;
      let valueStart = element.offset;
      const end = element.offset + element.length;
      for (let position = element.offset; position <= end; position++) {
        if (position === end || bytes[position] === 0x5c) {
          let valueEnd = position;
          while (valueEnd > valueStart && (bytes[valueEnd - 1] === 0x20 || bytes[valueEnd - 1] === 0x00)) valueEnd--;
          if (valueEnd - valueStart > limit) {
            throw new DicomError('InvalidValue', `${describe(element.tag)}: a ${element.vr} value is longer than ${limit} bytes`, { tag: formatTag(element.tag) });
          }
          valueStart = position + 1;
        }
      }
    }
  }
}

const identifyingUids = [Tags.SOPClassUID, Tags.SOPInstanceUID, Tags.StudyInstanceUID, Tags.SeriesInstanceUID] as const;
/** What makes an instance an instance; Study and Series UIDs can be derived (see `anonymize`). */
const instanceUids = [Tags.SOPClassUID, Tags.SOPInstanceUID] as const;

function checkIdentifyingUids(dataset: DicomDataset, required: readonly Tag[]): void {
  for (const tag of identifyingUids) {
    const value = getAsciiString(dataset, tag) ?? '';
    if (value === '') {
      if (required.includes(tag)) throw new DicomError('MissingRequiredUid', `${describe(tag)} is missing or empty`, { tag: formatTag(tag) });
      continue;
    }
    if (!isValidUid(value)) throw new DicomError('InvalidUid', `${describe(tag)} does not conform to PS3.5 9.1`, { tag: formatTag(tag) });
  }
}

function readSingleUs(dataset: DicomDataset, tag: Tag, fallback?: number): number {
  const element = findElement(dataset, tag);
  if (element === undefined || element.length === 0) {
    if (fallback !== undefined) return fallback;
    throw new DicomError('ImpossiblePixelGeometry', `${describe(tag)} is missing`, { tag: formatTag(tag) });
  }
  const values = element.vr === 'US' || element.vr === 'SS' || element.vr === 'UN' || element.vr === 'OW' ? readUint16Values(dataset, element) : [];
  if (values.length !== 1) throw new DicomError('ImpossiblePixelGeometry', `${describe(tag)} must hold exactly one US value`, { tag: formatTag(tag) });
  return values[0]!;
}

/** Number of Frames (IS): absent means one frame; anything but a positive integer is invalid. */
function readNumberOfFrames(dataset: DicomDataset): number {
  const element = findElement(dataset, Tags.NumberOfFrames);
  if (element === undefined) return 1;
  const text = readAsciiString(dataset, element);
  if (text === '') return 1;
  if (!/^[+]?\d{1,12}$/.test(text)) {
    throw new DicomError('InvalidValue', `${describe(Tags.NumberOfFrames)} is not an integer string`, { tag: formatTag(Tags.NumberOfFrames) });
  }
  return Number(text);
}

function pixelDataElement(dataset: DicomDataset): DicomElement | undefined {
  return findElement(dataset, Tags.PixelData) ?? findElement(dataset, Tags.FloatPixelData) ?? findElement(dataset, Tags.DoubleFloatPixelData);
}

/**
 * Rows × Columns × Samples × Bits × Frames must describe a real image, fit the limits, and (for
 * native pixel data) match the value length exactly; all sizes are computed as numbers before
 * anything is allocated. For encapsulated pixel data the decoded size is bounded instead.
 */
function checkPixelGeometry(file: DicomFile, limits: DicomLimits): PixelGeometry | undefined {
  const dataset = file.dataset;
  const pixelData = pixelDataElement(dataset);
  if (pixelData === undefined) return undefined;
  const fail = (message: string): never => {
    throw new DicomError('ImpossiblePixelGeometry', message, { tag: formatTag(pixelData.tag) });
  };
  const rows = readSingleUs(dataset, Tags.Rows);
  const columns = readSingleUs(dataset, Tags.Columns);
  const samplesPerPixel = readSingleUs(dataset, Tags.SamplesPerPixel, 1);
  const defaultBits = pixelData.tag === Tags.FloatPixelData ? 32 : pixelData.tag === Tags.DoubleFloatPixelData ? 64 : undefined;
  const bitsAllocated = readSingleUs(dataset, Tags.BitsAllocated, defaultBits);
  const numberOfFrames = readNumberOfFrames(dataset);
  if (rows === 0 || columns === 0) fail('Rows and Columns must be at least 1');
  if (samplesPerPixel < 1 || samplesPerPixel > 4) fail(`Samples per Pixel ${samplesPerPixel} is not 1 to 4`);
  if (![1, 8, 16, 32, 64].includes(bitsAllocated)) fail(`Bits Allocated ${bitsAllocated} is not 1, 8, 16, 32 or 64`);
  if (numberOfFrames < 1) fail('Number of Frames must be at least 1');
  if (numberOfFrames > limits.maxFrames) fail(`${numberOfFrames} frames is over the ${limits.maxFrames}-frame limit`);
  const decodedBytes = Math.ceil((rows * columns * samplesPerPixel * bitsAllocated * numberOfFrames) / 8);
  const geometry: PixelGeometry = { rows, columns, samplesPerPixel, bitsAllocated, numberOfFrames, decodedBytes };

  if (pixelData.fragments === undefined) {
    if (decodedBytes > limits.maxDecodedPixelBytes) fail(`${decodedBytes} bytes of pixels is over the ${limits.maxDecodedPixelBytes}-byte limit`);
    // YBR_FULL_422 stores two samples per pixel in native form (PS3.3 C.7.6.3.1.2).
    const photometric = getAsciiString(dataset, Tags.PhotometricInterpretation);
    const expected = photometric === 'YBR_FULL_422' && samplesPerPixel === 3 ? Math.ceil((decodedBytes * 2) / 3) : decodedBytes;
    if (pixelData.length !== expected && pixelData.length !== expected + (expected & 1)) {
      fail(`pixel data holds ${pixelData.length} bytes where the geometry needs ${expected}`);
    }
    return geometry;
  }

  if (decodedBytes > limits.maxDecodedPixelBytes) {
    throw new DicomError('DecompressionBomb', `frames would decode to ${decodedBytes} bytes, over the ${limits.maxDecodedPixelBytes}-byte limit`, { tag: formatTag(pixelData.tag) });
  }
  const dataFragments = pixelData.fragments.slice(1);
  const codestream = file.transferSyntax.codestream;
  if (codestream !== 'video' && dataFragments.length < numberOfFrames) {
    fail(`${numberOfFrames} frames but only ${dataFragments.length} pixel data fragments`);
  }
  const first = dataFragments[0];
  if (first === undefined) {
    throw new DicomError('CorruptPixelData', 'encapsulated pixel data holds no fragment after the Basic Offset Table', { tag: formatTag(pixelData.tag) });
  }
  checkCodestreamHeader(dataset.bytes.subarray(first.offset, first.offset + first.length), codestream, geometry);
  return geometry;
}

const corrupt = (message: string): never => {
  throw new DicomError('CorruptPixelData', message, { tag: formatTag(Tags.PixelData) });
};

const u16be = (bytes: Uint8Array, offset: number) => (bytes[offset]! << 8) | bytes[offset + 1]!;
const u32be = (bytes: Uint8Array, offset: number) => ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
const u32le = (bytes: Uint8Array, offset: number) => (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;

/**
 * Checks that the first fragment starts the codestream the transfer syntax announces and that
 * its frame size agrees with Rows and Columns. A codestream that disagrees cannot be displayed
 * as the header describes it, and a structurally valid file can still carry one (for example a
 * sequence delimiter pasted into the codestream). Only header bytes are read.
 */
function checkCodestreamHeader(fragment: Uint8Array, kind: string | undefined, geometry: PixelGeometry): void {
  const mismatch = (width: number, height: number) => {
    if (width !== geometry.columns || (height !== 0 && height !== geometry.rows)) {
      corrupt(`the first frame's codestream is ${width}×${height}, not ${geometry.columns}×${geometry.rows}`);
    }
  };
  switch (kind) {
    case 'jpeg': {
      // JPEG (ISO 10918-1 B.2) and JPEG-LS (ISO 14495-1, SOF55) start with SOI, then marker segments up to the frame header.
      if (u16be(fragment, 0) !== 0xffd8) corrupt('the first fragment does not start with a JPEG SOI marker');
      let position = 2;
      while (position + 9 <= fragment.length) {
        if (fragment[position] !== 0xff) corrupt('JPEG marker segments are malformed');
        const marker = fragment[position + 1]!;
        if (marker === 0xff) {
          position++;
          continue;
        }
        const isFrameHeader = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
        if (isFrameHeader) {
          mismatch(u16be(fragment, position + 7), u16be(fragment, position + 5));
          return;
        }
        position += 2 + u16be(fragment, position + 2);
      }
      return; // The frame header lies beyond the first fragment; nothing more to check here.
    }
    case 'jpeg2000': {
      // A raw codestream (ISO 15444-1 A.5.1: SOC then SIZ), or, out of conformance but met in practice, a JP2 file.
      let start = 0;
      if (u32be(fragment, 0) === 0x0000000c && u32be(fragment, 4) === 0x6a502020) {
        start = -1;
        for (let i = 8; i + 4 <= Math.min(fragment.length, 4096); i++) {
          if (u32be(fragment, i) === 0xff4fff51) {
            start = i;
            break;
          }
        }
        if (start < 0) corrupt('the JP2 file in the first fragment has no codestream header');
      }
      if (fragment.length < start + 24 || u32be(fragment, start) !== 0xff4fff51) corrupt('the first fragment does not start with a JPEG 2000 SOC and SIZ marker');
      const width = u32be(fragment, start + 8) - u32be(fragment, start + 16);
      const height = u32be(fragment, start + 12) - u32be(fragment, start + 20);
      mismatch(width, height);
      return;
    }
    case 'rle': {
      // PS3.5 G.3.1: a 64-byte header, segment count, then offsets; one segment per byte of each sample.
      if (fragment.length < 64) corrupt('the RLE header is shorter than 64 bytes');
      const segments = u32le(fragment, 0);
      const expected = geometry.samplesPerPixel * Math.ceil(geometry.bitsAllocated / 8);
      if (segments !== expected || u32le(fragment, 4) !== 64) corrupt(`the RLE header lists ${segments} segments where ${expected} are needed`);
      return;
    }
    case 'jpegxl': {
      // ISO 18181-2: a bare codestream starts with FF 0A, the container with a 12-byte signature box.
      const bare = fragment[0] === 0xff && fragment[1] === 0x0a;
      const container = u32be(fragment, 0) === 0x0000000c && u32be(fragment, 4) === 0x4a584c20;
      if (!bare && !container) corrupt('the first fragment is not a JPEG XL codestream');
      return;
    }
    default:
      return;
  }
}
