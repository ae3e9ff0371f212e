/**
 * Hand-made element bytes for tests that need what a correct writer would never produce
 * (duplicates, bad lengths, deep nesting, hidden sequences).
 */
import { hasLongLength, type Vr } from '../vr.js';

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

export function ascii(text: string, pad = ' '): Uint8Array {
  const padded = text.length % 2 === 1 ? text + pad : text;
  return Uint8Array.from(padded, (character) => character.charCodeAt(0));
}

function u16(value: number, littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(2);
  new DataView(bytes.buffer).setUint16(0, value, littleEndian);
  return bytes;
}

function u32(value: number, littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, littleEndian);
  return bytes;
}

function tag(value: number, littleEndian = true): Uint8Array {
  return concat(u16(value >>> 16, littleEndian), u16(value & 0xffff, littleEndian));
}

export const UNDEFINED = 0xffffffff;

/** An explicit VR element; `length` overrides the value's length (for lying headers). */
export function explicit(tagValue: number, vr: Vr, value: Uint8Array, options: { length?: number; littleEndian?: boolean } = {}): Uint8Array {
  const littleEndian = options.littleEndian ?? true;
  const length = options.length ?? value.length;
  const vrBytes = ascii(vr);
  const header = hasLongLength(vr) ? concat(tag(tagValue, littleEndian), vrBytes, new Uint8Array(2), u32(length, littleEndian)) : concat(tag(tagValue, littleEndian), vrBytes, u16(length, littleEndian));
  return concat(header, value);
}

/** An implicit VR Little Endian element. */
export function implicit(tagValue: number, value: Uint8Array, options: { length?: number } = {}): Uint8Array {
  return concat(tag(tagValue), u32(options.length ?? value.length), value);
}

/** An item (FFFE,E000); undefined length adds the Item Delimitation Item. */
export function item(content: Uint8Array, undefinedLength = false, littleEndian = true): Uint8Array {
  if (!undefinedLength) return concat(tag(0xfffee000, littleEndian), u32(content.length, littleEndian), content);
  return concat(tag(0xfffee000, littleEndian), u32(UNDEFINED, littleEndian), content, tag(0xfffee00d, littleEndian), u32(0, littleEndian));
}

export function sequenceDelimiter(littleEndian = true): Uint8Array {
  return concat(tag(0xfffee0dd, littleEndian), u32(0, littleEndian));
}

/** A Part 10 file around a data set: preamble, DICM and a minimal explicit VR LE file meta. */
export function part10(dataset: Uint8Array, transferSyntaxUid: string, extraMeta: Uint8Array = new Uint8Array(0)): Uint8Array {
  const meta = concat(explicit(0x00020001, 'OB', new Uint8Array([0, 1])), explicit(0x00020010, 'UI', ascii(transferSyntaxUid, '\0')), extraMeta);
  const groupLength = explicit(0x00020000, 'UL', u32(meta.length));
  return concat(new Uint8Array(128), ascii('DICM'), groupLength, meta, dataset);
}

export { u16, u32 };
