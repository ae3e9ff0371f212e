import { deflateSync } from 'fflate';
import { defaultCharacterSet, parseCharacterSet, type CharacterSet } from './charset.js';
import { DicomError } from './errors.js';
import { formatTag, groupOf, isGroupLengthTag, Tags, type Tag } from './tags.js';
import { encodeAscii, encodeUtf8, isAscii } from './text-encoding.js';
import { transferSyntaxOf } from './transfer-syntax.js';
import { implementationClassUid, implementationVersionName } from './uid.js';
import { binaryValueSize, hasLongLength, isStringVr, isTextVr, paddingByte, type Vr } from './vr.js';

/** A value given as JavaScript data; encoded by the writer for the VR and transfer syntax. */
export type WriteValue = string | number | bigint | ReadonlyArray<string | number | bigint>;

/**
 * One element to write. `bytes` are written as they are (already in the transfer syntax's byte
 * order, padding added if odd); `value` is encoded by the writer; `items` make a sequence;
 * `fragments` make encapsulated pixel data, the first being the Basic Offset Table.
 */
export type WriteElement =
  | { readonly tag: Tag; readonly vr: Vr; readonly bytes: Uint8Array }
  | { readonly tag: Tag; readonly vr: Vr; readonly value: WriteValue }
  | { readonly tag: Tag; readonly vr: Vr; readonly items: ReadonlyArray<WriteDataset> }
  | { readonly tag: Tag; readonly vr: Vr; readonly fragments: ReadonlyArray<Uint8Array> };

/** Elements of one data set or item, in any order. */
export type WriteDataset = ReadonlyArray<WriteElement>;

export interface WriteDicomInput {
  /** The data set. Group 0002 and group length elements in it are dropped; the file meta is rebuilt. */
  readonly dataset: WriteDataset;
  readonly transferSyntaxUid: string;
}

interface EncodedValue {
  readonly kind: 'value';
  readonly tag: Tag;
  readonly vr: Vr;
  readonly bytes: Uint8Array;
  /** Value length on the wire: bytes padded to even. */
  readonly length: number;
}

interface EncodedSequence {
  readonly kind: 'sequence';
  readonly tag: Tag;
  readonly vr: Vr;
  readonly items: EncodedDataset[];
  /** Byte order of the items and delimiters (little endian inside UN, PS3.5 6.2.2). */
  readonly itemsLittleEndian: boolean;
}

interface EncodedFragments {
  readonly kind: 'fragments';
  readonly tag: Tag;
  readonly vr: Vr;
  readonly fragments: ReadonlyArray<Uint8Array>;
}

type EncodedElement = EncodedValue | EncodedSequence | EncodedFragments;

interface EncodedDataset {
  readonly elements: EncodedElement[];
  /** Items of a sequence written as UN are implicit VR Little Endian (PS3.5 6.2.2). */
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

interface Encoding {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

const UNDEFINED_LENGTH = 0xffffffff;

/**
 * Serializes a data set as a DICOM Part 10 file (PS3.10 7.1): a zeroed 128-byte preamble, "DICM",
 * a rebuilt File Meta Information group (group length computed, Media Storage SOP Class and
 * Instance UIDs taken from the data set, this application's Implementation Class UID and Version
 * Name, no AE titles), then the data set in the given transfer syntax. Sequences and items are
 * written with undefined length and delimitation items; group lengths are dropped. The size is
 * computed first and everything is written into one buffer, so `bytes` values (pixel data,
 * unchanged values) are copied with one `set` each and never re-encoded.
 */
export function writeDicom(input: WriteDicomInput): Uint8Array {
  const syntax = transferSyntaxOf(input.transferSyntaxUid);
  const encoding: Encoding = { explicitVr: syntax.explicitVr, littleEndian: syntax.littleEndian };
  const dataset = encodeDataset(input.dataset, encoding, defaultCharacterSet, 0);
  const meta = encodeMeta(input.dataset, input.transferSyntaxUid);
  const metaLength = datasetLength(meta);

  let body: Uint8Array | undefined;
  let bodyLength = datasetLength(dataset);
  if (syntax.deflated) {
    const inflated = new Uint8Array(bodyLength);
    writeDataset(inflated, 0, dataset);
    body = deflateSync(inflated, { level: 6 });
    bodyLength = body.length;
  }

  const output = new Uint8Array(132 + metaLength + bodyLength);
  output.set([0x44, 0x49, 0x43, 0x4d], 128);
  let position = writeDataset(output, 132, meta);
  if (body !== undefined) output.set(body, position);
  else position = writeDataset(output, position, dataset);
  return output;
}

function findValueString(dataset: WriteDataset, tag: Tag): string | undefined {
  const element = dataset.find((candidate) => candidate.tag === tag);
  if (element === undefined) return undefined;
  if ('value' in element) return Array.isArray(element.value) ? element.value.join('\\') : String(element.value);
  if ('bytes' in element) {
    let text = '';
    for (const byte of element.bytes) text += String.fromCharCode(byte);
    return text.replace(/[\0 ]+$/, '').trim();
  }
  return undefined;
}

function encodeMeta(dataset: WriteDataset, transferSyntaxUid: string): EncodedDataset {
  const meta: EncodedElement[] = [];
  const add = (tag: Tag, vr: Vr, bytes: Uint8Array) => meta.push({ kind: 'value', tag, vr, bytes, length: bytes.length + (bytes.length & 1) });
  add(Tags.FileMetaInformationVersion, 'OB', new Uint8Array([0x00, 0x01]));
  const sopClass = findValueString(dataset, Tags.SOPClassUID);
  if (sopClass) add(Tags.MediaStorageSOPClassUID, 'UI', encodeAscii(sopClass));
  const sopInstance = findValueString(dataset, Tags.SOPInstanceUID);
  if (sopInstance) add(Tags.MediaStorageSOPInstanceUID, 'UI', encodeAscii(sopInstance));
  add(Tags.TransferSyntaxUID, 'UI', encodeAscii(transferSyntaxUid));
  add(Tags.ImplementationClassUID, 'UI', encodeAscii(implementationClassUid));
  add(Tags.ImplementationVersionName, 'SH', encodeAscii(implementationVersionName));
  const groupLength = datasetLength({ elements: meta, explicitVr: true, littleEndian: true });
  const lengthBytes = new Uint8Array(4);
  new DataView(lengthBytes.buffer).setUint32(0, groupLength, true);
  meta.unshift({ kind: 'value', tag: Tags.FileMetaInformationGroupLength, vr: 'UL', bytes: lengthBytes, length: 4 });
  return { elements: meta, explicitVr: true, littleEndian: true };
}

function characterSetOfWriteDataset(dataset: WriteDataset, inherited: CharacterSet): CharacterSet {
  const value = findValueString(dataset, Tags.SpecificCharacterSet);
  return value === undefined ? inherited : parseCharacterSet(value);
}

function encodeDataset(dataset: WriteDataset, encoding: Encoding, inherited: CharacterSet, depth: number): EncodedDataset {
  const characterSet = characterSetOfWriteDataset(dataset, inherited);
  const elements: EncodedElement[] = [];
  for (const element of dataset) {
    // The file meta is rebuilt, group lengths are optional and would go stale (PS3.5 7.2).
    if (groupOf(element.tag) === 0x0002 || isGroupLengthTag(element.tag)) continue;
    elements.push(encodeElement(element, encoding, characterSet, depth));
  }
  elements.sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < elements.length; i++) {
    if (elements[i]!.tag === elements[i - 1]!.tag) throw new DicomError('DuplicateTag', `${formatTag(elements[i]!.tag)} given twice`, { tag: formatTag(elements[i]!.tag) });
  }
  return { elements, explicitVr: encoding.explicitVr, littleEndian: encoding.littleEndian };
}

function encodeElement(element: WriteElement, encoding: Encoding, characterSet: CharacterSet, depth: number): EncodedElement {
  const { tag } = element;
  if ('items' in element) {
    if (depth >= 256) throw new DicomError('NestingTooDeep', 'sequences nest deeper than 256 levels');
    // UN sequences hold implicit VR Little Endian items (PS3.5 6.2.2); SQ items use the transfer syntax.
    const itemEncoding = element.vr === 'UN' && encoding.explicitVr ? { explicitVr: false, littleEndian: true } : encoding;
    return {
      kind: 'sequence',
      tag,
      vr: element.vr === 'UN' ? 'UN' : 'SQ',
      items: element.items.map((item) => encodeDataset(item, itemEncoding, characterSet, depth + 1)),
      itemsLittleEndian: itemEncoding.littleEndian,
    };
  }
  if ('fragments' in element) return { kind: 'fragments', tag, vr: element.vr, fragments: element.fragments };
  const bytes = 'bytes' in element ? element.bytes : encodeValue(tag, element.vr, element.value, encoding.littleEndian, characterSet);
  let vr = element.vr;
  const length = bytes.length + (bytes.length & 1);
  // A value too long for a 16-bit length can only be written as UN in explicit VR (PS3.5 6.2.2).
  if (encoding.explicitVr && !hasLongLength(vr) && length > 0xffff) vr = 'UN';
  if (length > 0xfffffffe) throw new DicomError('InstanceTooLarge', `${formatTag(tag)}: value is longer than a 32-bit length allows`);
  return { kind: 'value', tag, vr, bytes, length };
}

const invalid = (tag: Tag, message: string): never => {
  throw new DicomError('InvalidValue', `${formatTag(tag)}: ${message}`, { tag: formatTag(tag) });
};

/** Formats a number for DS (at most 16 characters, PS3.5 Table 6.2-1). */
function formatDecimalString(tag: Tag, value: number): string {
  if (!Number.isFinite(value)) return invalid(tag, 'DS value is not finite');
  let text = String(value);
  for (let precision = 15; text.length > 16 && precision > 0; precision--) text = value.toPrecision(precision).replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
  return text;
}

function encodeValue(tag: Tag, vr: Vr, value: WriteValue, littleEndian: boolean, characterSet: CharacterSet): Uint8Array {
  const values = (Array.isArray(value) ? value : [value]) as ReadonlyArray<string | number | bigint>;
  if (isStringVr(vr)) {
    const text = values
      .map((item) => {
        if (typeof item === 'string') return item;
        if (vr === 'IS') return typeof item === 'bigint' || Number.isInteger(item) ? String(item) : invalid(tag, 'IS value is not an integer');
        if (vr === 'DS') return formatDecimalString(tag, Number(item));
        return invalid(tag, `a ${vr} value must be a string`);
      })
      .join('\\');
    if (isAscii(text)) return encodeAscii(text);
    if (isTextVr(vr) && characterSet === 'ISO_IR 192') return encodeUtf8(text);
    return invalid(tag, `non-ASCII ${vr} text needs Specific Character Set ISO_IR 192 in its data set`);
  }
  if (vr === 'AT') {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((item, index) => {
      const attributeTag = Number(item);
      view.setUint16(index * 4, attributeTag >>> 16, littleEndian);
      view.setUint16(index * 4 + 2, attributeTag & 0xffff, littleEndian);
    });
    return bytes;
  }
  if (vr === 'OB' || vr === 'UN') return Uint8Array.from(values, (item) => Number(item));
  const size = binaryValueSize[vr];
  if (size === undefined) return invalid(tag, `cannot encode numbers as ${vr}`);
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  values.forEach((item, index) => {
    const offset = index * size;
    switch (vr) {
      case 'US': case 'OW': view.setUint16(offset, Number(item), littleEndian); break;
      case 'SS': view.setInt16(offset, Number(item), littleEndian); break;
      case 'UL': case 'OL': view.setUint32(offset, Number(item), littleEndian); break;
      case 'SL': view.setInt32(offset, Number(item), littleEndian); break;
      case 'FL': case 'OF': view.setFloat32(offset, Number(item), littleEndian); break;
      case 'FD': case 'OD': view.setFloat64(offset, Number(item), littleEndian); break;
      case 'SV': view.setBigInt64(offset, BigInt(item), littleEndian); break;
      case 'UV': case 'OV': view.setBigUint64(offset, BigInt(item), littleEndian); break;
      default: invalid(tag, `cannot encode numbers as ${vr}`);
    }
  });
  return bytes;
}

function headerLength(vr: Vr, explicitVr: boolean): number {
  return explicitVr && hasLongLength(vr) ? 12 : 8;
}

function elementLength(element: EncodedElement, explicitVr: boolean): number {
  switch (element.kind) {
    case 'value':
      return headerLength(element.vr, explicitVr) + element.length;
    case 'sequence': {
      let total = headerLength(element.vr, explicitVr) + 8;
      for (const item of element.items) total += 16 + datasetLength(item);
      return total;
    }
    case 'fragments': {
      let total = headerLength(element.vr, explicitVr) + 8;
      for (const fragment of element.fragments) total += 8 + fragment.length + (fragment.length & 1);
      return total;
    }
  }
}

function datasetLength(dataset: EncodedDataset): number {
  let total = 0;
  for (const element of dataset.elements) total += elementLength(element, dataset.explicitVr);
  return total;
}

function writeUint16(output: Uint8Array, position: number, value: number, littleEndian: boolean): void {
  if (littleEndian) {
    output[position] = value & 0xff;
    output[position + 1] = value >>> 8;
  } else {
    output[position] = value >>> 8;
    output[position + 1] = value & 0xff;
  }
}

function writeUint32(output: Uint8Array, position: number, value: number, littleEndian: boolean): void {
  if (littleEndian) {
    output[position] = value & 0xff;
    output[position + 1] = (value >>> 8) & 0xff;
    output[position + 2] = (value >>> 16) & 0xff;
    output[position + 3] = value >>> 24;
  } else {
    output[position] = value >>> 24;
    output[position + 1] = (value >>> 16) & 0xff;
    output[position + 2] = (value >>> 8) & 0xff;
    output[position + 3] = value & 0xff;
  }
}

function writeTag(output: Uint8Array, position: number, tag: Tag, littleEndian: boolean): void {
  writeUint16(output, position, tag >>> 16, littleEndian);
  writeUint16(output, position + 2, tag & 0xffff, littleEndian);
}

function writeHeader(output: Uint8Array, position: number, tag: Tag, vr: Vr, length: number, encoding: Encoding): number {
  writeTag(output, position, tag, encoding.littleEndian);
  if (!encoding.explicitVr) {
    writeUint32(output, position + 4, length, encoding.littleEndian);
    return position + 8;
  }
  output[position + 4] = vr.charCodeAt(0);
  output[position + 5] = vr.charCodeAt(1);
  if (hasLongLength(vr)) {
    output[position + 6] = 0;
    output[position + 7] = 0;
    writeUint32(output, position + 8, length, encoding.littleEndian);
    return position + 12;
  }
  writeUint16(output, position + 6, length, encoding.littleEndian);
  return position + 8;
}

/** Item, Item Delimitation and Sequence Delimitation Items (PS3.5 7.5): tag plus 32-bit length. */
function writeDelimiter(output: Uint8Array, position: number, tag: Tag, length: number, littleEndian: boolean): number {
  writeTag(output, position, tag, littleEndian);
  writeUint32(output, position + 4, length, littleEndian);
  return position + 8;
}

function writeDataset(output: Uint8Array, start: number, dataset: EncodedDataset): number {
  let position = start;
  for (const element of dataset.elements) {
    switch (element.kind) {
      case 'value': {
        position = writeHeader(output, position, element.tag, element.vr, element.length, dataset);
        output.set(element.bytes, position);
        position += element.bytes.length;
        if (element.length !== element.bytes.length) output[position++] = paddingByte(element.vr);
        break;
      }
      case 'sequence': {
        position = writeHeader(output, position, element.tag, element.vr, UNDEFINED_LENGTH, dataset);
        for (const item of element.items) {
          position = writeDelimiter(output, position, Tags.Item, UNDEFINED_LENGTH, element.itemsLittleEndian);
          position = writeDataset(output, position, item);
          position = writeDelimiter(output, position, Tags.ItemDelimitationItem, 0, element.itemsLittleEndian);
        }
        position = writeDelimiter(output, position, Tags.SequenceDelimitationItem, 0, element.itemsLittleEndian);
        break;
      }
      case 'fragments': {
        position = writeHeader(output, position, element.tag, element.vr, UNDEFINED_LENGTH, dataset);
        for (const fragment of element.fragments) {
          const padded = fragment.length + (fragment.length & 1);
          position = writeDelimiter(output, position, Tags.Item, padded, dataset.littleEndian);
          output.set(fragment, position);
          position += fragment.length;
          if (padded !== fragment.length) output[position++] = 0;
        }
        position = writeDelimiter(output, position, Tags.SequenceDelimitationItem, 0, dataset.littleEndian);
        break;
      }
    }
  }
  return position;
}
