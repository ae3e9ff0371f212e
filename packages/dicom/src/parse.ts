/**
 * The element walker. It is written here rather than taken from dicom-parser 1.8.21 because that
 * library, for this use:
 * - reads OV, SV and UV with a 16-bit length (it lists only the older 32-bit-length VRs);
 * - keeps elements in an object keyed by tag, so a repeated tag silently replaces the first one
 *   (a place to hide PHI from a de-identifier);
 * - recurses once per nesting level, so 10,000 nested sequences overflow the stack instead of
 *   being rejected, and it has no element, depth or size limits;
 * - does not look inside sequences encoded as UN with a defined length, nor inside private
 *   sequences in implicit VR, which a de-identifier must clean;
 * - inflates deflated data sets with an unbounded inflater.
 * This walker is iterative (an explicit stack), checks every length against the end of its
 * enclosing item before moving on, and records byte ranges only: values are never copied.
 * dicom-parser remains the reference it is compared with in the tests (parse.test.ts).
 */
import { findElement, readAsciiString, type ByteRange, type DatasetEncoding, type DicomDataset } from './dataset.js';
import { implicitVrOf, lookupTag } from './dictionary.js';
import { DicomError, type DicomErrorCode } from './errors.js';
import { inflateBounded, inflateBudget, type Inflater } from './inflate.js';
import { resolveLimits, type DicomLimits } from './limits.js';
import { formatTag, groupOf, Tags, type Tag } from './tags.js';
import { ExplicitVrBigEndian, ExplicitVrLittleEndian, ImplicitVrLittleEndian, transferSyntaxOf, type TransferSyntax } from './transfer-syntax.js';
import { hasLongLength, vrFromBytes, type Vr } from './vr.js';

/** A parsed instance. */
export interface DicomFile {
  /** `part10`: preamble (or at least file meta) present; `raw`: a bare data set, transfer syntax inferred. */
  readonly layout: 'part10' | 'raw';
  /** File Meta Information (group 0002), always explicit VR Little Endian; undefined for raw data sets. */
  readonly meta: DicomDataset | undefined;
  readonly transferSyntax: TransferSyntax;
  /** The data set; for deflated files its `bytes` is the inflated buffer. */
  readonly dataset: DicomDataset;
}

const implicitLittleEndian: DatasetEncoding = Object.freeze({ explicitVr: false, littleEndian: true });
const explicitLittleEndian: DatasetEncoding = Object.freeze({ explicitVr: true, littleEndian: true });
const explicitBigEndian: DatasetEncoding = Object.freeze({ explicitVr: true, littleEndian: false });

const UNDEFINED_LENGTH = 0xffffffff;

interface MutableElement {
  tag: Tag;
  vr: Vr;
  offset: number;
  length: number;
  undefinedLength: boolean;
  items?: DicomDataset[];
  fragments?: ByteRange[];
}

interface DatasetFrame {
  readonly kind: 'dataset';
  readonly elements: MutableElement[];
  /** Absolute end offset, or -1 when the item ends with an Item Delimitation Item. */
  readonly end: number;
  readonly encoding: DatasetEncoding;
  readonly depth: number;
  lastTag: number;
  outOfOrder: boolean;
  /** The sequence frame this item belongs to (undefined for the top-level data set). */
  readonly parent: SequenceFrame | undefined;
}

interface SequenceFrame {
  readonly kind: 'sequence';
  readonly element: MutableElement;
  readonly end: number;
  /** Encoding of the items: that of the enclosing data set, or implicit VR LE for UN (PS3.5 6.2.2). */
  readonly itemEncoding: DatasetEncoding;
  /** Depth of the items of this sequence. */
  readonly depth: number;
}

interface WalkResult {
  readonly dataset: DicomDataset;
  readonly end: number;
}

/**
 * Walks one data set. With `stopAfterGroup`, stops (without error) before the first element of another
 * group: used to read the file meta group without trusting its group length.
 */
class ElementWalker {
  private elementCount = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: DicomLimits,
    private readonly encapsulatedPixelData: boolean,
  ) {}

  walk(start: number, encoding: DatasetEncoding, stopAfterGroup?: number): WalkResult {
    const bytes = this.bytes;
    const bytesEnd = bytes.length;
    const root: DatasetFrame = { kind: 'dataset', elements: [], end: -1, encoding, depth: 0, lastTag: -1, outOfOrder: false, parent: undefined };
    const stack: Array<DatasetFrame | SequenceFrame> = [root];
    let position = start;

    for (;;) {
      const frame = stack[stack.length - 1]!;
      if (frame.kind === 'sequence') {
        if (frame.end >= 0) {
          if (position === frame.end) {
            this.finishSequence(frame, position);
            stack.pop();
            continue;
          }
          if (position > frame.end) this.fail('LengthPastEnd', 'an item runs past the end of its sequence', frame.element.tag, position);
        }
        if (position + 8 > bytesEnd) this.fail('Truncated', 'data end inside a sequence', frame.element.tag, position);
        const itemTag = this.readTag(position, frame.itemEncoding.littleEndian);
        const itemLength = this.readUint32(position + 4, frame.itemEncoding.littleEndian);
        if (itemTag === Tags.SequenceDelimitationItem) {
          if (frame.end >= 0) this.fail('InvalidStructure', 'sequence delimiter in a sequence of defined length', frame.element.tag, position);
          position += 8;
          this.finishSequence(frame, position - 8);
          stack.pop();
          continue;
        }
        if (itemTag !== Tags.Item) this.fail('InvalidStructure', `expected an item, found ${formatTag(itemTag)}`, frame.element.tag, position);
        position += 8;
        this.count(position);
        if (frame.depth > this.limits.maxNestingDepth) {
          this.fail('NestingTooDeep', `sequences nest deeper than ${this.limits.maxNestingDepth} levels`, frame.element.tag, position);
        }
        let itemEnd = -1;
        if (itemLength !== UNDEFINED_LENGTH) {
          itemEnd = position + itemLength;
          if (itemEnd > bytesEnd || (frame.end >= 0 && itemEnd > frame.end)) {
            this.fail('LengthPastEnd', `item length ${itemLength} runs past the end of its sequence`, frame.element.tag, position);
          }
        }
        stack.push({ kind: 'dataset', elements: [], end: itemEnd, encoding: frame.itemEncoding, depth: frame.depth, lastTag: -1, outOfOrder: false, parent: frame });
        continue;
      }

      // Inside a data set or item.
      if (frame.end >= 0) {
        if (position === frame.end) {
          this.finishItem(frame);
          stack.pop();
          continue;
        }
        if (position > frame.end) this.fail('LengthPastEnd', 'an element runs past the end of its item', frame.elements.at(-1)?.tag, position);
      }
      if (position >= bytesEnd && frame === root) break;
      const { littleEndian, explicitVr } = frame.encoding;
      if (stopAfterGroup !== undefined && frame === root && position + 4 <= bytesEnd && groupOf(this.readTag(position, littleEndian)) !== stopAfterGroup) break;
      if (position + 8 > bytesEnd) {
        this.fail('Truncated', frame === root ? 'data end inside an element header' : 'data end inside an item', frame.elements.at(-1)?.tag, position);
      }
      const tag = this.readTag(position, littleEndian);
      if (groupOf(tag) === 0xfffe) {
        if (tag === Tags.ItemDelimitationItem && frame.end < 0 && frame !== root) {
          position += 8;
          this.finishItem(frame);
          stack.pop();
          continue;
        }
        this.fail('InvalidStructure', `unexpected ${formatTag(tag)} among elements`, tag, position);
      }

      let vr: Vr;
      let length: number;
      let valueOffset: number;
      if (explicitVr) {
        const explicit = vrFromBytes(bytes[position + 4]!, bytes[position + 5]!);
        if (explicit === undefined) this.fail('InvalidStructure', 'element header has no valid VR', tag, position);
        vr = explicit;
        if (hasLongLength(vr)) {
          if (position + 12 > bytesEnd) this.fail('Truncated', 'data end inside an element header', tag, position);
          length = this.readUint32(position + 8, littleEndian);
          valueOffset = position + 12;
        } else {
          length = littleEndian ? bytes[position + 6]! | (bytes[position + 7]! << 8) : (bytes[position + 6]! << 8) | bytes[position + 7]!;
          valueOffset = position + 8;
        }
      } else {
        vr = implicitVrOf(tag);
        length = this.readUint32(position + 4, littleEndian);
        valueOffset = position + 8;
      }
      this.count(position);
      const element: MutableElement = { tag, vr, offset: valueOffset, length, undefinedLength: length === UNDEFINED_LENGTH };
      this.append(frame, element, position);

      if (length === UNDEFINED_LENGTH) {
        if (tag === Tags.PixelData && (vr === 'OB' || vr === 'OW' || (!explicitVr && vr !== 'SQ'))) {
          if (!this.encapsulatedPixelData) this.fail('InvalidStructure', 'undefined-length pixel data in a native transfer syntax', tag, position);
          element.vr = 'OB';
          position = this.readFragments(element, valueOffset);
          continue;
        }
        if (explicitVr && vr !== 'SQ' && vr !== 'UN') this.fail('InvalidStructure', `undefined length on VR ${vr}`, tag, position);
        // In implicit VR an undefined length can only be a sequence (PS3.5 7.5.1), whatever the dictionary says.
        if (!explicitVr) element.vr = 'SQ';
        element.items = [];
        stack.push({ kind: 'sequence', element, end: -1, itemEncoding: vr === 'UN' && explicitVr ? implicitLittleEndian : frame.encoding, depth: frame.depth + 1 });
        position = valueOffset;
        continue;
      }

      const valueEnd = valueOffset + length;
      if (valueEnd > bytesEnd) this.fail('LengthPastEnd', `value length ${length} runs past the end of the data`, tag, position);
      if (frame.end >= 0 && valueEnd > frame.end) this.fail('LengthPastEnd', `value length ${length} runs past the end of its item`, tag, position);
      if (vr === 'SQ' || this.holdsHiddenSequence(tag, vr, valueOffset, length)) {
        // A UN value holding a sequence is implicit VR Little Endian inside (PS3.5 6.2.2).
        const itemEncoding = vr === 'SQ' ? frame.encoding : implicitLittleEndian;
        if (!explicitVr) element.vr = 'SQ';
        element.items = [];
        stack.push({ kind: 'sequence', element, end: valueEnd, itemEncoding, depth: frame.depth + 1 });
        position = valueOffset;
        continue;
      }
      position = valueEnd;
    }

    return { dataset: this.finishItem(root), end: position };
  }

  /**
   * Sequences that the VR does not announce: a standard SQ attribute encoded as UN, and private
   * (or unknown) elements whose value starts with an Item tag, in implicit VR or as UN. They are
   * parsed so that the anonymizer sees, and cleans, what they contain.
   */
  private holdsHiddenSequence(tag: Tag, vr: Vr, valueOffset: number, length: number): boolean {
    if (vr !== 'UN') return false;
    const known = lookupTag(tag);
    if (known !== undefined) return known.vr === 'SQ';
    if (length < 8) return false;
    const itemLength = this.readUint32(valueOffset + 4, true);
    return this.readTag(valueOffset, true) === Tags.Item && (itemLength === UNDEFINED_LENGTH || itemLength <= length - 8);
  }

  /** Reads the fragments of encapsulated pixel data (PS3.5 A.4) up to the Sequence Delimitation Item. */
  private readFragments(element: MutableElement, start: number): number {
    const bytes = this.bytes;
    const fragments: ByteRange[] = [];
    let position = start;
    for (;;) {
      if (position + 8 > bytes.length) this.fail('Truncated', 'pixel data ends before its sequence delimiter', element.tag, position);
      const tag = this.readTag(position, true);
      const length = this.readUint32(position + 4, true);
      if (tag === Tags.SequenceDelimitationItem) {
        element.fragments = fragments;
        element.length = position - start;
        return position + 8;
      }
      if (tag !== Tags.Item) this.fail('InvalidStructure', `expected a pixel data fragment, found ${formatTag(tag)}`, element.tag, position);
      if (length === UNDEFINED_LENGTH) this.fail('InvalidStructure', 'pixel data fragment with undefined length', element.tag, position);
      if (position + 8 + length > bytes.length) this.fail('LengthPastEnd', `fragment length ${length} runs past the end of the data`, element.tag, position);
      this.count(position);
      fragments.push({ offset: position + 8, length });
      position += 8 + length;
    }
  }

  private append(frame: DatasetFrame, element: MutableElement, position: number): void {
    if (element.tag === frame.lastTag) this.fail('DuplicateTag', 'tag occurs twice in one data set', element.tag, position);
    if (element.tag < frame.lastTag) frame.outOfOrder = true;
    frame.lastTag = element.tag;
    frame.elements.push(element);
  }

  /** Sorts an out-of-order data set (PS3.5 7.1 asks for ascending tags) and rejects repeated tags. */
  private finishItem(frame: DatasetFrame): DicomDataset {
    const elements = frame.elements;
    if (frame.outOfOrder) {
      elements.sort((a, b) => a.tag - b.tag);
      for (let i = 1; i < elements.length; i++) {
        if (elements[i]!.tag === elements[i - 1]!.tag) this.fail('DuplicateTag', 'tag occurs twice in one data set', elements[i]!.tag, elements[i]!.offset);
      }
    }
    const dataset: DicomDataset = { bytes: this.bytes, encoding: frame.encoding, elements };
    frame.parent?.element.items!.push(dataset);
    return dataset;
  }

  private finishSequence(frame: SequenceFrame, contentEnd: number): void {
    frame.element.length = contentEnd - frame.element.offset;
  }

  private count(position: number): void {
    if (++this.elementCount > this.limits.maxElements) {
      this.fail('TooManyElements', `more than ${this.limits.maxElements} elements, items and fragments`, undefined, position);
    }
  }

  private readTag(position: number, littleEndian: boolean): Tag {
    const b = this.bytes;
    return littleEndian
      ? (((b[position]! | (b[position + 1]! << 8)) << 16) | b[position + 2]! | (b[position + 3]! << 8)) >>> 0
      : (((b[position]! << 8) | b[position + 1]!) << 16 | (b[position + 2]! << 8) | b[position + 3]!) >>> 0;
  }

  private readUint32(position: number, littleEndian: boolean): number {
    const b = this.bytes;
    return littleEndian
      ? (b[position]! | (b[position + 1]! << 8) | (b[position + 2]! << 16) | (b[position + 3]! << 24)) >>> 0
      : ((b[position]! << 24) | (b[position + 1]! << 16) | (b[position + 2]! << 8) | b[position + 3]!) >>> 0;
  }

  private fail(code: DicomErrorCode, message: string, tag: Tag | undefined, offset: number): never {
    throw new DicomError(code, tag === undefined ? message : `${formatTag(tag)}: ${message}`, {
      ...(tag === undefined ? {} : { tag: formatTag(tag) }),
      offset,
    });
  }
}

const DICM = [0x44, 0x49, 0x43, 0x4d];

function hasMagic(bytes: Uint8Array, offset: number): boolean {
  return bytes.length >= offset + 4 && DICM.every((byte, i) => bytes[offset + i] === byte);
}

/** True if an explicit VR Little Endian group 0002 element header starts at `offset`. */
function startsFileMeta(bytes: Uint8Array, offset: number): boolean {
  return bytes.length >= offset + 8 && bytes[offset] === 0x02 && bytes[offset + 1] === 0x00 && vrFromBytes(bytes[offset + 4]!, bytes[offset + 5]!) !== undefined;
}

/**
 * Where the file meta starts, or -1 for a raw data set. A Part 10 file has "DICM" at byte 128
 * followed by a group 0002 element; the magic alone is not enough, since a raw data set can
 * hold those four bytes by chance (PS3.10 7.1). Files that omit the preamble, or the preamble
 * and the magic, but start with the file meta are accepted too.
 */
function locateFileMeta(bytes: Uint8Array): number {
  if (hasMagic(bytes, 128) && startsFileMeta(bytes, 132)) return 132;
  if (hasMagic(bytes, 0) && startsFileMeta(bytes, 4)) return 4;
  if (startsFileMeta(bytes, 0)) return 0;
  return -1;
}

/**
 * Infers the encoding of a data set stored without file meta from its first element header,
 * which must be a standard attribute whose length fits in the data. Explicit VR is recognized by
 * two letters naming a VR where implicit VR would have the low bytes of a length.
 */
function inferRawTransferSyntax(bytes: Uint8Array): TransferSyntax {
  const found = rawTransferSyntaxAt(bytes, 0);
  if (found) return found;
  // A data set that starts a few bytes in is DICOM damaged at the front (a stray byte, a cut
  // header), not some other kind of file: say so, so the sender fixes the export, not the file type.
  for (let skip = 1; skip <= 16; skip++) {
    if (rawTransferSyntaxAt(bytes, skip)) throw new DicomError('InvalidStructure', `no file meta, and the data set starts ${skip} byte(s) in: the file is damaged at the front`);
  }
  throw new DicomError('NotDicom', 'no file meta and the data do not start with a standard data element');
}

function rawTransferSyntaxAt(bytes: Uint8Array, base: number): TransferSyntax | undefined {
  const size = bytes.length - base;
  if (size < 8) return undefined;
  const at = (offset: number) => bytes[base + offset]!;
  const u16 = (offset: number, littleEndian: boolean) => (littleEndian ? at(offset) | (at(offset + 1) << 8) : (at(offset) << 8) | at(offset + 1));
  const u32le = (offset: number) => (at(offset) | (at(offset + 1) << 8) | (at(offset + 2) << 16) | (at(offset + 3) << 24)) >>> 0;
  const plausibleTag = (group: number, element: number) => group >= 0x0008 && (group & 1) === 0 && lookupTag(((group << 16) | element) >>> 0) !== undefined;

  const vr = vrFromBytes(at(4), at(5));
  for (const littleEndian of [true, false]) {
    if (!plausibleTag(u16(0, littleEndian), u16(2, littleEndian))) continue;
    if (vr !== undefined) {
      const length = hasLongLength(vr) ? (size >= 12 ? u32le(8) : Number.POSITIVE_INFINITY) : u16(6, littleEndian);
      if (!littleEndian) return ExplicitVrBigEndian;
      if (length === UNDEFINED_LENGTH || length <= size) return ExplicitVrLittleEndian;
    }
    if (littleEndian && u32le(4) <= size - 8) return ImplicitVrLittleEndian;
  }
  return undefined;
}

/**
 * Parses like `parseDicom`, with a deflated data set inflated by `inflate` (off the caller's
 * thread) instead of in line; other files parse as they do there.
 */
export async function parseDicomInflating(bytes: Uint8Array, limits: Partial<DicomLimits> | undefined, inflate: Inflater): Promise<DicomFile> {
  const resolved = resolveLimits(limits);
  const metaStart = bytes.length <= resolved.maxInstanceBytes ? locateFileMeta(bytes) : -1;
  if (metaStart < 0) return parseDicom(bytes, resolved);
  const metaWalk = new ElementWalker(bytes, resolved, false).walk(metaStart, explicitLittleEndian, 0x0002);
  const element = findElement(metaWalk.dataset, Tags.TransferSyntaxUID);
  const uid = element === undefined ? '' : readAsciiString(metaWalk.dataset, element);
  if (uid === '' || !transferSyntaxOf(uid).deflated) return parseDicom(bytes, resolved);
  const deflated = bytes.subarray(metaWalk.end);
  return parseDicom(bytes, resolved, { inflated: await inflate(deflated, inflateBudget(deflated.length, resolved)) });
}

/**
 * Parses a DICOM Part 10 file or a raw data set (PS3.10 7.1, PS3.5 7) into elements that point
 * into the input, validating the structure as it goes. Throws `DicomError` on the first problem.
 * Values are not decoded; see `decodeText`, `readAsciiString` and `validateForIngest`.
 */
export function parseDicom(bytes: Uint8Array, limits?: Partial<DicomLimits>, options: { inflated?: Uint8Array } = {}): DicomFile {
  const resolved = resolveLimits(limits);
  if (bytes.length > resolved.maxInstanceBytes) {
    throw new DicomError('InstanceTooLarge', `${bytes.length} bytes is over the ${resolved.maxInstanceBytes}-byte limit`);
  }
  const metaStart = locateFileMeta(bytes);
  if (metaStart < 0) {
    const transferSyntax = inferRawTransferSyntax(bytes);
    const walker = new ElementWalker(bytes, resolved, false);
    const { dataset } = walker.walk(0, transferSyntax.explicitVr ? (transferSyntax.littleEndian ? explicitLittleEndian : explicitBigEndian) : implicitLittleEndian);
    return { layout: 'raw', meta: undefined, transferSyntax, dataset };
  }

  const metaWalk = new ElementWalker(bytes, resolved, false).walk(metaStart, explicitLittleEndian, 0x0002);
  const meta = metaWalk.dataset;
  const transferSyntaxElement = findElement(meta, Tags.TransferSyntaxUID);
  const transferSyntaxUid = transferSyntaxElement === undefined ? '' : readAsciiString(meta, transferSyntaxElement);
  if (transferSyntaxUid === '') throw new DicomError('MissingTransferSyntax', 'file meta has no Transfer Syntax UID (0002,0010)');
  const transferSyntax = transferSyntaxOf(transferSyntaxUid);

  let datasetBytes = bytes;
  let datasetStart = metaWalk.end;
  if (transferSyntax.deflated) {
    datasetBytes = options.inflated ?? inflateBounded(bytes.subarray(metaWalk.end), resolved);
    datasetStart = 0;
  }
  const encoding = !transferSyntax.explicitVr ? implicitLittleEndian : transferSyntax.littleEndian ? explicitLittleEndian : explicitBigEndian;
  const { dataset } = new ElementWalker(datasetBytes, resolved, transferSyntax.encapsulated).walk(datasetStart, encoding);
  return { layout: 'part10', meta, transferSyntax, dataset };
}
