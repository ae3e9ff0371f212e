/// <reference path="./vendor.d.ts" />
import { convertBytes } from 'dicom-character-set';
import { findElement, readAsciiString, type DicomDataset, type DicomElement } from './dataset.js';
import { DicomError } from './errors.js';
import { Tags } from './tags.js';
import type { Vr } from './vr.js';

/**
 * A resolved Specific Character Set (0008,0005): the defined terms, canonicalized, joined by
 * backslash as dicom-character-set expects them. The empty string is the default repertoire
 * (ISO-IR 6, i.e. ASCII).
 */
export type CharacterSet = string & { readonly __characterSet: unique symbol };

export const defaultCharacterSet = '' as CharacterSet;

/** Defined terms of PS3.3 C.12.1.1.2 that dicom-character-set 1.0.5 decodes. */
const supportedTerms = new Set([
  'ISO_IR 6', 'ISO_IR 100', 'ISO_IR 101', 'ISO_IR 109', 'ISO_IR 110', 'ISO_IR 144', 'ISO_IR 127', 'ISO_IR 126', 'ISO_IR 138',
  'ISO_IR 148', 'ISO_IR 13', 'ISO_IR 166', 'ISO_IR 192', 'GB18030', 'GBK',
  'ISO 2022 IR 6', 'ISO 2022 IR 100', 'ISO 2022 IR 101', 'ISO 2022 IR 109', 'ISO 2022 IR 110', 'ISO 2022 IR 144',
  'ISO 2022 IR 127', 'ISO 2022 IR 126', 'ISO 2022 IR 138', 'ISO 2022 IR 148', 'ISO 2022 IR 13', 'ISO 2022 IR 166',
  'ISO 2022 IR 87', 'ISO 2022 IR 159', 'ISO 2022 IR 149', 'ISO 2022 IR 58',
]);

/**
 * Non-standard spellings met in the field, especially from Chinese equipment, mapped to the
 * defined term that decodes them. GB2312 (EUC-CN) is a subset of GBK.
 */
const aliases: ReadonlyMap<string, string> = new Map([
  ['GB2312', 'GBK'],
  ['ISO_IR 58', 'GBK'],
  ['EUC-CN', 'GBK'],
  ['UTF-8', 'ISO_IR 192'],
  ['UTF8', 'ISO_IR 192'],
]);

function canonicalTerm(term: string): string {
  const upper = term.trim().toUpperCase();
  if (upper === '') return '';
  const alias = aliases.get(upper);
  if (alias !== undefined) return alias;
  const extended = /^ISO[ _-]?2022[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (extended) return `ISO 2022 IR ${extended[1]}`;
  const plain = /^ISO[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (plain) return aliases.get(`ISO_IR ${plain[1]}`) ?? `ISO_IR ${plain[1]}`;
  return upper;
}

/** Parses a Specific Character Set value; throws `UnsupportedCharacterSet` for unknown terms. */
export function parseCharacterSet(value: string): CharacterSet {
  const terms = value.split('\\').map(canonicalTerm);
  while (terms.length > 1 && terms.at(-1) === '') terms.pop();
  if (terms.every((term) => term === '')) return defaultCharacterSet;
  for (const term of terms) {
    if (term !== '' && !supportedTerms.has(term)) {
      throw new DicomError('UnsupportedCharacterSet', 'Specific Character Set (0008,0005) names an unsupported character set');
    }
  }
  return terms.join('\\') as CharacterSet;
}

/** The character set of a data set or item: its own (0008,0005) or the one it inherits (PS3.5 6.1.2.5). */
export function characterSetOf(dataset: DicomDataset, inherited: CharacterSet = defaultCharacterSet): CharacterSet {
  const element = findElement(dataset, Tags.SpecificCharacterSet);
  if (element === undefined) return inherited;
  return parseCharacterSet(readAsciiString(dataset, element));
}

/** True when the character set's G0 is not ASCII-compatible for `\` and `~` (JIS X 0201 Romaji). */
function startsWithJisRoman(characterSet: CharacterSet): boolean {
  return characterSet.startsWith('ISO_IR 13') || characterSet.startsWith('ISO 2022 IR 13');
}

/**
 * With code extensions, Japanese equipment commonly returns to single-byte text with ESC ( B
 * (ASCII, defined by ISO 2022 IR 6) even when only ISO 2022 IR 13 (ESC ( J) is declared, as
 * pydicom and DCMTK accept. dicom-character-set only honours escapes of declared sets, so IR 6
 * is added to extended sets: it changes nothing else, the first set still decides the initial state.
 */
function withAsciiDesignation(characterSet: CharacterSet): string | undefined {
  if (characterSet === defaultCharacterSet) return undefined;
  if (!characterSet.includes('ISO 2022') || characterSet.split('\\').includes('ISO 2022 IR 6')) return characterSet;
  return `${characterSet}\\ISO 2022 IR 6`;
}

/**
 * Decodes a text value (PS3.5 6.1) to a JavaScript string with dicom-character-set, which handles
 * ISO 2022 code extensions, multi-byte sets and PN component groups. Trailing padding is removed.
 * Pure ASCII values, the common case, skip the library and its TextDecoder construction.
 */
export function decodeText(bytes: Uint8Array, characterSet: CharacterSet, vr: Vr): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x00)) end--;
  const value = bytes.subarray(0, end);
  let ascii = !startsWithJisRoman(characterSet);
  for (let i = 0; ascii && i < value.length; i++) {
    const byte = value[i]!;
    if (byte >= 0x80 || byte === 0x1b) ascii = false;
  }
  if (ascii) {
    let text = '';
    for (let position = 0; position < value.length; position += 8192) {
      text += String.fromCharCode.apply(null, value.subarray(position, Math.min(value.length, position + 8192)) as unknown as number[]);
    }
    return text;
  }
  try {
    return convertBytes(withAsciiDesignation(characterSet), value, { vr });
  } catch (error) {
    throw new DicomError('UnsupportedCharacterSet', 'text cannot be decoded with its Specific Character Set (0008,0005)', {}, { cause: error });
  }
}

/** Decodes a text element of a data set. */
export function readText(dataset: DicomDataset, element: DicomElement, characterSet: CharacterSet): string {
  return decodeText(dataset.bytes.subarray(element.offset, element.offset + element.length), characterSet, element.vr);
}
