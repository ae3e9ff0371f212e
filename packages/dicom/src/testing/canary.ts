/**
 * Canary fixtures: instances built in code in which every attribute a profile does not keep holds
 * a value that occurs nowhere else, at the top level and three levels deep in sequences, in
 * private elements, in standard elements encoded as UN, in GB18030 or ISO 2022 text, in the file
 * meta and in the preamble. After de-identification none of these values may be found, in any
 * encoding they were written in.
 */
import { lookupTag } from '../dictionary.js';
import { confidentialityProfileRows } from '../generated/ps3.15-tables.js';
import { compileProfile, supplementaryRows, type DeidentificationProfile } from '../profile.js';
import { Tags, type Tag } from '../tags.js';
import { isStringVr, type Vr } from '../vr.js';
import { concat, explicit, implicit, item, sequenceDelimiter, u32, UNDEFINED } from './bytes.js';

export type CanaryCharacterSet = 'ascii' | 'gb18030' | 'iso2022';

export interface Canary {
  /** Where it was planted, for failure messages. */
  readonly where: string;
  /** The value as text. */
  readonly text: string;
  /** Every byte form it was written in (ASCII, UTF-8, GB2312/GB18030 bytes). */
  readonly encodings: readonly Uint8Array[];
}

export interface CanaryFixture {
  readonly bytes: Uint8Array;
  readonly canaries: readonly Canary[];
}

const han = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
/** The patient's family name, planted in cleaned descriptors so that they have to be cleaned. */
export const patientFamilyName = { ascii: 'ZORBEX', han: '王小东' };

let gb2312: Map<string, Uint8Array> | undefined;

/** GB2312 bytes (as used by GB18030 and, after ESC $ ) A, by ISO 2022 IR 58) of Chinese text. */
export function encodeGb2312(text: string): Uint8Array {
  if (gb2312 === undefined) {
    gb2312 = new Map();
    const decoder = new TextDecoder('gb18030');
    for (let lead = 0xb0; lead <= 0xf7; lead++) {
      for (let trail = 0xa1; trail <= 0xfe; trail++) {
        const character = decoder.decode(new Uint8Array([lead, trail]));
        if (character.length === 1 && character !== '\ufffd') gb2312.set(character, new Uint8Array([lead, trail]));
      }
    }
  }
  const parts = [...text].map((character) => {
    if (character.charCodeAt(0) < 0x80) return new Uint8Array([character.charCodeAt(0)]);
    const bytes = gb2312!.get(character);
    if (bytes === undefined) throw new Error(`${character} is not in GB2312`);
    return bytes;
  });
  return concat(...parts);
}

/** ISO 2022 IR 58: every run of Chinese characters starts with ESC $ ) A (G1 is reset at delimiters). */
function encodeIso2022Ir58(text: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let inChinese = false;
  for (const character of text) {
    const chinese = character.charCodeAt(0) >= 0x80;
    if (chinese && !inChinese) parts.push(new Uint8Array([0x1b, 0x24, 0x29, 0x41]));
    inChinese = chinese;
    parts.push(encodeGb2312(character));
  }
  return concat(...parts);
}

const ascii = (text: string) => Uint8Array.from(text, (character) => character.charCodeAt(0));
const padEven = (bytes: Uint8Array, pad: number) => (bytes.length % 2 === 0 ? bytes : concat(bytes, new Uint8Array([pad])));
const pad = (value: number, width: number) => String(value).padStart(width, '0');

class CanaryBuilder {
  private next = 1;
  private dateIndex = 0;
  readonly canaries: Canary[] = [];

  constructor(
    private readonly characterSet: CanaryCharacterSet,
    private readonly profile: DeidentificationProfile,
  ) {}

  private plant(where: string, text: string, encodings: Uint8Array[]): void {
    this.canaries.push({ where, text, encodings });
  }

  private encodeText(text: string): Uint8Array {
    if (this.characterSet === 'gb18030') return encodeGb2312(text);
    if (this.characterSet === 'iso2022') return encodeIso2022Ir58(text);
    return ascii(text);
  }

  private textForms(text: string): Uint8Array[] {
    const forms: Uint8Array[] = [new TextEncoder().encode(text)];
    if (/[^\x00-\x7f]/.test(text)) forms.push(encodeGb2312(text), encodeIso2022Ir58(text));
    return forms;
  }

  /** A unique ASCII token: "ZQ<n>QZ" can never be part of another token. */
  token(): string {
    return `ZQ${this.next++}QZ`;
  }

  /** A unique Chinese token: 金丝雀<n in Chinese digits>号. */
  hanToken(): string {
    return `金丝雀${[...String(this.next++)].map((digit) => han[Number(digit)]).join('')}号`;
  }

  /** A canary value for a VR, with the text to search for; `dirty` adds the patient's name for C. */
  valueFor(tag: Tag, vr: Vr, where: string, dirty: boolean): Uint8Array {
    const n = this.next;
    let text: string;
    let bytes: Uint8Array;
    const chinese = this.characterSet !== 'ascii' && (vr === 'PN' || vr === 'LO' || vr === 'SH' || vr === 'ST' || vr === 'LT' || vr === 'UT' || vr === 'UC');
    switch (vr) {
      case 'DA': {
        const index = this.dateIndex++;
        text = `${1100 + 3 * index}${pad(1 + (index % 12), 2)}${pad(1 + (index % 28), 2)}`;
        this.next++;
        break;
      }
      case 'DT': {
        const index = this.dateIndex++;
        text = `${1100 + 3 * index}${pad(1 + (index % 12), 2)}${pad(1 + (index % 28), 2)}101112.${pad(n, 6)}`;
        this.next++;
        break;
      }
      case 'TM':
        text = `1011${pad(n % 60, 2)}.${pad(n, 6)}`;
        this.next++;
        break;
      case 'DS':
        text = `7${pad(n, 5)}.713`;
        this.next++;
        break;
      case 'IS':
        text = `8${pad(n, 6)}`;
        this.next++;
        break;
      case 'AS':
        text = `${pad(n % 1000, 3)}W`;
        this.next++;
        break;
      case 'UI':
        text = `2.999.${n}.7`;
        this.next++;
        break;
      case 'UR':
        text = `http://${this.token().toLowerCase()}.example`;
        break;
      default:
        text = chinese ? this.hanToken() : this.token();
    }
    const dirtyText = dirty ? `${text} ${chinese ? patientFamilyName.han : patientFamilyName.ascii}` : text;
    if (vr === 'PN' && !dirty) {
      const value = `${text}^${chinese ? '雀' : 'Given'}`;
      bytes = chinese ? this.encodeText(value) : ascii(value);
    } else if (isStringVr(vr)) {
      bytes = chinese ? this.encodeText(dirtyText) : ascii(dirtyText);
    } else {
      bytes = ascii(`${this.token()}BIN`);
      text = new TextDecoder().decode(bytes);
    }
    this.plant(`${where} ${tag.toString(16).padStart(8, '0')} ${vr}`, text, this.textForms(text));
    return padEven(bytes, vr === 'UI' ? 0 : 0x20);
  }

  /** A referenced SOP Instance UID: a canary unless the profile keeps UIDs. */
  uidCanary(where: string): Uint8Array {
    return this.profile.retainUIDs ? this.keptValue('UI') : this.valueFor(0x00081155, 'UI', where, false);
  }

  /** A kept value: ordinary, not a canary. */
  keptValue(vr: Vr): Uint8Array {
    const values: Partial<Record<Vr, string>> = { DA: '20200101', DT: '20200101120000', TM: '120000', DS: '1', IS: '1', AS: '045Y', UI: '1.2.840.10008.5.1.4.1.1.2', CS: 'KEPT', AE: 'KEPT' };
    return padEven(ascii(values[vr] ?? 'KEPT'), vr === 'UI' ? 0 : 0x20);
  }

  /** Items for a sequence: a UID to replace and a person name, both canaries. */
  sequenceItems(where: string, depth: number): Uint8Array {
    const content = concat(
      explicit(0x00081155, 'UI', this.uidCanary(`${where}>item`)),
      explicit(Tags.PersonName, 'PN', this.valueFor(Tags.PersonName, 'PN', `${where}>item`, false)),
    );
    return depth > 8 ? item(new Uint8Array(0)) : item(content, true);
  }

  /**
   * SR-style content items: one whose concept Table E.3.4-1 removes (Accession Number, X), one
   * with a person name (Person Observer Name, D), and free text under a local concept.
   */
  contentItems(where: string): Uint8Array {
    const code = (value: string, scheme: string, meaning: string) =>
      explicit(
        Tags.ConceptNameCodeSequence,
        'SQ',
        item(concat(explicit(Tags.CodeValue, 'SH', padEven(ascii(value), 0x20)), explicit(Tags.CodingSchemeDesignator, 'SH', padEven(ascii(scheme), 0x20)), explicit(Tags.CodeMeaning, 'LO', padEven(ascii(meaning), 0x20)))),
      );
    const valueType = (type: string) => explicit(Tags.ValueType, 'CS', padEven(ascii(type), 0x20));
    const accession = item(concat(code('121022', 'DCM', 'Accession Number'), valueType('TEXT'), explicit(Tags.TextValue, 'UT', this.valueFor(Tags.TextValue, 'UT', `${where}>accession`, false))));
    const observer = item(concat(code('121008', 'DCM', 'Person Observer Name'), valueType('PNAME'), explicit(Tags.PersonName, 'PN', this.valueFor(Tags.PersonName, 'PN', `${where}>observer`, false))));
    const note = item(concat(code('99NOTE', '99LOCAL', 'Note'), valueType('TEXT'), explicit(Tags.TextValue, 'UT', this.valueFor(Tags.TextValue, 'UT', `${where}>note`, true))));
    return concat(accession, observer, note);
  }

  /** Every row of Table E.1-1 the profile does not keep, as elements, plus the special cases. */
  elements(where: string, depth: number, reserved: ReadonlySet<Tag> = new Set()): Map<Tag, Uint8Array> {
    const compiled = compileProfile(this.profile);
    const elements = this.specialElements(where, depth);
    for (const [tag] of [...confidentialityProfileRows, ...supplementaryRows]) {
      if (elements.has(tag) || reserved.has(tag)) continue;
      const vr = lookupTag(tag)?.vr ?? 'UN';
      if ((tag >>> 16) === 0x0002) continue; // the file meta is planted separately
      const rule = compiled.rules.get(tag)!;
      if (vr === 'SQ') {
        if (rule === 'keep') continue;
        const at = `${where} ${tag.toString(16).padStart(8, '0')}`;
        const items = tag === Tags.ContentSequence || tag === 0x00400555 ? this.contentItems(at) : this.sequenceItems(at, depth);
        elements.set(tag, explicit(tag, 'SQ', concat(items, sequenceDelimiter()), { length: UNDEFINED }));
        continue;
      }
      const elementVr: Vr = vr === 'UN' ? 'OB' : vr;
      if (rule === 'keep' || rule === 'keepOverlay') {
        elements.set(tag, explicit(tag, elementVr, this.keptValue(elementVr)));
        continue;
      }
      elements.set(tag, explicit(tag, elementVr, this.valueFor(tag, elementVr, where, rule === 'cleanText')));
    }
    return elements;
  }

  /** Canaries in places the table rows do not cover, and the nesting. */
  private specialElements(where: string, depth: number): Map<Tag, Uint8Array> {
    const elements = new Map<Tag, Uint8Array>();
    // Standard attributes encoded as UN: a value and a sequence (whose items are implicit VR).
    elements.set(0x00101040, explicit(0x00101040, 'UN', this.valueFor(0x00101040, 'LO', `${where} as UN`, false)));
    const unItem = concat(implicit(0x00081155, this.uidCanary(`${where} UN item`)), implicit(Tags.PersonName, this.valueFor(Tags.PersonName, 'PN', `${where} UN item`, false)));
    elements.set(0x00081110, explicit(0x00081110, 'UN', concat(item(unItem, true), sequenceDelimiter()), { length: UNDEFINED }));
    // A person name Table E.1-1 does not list (Secondary Reviewer Name).
    elements.set(0x00140104, explicit(0x00140104, 'PN', this.valueFor(0x00140104, 'PN', `${where} unlisted name`, false)));
    // An even tag no dictionary defines.
    elements.set(0x0018fff0, explicit(0x0018fff0, 'LO', this.valueFor(0x0018fff0, 'LO', `${where} unknown tag`, false)));
    // Private elements: a block that is not safe, a private sequence, and an unsafe element in a safe block.
    elements.set(0x00090010, explicit(0x00090010, 'LO', this.valueFor(0x00090010, 'LO', `${where} private creator`, false)));
    elements.set(0x00091001, explicit(0x00091001, 'LO', this.valueFor(0x00091001, 'LO', `${where} private`, false)));
    elements.set(0x00091002, explicit(0x00091002, 'SQ', concat(this.sequenceItems(`${where} private sequence`, depth), sequenceDelimiter()), { length: UNDEFINED }));
    elements.set(0x00190010, explicit(0x00190010, 'LO', padEven(ascii('GEMS_ACQU_01'), 0x20)));
    elements.set(0x00191023, explicit(0x00191023, 'DS', this.profile.retainSafePrivate ? this.keptValue('DS') : this.valueFor(0x00191023, 'DS', `${where} safe private`, false)));
    elements.set(0x00191099, explicit(0x00191099, 'LO', this.valueFor(0x00191099, 'LO', `${where} unsafe private in a safe block`, false)));
    // Always removed: group 0004, signatures, MACs, encrypted attributes, trailing padding.
    elements.set(0x00041130, explicit(0x00041130, 'CS', this.valueFor(0x00041130, 'CS', `${where} group 0004`, false)));
    elements.set(Tags.EncryptedAttributesSequence, explicit(Tags.EncryptedAttributesSequence, 'SQ', concat(item(explicit(0x04000520, 'OB', this.valueFor(0x04000520, 'OB', `${where} encrypted`, false)), true), sequenceDelimiter()), { length: UNDEFINED }));
    elements.set(Tags.MACParametersSequence, explicit(Tags.MACParametersSequence, 'SQ', concat(item(explicit(0x04000015, 'CS', this.valueFor(0x04000015, 'CS', `${where} MAC`, false)), true), sequenceDelimiter()), { length: UNDEFINED }));
    elements.set(Tags.DataSetTrailingPadding, explicit(Tags.DataSetTrailingPadding, 'OB', this.valueFor(Tags.DataSetTrailingPadding, 'OB', `${where} padding`, false)));
    if (depth < 3) {
      // Three more levels, each with the full set, through sequences the profile keeps.
      const nestedTag = [0x00081115, 0x0008114a, 0x00081199][depth]!;
      const nested = serialize(this.elements(`${where}>${nestedTag.toString(16).padStart(8, '0')}[0]`, depth + 1));
      elements.set(nestedTag, explicit(nestedTag, 'SQ', concat(item(nested, true), sequenceDelimiter()), { length: UNDEFINED }));
    }
    return elements;
  }

  /** The top-level data set: identifying UIDs, patient identity, character set. */
  root(): Uint8Array {
    const elements = this.elements('top', 0, new Set([Tags.PatientName, Tags.SpecificCharacterSet, Tags.SOPClassUID]));
    const specificCharacterSet = { ascii: undefined, gb18030: 'GB18030', iso2022: '\\ISO 2022 IR 58' }[this.characterSet];
    // Chinese names usually come with an alphabetic component group as well (PS3.5 6.2.1.2).
    const patientName = this.characterSet === 'ascii' ? `${patientFamilyName.ascii}^ELLA` : `${patientFamilyName.ascii}^ELLA=王^小东`;
    const family = this.characterSet === 'ascii' ? patientFamilyName.ascii : '小东';
    this.plant('top PatientName', patientName, this.textForms(patientName));
    this.plant('top PatientName family', family, this.textForms(family));
    if (specificCharacterSet !== undefined) elements.set(Tags.SpecificCharacterSet, explicit(Tags.SpecificCharacterSet, 'CS', padEven(ascii(specificCharacterSet), 0x20)));
    elements.set(Tags.SOPClassUID, explicit(Tags.SOPClassUID, 'UI', padEven(ascii('1.2.840.10008.5.1.4.1.1.7'), 0)));
    elements.set(Tags.PatientName, explicit(Tags.PatientName, 'PN', padEven(this.encodeText(patientName), 0x20)));
    // A 1×1 image: a secondary capture without pixels is an incomplete instance an archive refuses.
    const us = (value: number) => new Uint8Array([value & 0xff, value >> 8]);
    for (const [tag, value] of [[Tags.SamplesPerPixel, 1], [Tags.Rows, 1], [Tags.Columns, 1], [Tags.BitsAllocated, 16], [0x00280101, 16], [0x00280102, 15], [0x00280103, 0]] as const) {
      elements.set(tag, explicit(tag, 'US', us(value)));
    }
    elements.set(Tags.PhotometricInterpretation, explicit(Tags.PhotometricInterpretation, 'CS', ascii('MONOCHROME2 ')));
    elements.set(Tags.PixelData, explicit(Tags.PixelData, 'OW', new Uint8Array(2)));
    return serialize(elements);
  }

  /** Preamble and file meta full of canaries. */
  file(): Uint8Array {
    const dataset = this.root();
    const preamble = new Uint8Array(128);
    const preambleCanary = this.token();
    preamble.set(ascii(`PREAMBLE ${preambleCanary}`), 8);
    this.plant('preamble', preambleCanary, [ascii(preambleCanary)]);
    const meta = concat(
      explicit(0x00020001, 'OB', new Uint8Array([0, 1])),
      explicit(0x00020002, 'UI', padEven(ascii('1.2.840.10008.5.1.4.1.1.7'), 0)),
      explicit(0x00020003, 'UI', this.valueFor(0x00020003, 'UI', 'meta', false)),
      explicit(0x00020010, 'UI', padEven(ascii('1.2.840.10008.1.2.1'), 0)),
      explicit(0x00020012, 'UI', this.valueFor(0x00020012, 'UI', 'meta', false)),
      explicit(0x00020013, 'SH', this.valueFor(0x00020013, 'SH', 'meta', false)),
      explicit(0x00020016, 'AE', this.valueFor(0x00020016, 'AE', 'meta', false)),
      explicit(0x00020017, 'AE', this.valueFor(0x00020017, 'AE', 'meta', false)),
      explicit(0x00020018, 'AE', this.valueFor(0x00020018, 'AE', 'meta', false)),
      explicit(0x00020100, 'UI', this.valueFor(0x00020100, 'UI', 'meta', false)),
      explicit(0x00020102, 'OB', this.valueFor(0x00020102, 'OB', 'meta', false)),
    );
    return concat(preamble, ascii('DICM'), explicit(0x00020000, 'UL', u32(meta.length)), meta, dataset);
  }
}

/** Elements in ascending tag order (PS3.5 7.1), as the data set bytes. */
function serialize(elements: Map<Tag, Uint8Array>): Uint8Array {
  return concat(...[...elements.entries()].sort(([a], [b]) => a - b).map(([, bytes]) => bytes));
}

export function buildCanaryFixture(profile: DeidentificationProfile, characterSet: CanaryCharacterSet): CanaryFixture {
  const builder = new CanaryBuilder(characterSet, profile);
  const bytes = builder.file();
  return { bytes, canaries: builder.canaries };
}

/** Offset of `needle` in `haystack`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  const first = needle[0]!;
  for (let index = haystack.indexOf(first); index >= 0 && index + needle.length <= haystack.length; index = haystack.indexOf(first, index + 1)) {
    let match = true;
    for (let offset = 1; offset < needle.length; offset++) {
      if (haystack[index + offset] !== needle[offset]) {
        match = false;
        break;
      }
    }
    if (match) return index;
  }
  return -1;
}
