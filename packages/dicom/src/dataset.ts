import type { Tag } from './tags.js';
import type { Vr } from './vr.js';

/** A byte range of the buffer a data set was parsed from. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * One parsed data element. Values are not copied or decoded: `offset` and `length` locate the
 * value in the data set's `bytes`, so pixel data and unchanged values can be written back as the
 * very same bytes.
 */
export interface DicomElement {
  readonly tag: Tag;
  /** VR from the stream (explicit VR) or from the data dictionary (implicit VR). */
  readonly vr: Vr;
  /** Offset of the value (just after the header) in the data set's `bytes`. */
  readonly offset: number;
  /** Value length in bytes; for undefined-length sequences and pixel data, the bytes up to the delimiter. */
  readonly length: number;
  readonly undefinedLength: boolean;
  /** Items of a sequence (VR SQ, or a UN or private value that holds a sequence). */
  readonly items?: readonly DicomDataset[];
  /** Fragments of encapsulated pixel data; the first is the Basic Offset Table (PS3.5 A.4). */
  readonly fragments?: readonly ByteRange[];
}

/** Byte order and VR encoding of one data set or item. */
export interface DatasetEncoding {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

/** A data set or sequence item: elements in ascending tag order, each tag at most once. */
export interface DicomDataset {
  /** The buffer element offsets refer to (the inflated data set for deflated files). */
  readonly bytes: Uint8Array;
  readonly encoding: DatasetEncoding;
  readonly elements: readonly DicomElement[];
}

/** Finds an element by tag (binary search; elements are sorted). */
export function findElement(dataset: DicomDataset, tag: Tag): DicomElement | undefined {
  const { elements } = dataset;
  let low = 0;
  let high = elements.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const element = elements[middle]!;
    if (element.tag === tag) return element;
    if (element.tag < tag) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/** The raw value bytes of an element (a view, not a copy). */
export function valueBytes(dataset: DicomDataset, element: DicomElement): Uint8Array {
  return dataset.bytes.subarray(element.offset, element.offset + element.length);
}

/**
 * An ASCII string value (UIDs, code strings, numbers as text, dates) with the padding removed
 * (trailing spaces and NULs, leading spaces, PS3.5 6.2). Text in a Specific Character Set is
 * decoded by `decodeText` in charset.ts instead.
 */
export function readAsciiString(dataset: DicomDataset, element: DicomElement): string {
  const bytes = dataset.bytes;
  let start = element.offset;
  let end = element.offset + element.length;
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x00)) end--;
  while (start < end && bytes[start] === 0x20) start++;
  let text = '';
  // Chunked so that long values (contour data) do not exceed the argument limit of apply.
  for (let position = start; position < end; position += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(position, Math.min(end, position + 8192)) as unknown as number[]);
  }
  return text;
}

/** ASCII string value of a tag, or undefined when absent. */
export function getAsciiString(dataset: DicomDataset, tag: Tag): string | undefined {
  const element = findElement(dataset, tag);
  return element === undefined ? undefined : readAsciiString(dataset, element);
}

/** Reads unsigned 16-bit values (US) in the data set's byte order. */
export function readUint16Values(dataset: DicomDataset, element: DicomElement): number[] {
  const values: number[] = [];
  const { bytes } = dataset;
  for (let position = element.offset; position + 2 <= element.offset + element.length; position += 2) {
    values.push(dataset.encoding.littleEndian ? bytes[position]! | (bytes[position + 1]! << 8) : (bytes[position]! << 8) | bytes[position + 1]!);
  }
  return values;
}

/** Splits a multi-valued ASCII string value at backslashes (PS3.5 6.4), trimming each value. */
export function splitValues(text: string): string[] {
  return text.split('\\').map((value) => value.trim());
}
