import { readIndexAttributes, type IndexAttributes } from './attributes.js';
import { characterSetOf, decodeText, defaultCharacterSet, readText, type CharacterSet } from './charset.js';
import { IdentifyingTokens } from './clean-text.js';
import { findElement, getAsciiString, readAsciiString, valueBytes, type DicomDataset, type DicomElement } from './dataset.js';
import { ageBetween, shiftDateTimeValue, shiftDateValue } from './dates.js';
import { lookupTag } from './dictionary.js';
import { DicomError } from './errors.js';
import { resolveLimits, type DicomLimits } from './limits.js';
import type { Inflater } from './inflate.js';
import { parseDicom, parseDicomInflating, type DicomFile } from './parse.js';
import { pixelReviewReasonsOf, type PixelReviewReason } from './pixel-review.js';
import {
  compileProfile,
  conceptKey,
  methodCodesOf,
  profileEdition,
  remoteDiagnosisProfile,
  safePrivateKey,
  type CompiledProfile,
  type DeidentificationProfile,
  type ElementRule,
} from './profile.js';
import type { PatientIdentity, PseudonymResponse, PseudonymStore } from './pseudonym-store.js';
import { elementOf, formatTag, groupOf, isCurveGroup, isGroupLengthTag, isOverlayGroup, Tags, type Tag } from './tags.js';
import { encodeAscii } from './text-encoding.js';
import { isValidUid } from './uid.js';
import { validateForIngest, type ValidationLevel } from './validate.js';
import { isMultiValuedStringVr, isStringVr, isTextVr, type Vr } from './vr.js';
import { writeDicom, type WriteElement } from './write.js';

export interface AnonymizeOptions {
  /** Default: `remoteDiagnosisProfile`. */
  readonly profile?: DeidentificationProfile;
  readonly limits?: Partial<DicomLimits>;
  /** `ingest` (default) or `structure`: see `ValidationLevel`. */
  readonly validation?: ValidationLevel;
}

export interface AnonymizeDeps {
  readonly pseudonyms: PseudonymStore;
  /** Inflates deflated data sets off this thread (a server's zlib thread pool); without it, in line. */
  readonly inflate?: Inflater;
}

/**
 * The original → pseudonym record of one instance, for the caller to keep encrypted (it is the
 * only way back to the patient). Strings are decoded JavaScript strings.
 */
export interface AnonymizationMapping {
  readonly patient: { readonly original: PatientIdentity; readonly pseudonym: { readonly id: string; readonly name: string } };
  /** The original Accession Number and what is stored instead (empty: the Basic Profile's Z). */
  readonly accessionNumber: { readonly original: string; readonly pseudonym: string };
  /** Every UID that was replaced, original first. */
  readonly uids: ReadonlyArray<{ readonly original: string; readonly pseudonym: string }>;
  /** Days added to every date, or null when dates were kept or removed. */
  readonly dateShiftDays: number | null;
}

export interface AnonymizeResult {
  /** The de-identified Part 10 file. */
  readonly bytes: Uint8Array;
  readonly mapping: AnonymizationMapping;
  readonly needsPixelReview: boolean;
  readonly pixelReviewReasons: readonly PixelReviewReason[];
  /** Index attributes read back from the output (anonymized values). */
  readonly attributes: IndexAttributes;
  /** The output as parsed back (what is stored): for what else the index keeps of it. */
  readonly stored: DicomFile;
}

/** Text written where the profile asks for a dummy value (action D). */
const DUMMY_TEXT = 'ANONYMIZED';
/** Coding scheme of dummy codes: "99" marks a private scheme (PS3.16 Section 8). */
const DUMMY_CODING_SCHEME = '99YUNZHEN';

const dummyByVr: Partial<Record<Vr, string>> = {
  AE: DUMMY_TEXT, AS: '000D', CS: DUMMY_TEXT, DA: '19000101', DS: '0', DT: '19000101000000', IS: '0', LO: DUMMY_TEXT, LT: DUMMY_TEXT,
  PN: DUMMY_TEXT, SH: DUMMY_TEXT, ST: DUMMY_TEXT, TM: '000000', UC: DUMMY_TEXT, UR: 'urn:anonymized', UT: DUMMY_TEXT,
};

/** A one-page blank PDF: the dummy for Encapsulated Document (D) when the document is a PDF. */
const blankPdf = encodeAscii(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj ' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

/**
 * Elements removed wherever they occur, whatever the profile: digital signatures and MACs (they
 * sign the original), the encrypted and original attributes (they hold the original values), icon
 * images (thumbnails of the pixels, E.1-1 Note 11), and trailing padding.
 */
const alwaysRemoved = new Set<Tag>([
  Tags.DigitalSignaturesSequence,
  Tags.MACParametersSequence,
  Tags.EncryptedAttributesSequence,
  Tags.OriginalAttributesSequence,
  Tags.IconImageSequence,
  Tags.DataSetTrailingPadding,
]);

/** Content item value attributes by Value Type (PS3.3 C.17.3.2.1, Table C.18.1-1). */
const contentValueTags: Record<string, Tag> = {
  TEXT: Tags.TextValue,
  DATETIME: Tags.DateTime,
  DATE: Tags.Date,
  TIME: Tags.Time,
  PNAME: Tags.PersonName,
  UIDREF: Tags.UID,
  NUM: 0x0040a300,
  CODE: 0x0040a168,
  IMAGE: 0x00081199,
  COMPOSITE: 0x00081199,
  WAVEFORM: 0x00081199,
  SCOORD: 0x00700022,
  SCOORD3D: 0x00700022,
};

/** Value types whose value is one text-like attribute. */
const scalarValueTypes = new Set(['TEXT', 'PNAME', 'DATE', 'TIME', 'DATETIME', 'UIDREF']);

/** Sequences whose items are SR-style content items (PS3.15 E.3.4). */
const contentSequences = new Set<Tag>([Tags.ContentSequence, 0x00400555, 0x00400610, 0x00400612, 0x0040b020]);

type ContentMode = 'none' | 'clean' | 'dummy';

interface MutableValueElement {
  tag: Tag;
  vr: Vr;
  bytes: Uint8Array;
}

type Deferred = (resolved: PseudonymResponse) => void;

/**
 * One instance being de-identified. Walking the parsed tree builds the output element list;
 * values that need the pseudonym store (UIDs, shifted dates, patient pseudonyms) are filled in
 * after its single `resolve` call.
 */
class Anonymization {
  readonly uidsToReplace = new Set<string>();
  /** UI elements kept as they are; remapped afterwards if they repeat a replaced UID. */
  private readonly keptUidElements: Array<{ element: MutableValueElement; values: string[] }> = [];
  private readonly deferred: Deferred[] = [];
  readonly reviewReasons = new Set<PixelReviewReason>();
  private tokens: IdentifyingTokens | undefined;

  constructor(
    private readonly file: DicomFile,
    private readonly compiled: CompiledProfile,
  ) {}

  /** Writes `tag` as the pseudonym of `original` once the pseudonyms are resolved. */
  replaceUidLater(output: WriteElement[], tag: Tag, original: string): void {
    this.uidsToReplace.add(original);
    this.deferred.push((resolved) => replaceElement(output, { tag, vr: 'UI', bytes: encodeAscii(resolved.uids.get(original)!) }));
  }

  fill(resolved: PseudonymResponse): void {
    for (const { element, values } of this.keptUidElements) {
      if (values.some((value) => this.uidsToReplace.has(value))) {
        element.bytes = encodeAscii(values.map((value) => (this.uidsToReplace.has(value) ? resolved.uids.get(value)! : value)).join('\\'));
      }
    }
    for (const fill of this.deferred) fill(resolved);
  }

  /**
   * De-identifies one data set or item into output elements. `overrides` replaces the rule of
   * particular tags (the value attribute of a content item matched in Table E.3.4-1).
   */
  planDataset(dataset: DicomDataset, inherited: CharacterSet, depth: number, mode: ContentMode, overrides?: ReadonlyMap<Tag, ElementRule>): WriteElement[] {
    const characterSet = characterSetOf(dataset, inherited);
    const output: WriteElement[] = [];
    const privateCreators = this.privateCreators(dataset, characterSet);
    const usedPrivateBlocks = new Set<number>();

    for (const element of dataset.elements) {
      const { tag } = element;
      const group = groupOf(tag);
      if (group === 0x0000 || group === 0x0002 || group === 0x0004 || isGroupLengthTag(tag) || alwaysRemoved.has(tag)) continue;
      if ((group & 1) === 1) {
        this.planPrivate(dataset, element, characterSet, depth, mode, privateCreators, usedPrivateBlocks, output);
        continue;
      }
      if (isOverlayGroup(group)) {
        this.planGraphics(dataset, element, characterSet, elementOf(tag) === 0x4000 ? this.compiled.overlayCommentsRule : this.compiled.overlayDataRule, output);
        continue;
      }
      if (isCurveGroup(group)) {
        this.planGraphics(dataset, element, characterSet, this.compiled.curveRule, output);
        continue;
      }
      if (depth === 0 && (tag === Tags.PatientName || tag === Tags.PatientID)) {
        this.planPatientPseudonym(element, output);
        continue;
      }
      this.applyRule(dataset, element, overrides?.get(tag) ?? this.ruleOf(element, mode), characterSet, depth, mode, output);
    }

    for (const element of dataset.elements) {
      if (privateCreators.has(element.tag) && usedPrivateBlocks.has(element.tag)) output.push(this.copy(dataset, element));
    }
    return output;
  }

  private effectiveVr(element: DicomElement): Vr {
    return element.vr === 'UN' && element.items === undefined ? (lookupTag(element.tag)?.vr ?? 'UN') : element.vr;
  }

  private ruleOf(element: DicomElement, mode: ContentMode): ElementRule {
    const listed = this.compiled.rules.get(element.tag);
    if (listed !== undefined) return listed;
    // Text Value is not in Table E.1-1; a content item's free text is exactly what E.3.4 is about.
    if (element.tag === Tags.TextValue) return mode !== 'dummy' && (mode === 'clean' || this.compiled.profile.descriptors === 'clean') ? 'cleanText' : 'dummy';
    if (element.items !== undefined) return 'recurse';
    // Attributes Table E.1-1 does not list are kept (E.1.1), except tags no edition of PS3.6
    // known here defines: nothing says they are safe.
    const known = lookupTag(element.tag);
    if (known === undefined) return 'remove';
    const vr = this.effectiveVr(element);
    if (vr === 'DA' || vr === 'DT') return this.compiled.unlistedDateRule;
    // A person's name is identifying wherever it is (three PN attributes of PS3.6 are not listed).
    if (vr === 'PN') return 'emptyOrDummy';
    return 'keep';
  }

  private applyRule(dataset: DicomDataset, element: DicomElement, rule: ElementRule, characterSet: CharacterSet, depth: number, mode: ContentMode, output: WriteElement[]): void {
    const vr = this.effectiveVr(element);
    const isSequence = element.items !== undefined;
    switch (rule) {
      case 'remove':
        return;
      case 'empty':
        output.push(isSequence ? { tag: element.tag, vr: element.vr, items: [] } : { tag: element.tag, vr, bytes: new Uint8Array(0) });
        return;
      case 'emptyOrDummy':
        if (isSequence) return this.applyRule(dataset, element, 'recurse', characterSet, depth, mode, output);
        if (isBlank(dataset, element)) output.push({ tag: element.tag, vr, bytes: new Uint8Array(0) });
        else this.planDummy(dataset, element, vr, output);
        return;
      case 'dummy':
        if (isSequence) return this.applyRule(dataset, element, 'recurse', characterSet, depth, mode, output);
        this.planDummy(dataset, element, vr, output);
        return;
      case 'replaceUid':
        this.planUidReplacement(dataset, element, output);
        return;
      case 'shiftDate':
        this.planDateShift(dataset, element, vr, output);
        return;
      case 'cleanText':
        this.planCleanText(dataset, element, vr, characterSet, depth, mode, output);
        return;
      case 'keepOverlay':
        this.reviewReasons.add('OverlayRetained');
        output.push(this.copy(dataset, element));
        return;
      case 'cleanContent':
      case 'recurse': {
        if (!isSequence) {
          // A sequence attribute that did not parse as one cannot be looked into: drop it.
          if (lookupTag(element.tag)?.vr !== 'SQ') output.push(this.copy(dataset, element));
          return;
        }
        let itemMode = mode;
        if (rule === 'cleanContent') itemMode = 'clean';
        else if (mode === 'none' && contentSequences.has(element.tag)) itemMode = 'dummy';
        const items: WriteElement[][] = [];
        for (const item of element.items!) {
          const planned = this.planItem(item, characterSet, depth + 1, itemMode);
          if (planned !== undefined) items.push(planned);
        }
        output.push({ tag: element.tag, vr: element.vr, items });
        return;
      }
      case 'keep':
        if (isSequence) return this.applyRule(dataset, element, 'recurse', characterSet, depth, mode, output);
        output.push(this.copy(dataset, element, vr === 'UI'));
        return;
      case 'dummyCode': {
        const items = (element.items ?? []).map((): WriteElement[] => [
          { tag: Tags.CodeValue, vr: 'SH', bytes: encodeAscii(DUMMY_TEXT) },
          { tag: Tags.CodingSchemeDesignator, vr: 'SH', bytes: encodeAscii(DUMMY_CODING_SCHEME) },
          { tag: Tags.CodeMeaning, vr: 'LO', bytes: encodeAscii(DUMMY_TEXT) },
        ]);
        output.push({ tag: element.tag, vr: element.vr === 'UN' ? 'UN' : 'SQ', items });
        return;
      }
    }
  }

  /**
   * An item of a sequence. In a cleaned content tree (E.3.4) an item whose concept name is in
   * Table E.3.4-1 takes that row's action: X removes the whole content item, other actions apply
   * to its value attribute; the rest of the item is de-identified like any data set.
   */
  private planItem(item: DicomDataset, characterSet: CharacterSet, depth: number, mode: ContentMode): WriteElement[] | undefined {
    if (mode !== 'clean' || this.compiled.structuredContent === undefined) return this.planDataset(item, characterSet, depth, mode);
    const valueType = getAsciiString(item, Tags.ValueType)?.toUpperCase();
    const conceptName = findElement(item, Tags.ConceptNameCodeSequence)?.items?.[0];
    if (valueType === undefined || conceptName === undefined) return this.planDataset(item, characterSet, depth, mode);
    const codeValue = getAsciiString(conceptName, Tags.CodeValue) ?? getAsciiString(conceptName, Tags.LongCodeValue) ?? getAsciiString(conceptName, Tags.URNCodeValue) ?? '';
    const scheme = getAsciiString(conceptName, Tags.CodingSchemeDesignator) ?? '';
    let rule = this.compiled.structuredContent.get(conceptKey(codeValue, scheme, valueType));
    // A listed concept sent with another scalar value type (a name as TEXT) is still that concept;
    // coded and numeric values are not text, so for them only an exact match counts.
    if (rule === undefined && scalarValueTypes.has(valueType)) {
      rule = this.compiled.structuredContentAnyType?.get(conceptKey(codeValue, scheme, '*'));
      if (rule === 'recurse' || rule === 'cleanContent' || rule === 'dummyCode') rule = 'cleanText';
    }
    if (rule === undefined) return this.planDataset(item, characterSet, depth, mode);
    if (rule === 'remove') return undefined;
    const valueTag = contentValueTags[valueType];
    if (valueTag === undefined) return this.planDataset(item, characterSet, depth, mode);
    return this.planDataset(item, characterSet, depth, mode, new Map([[valueTag, rule]]));
  }

  /** Private Creator elements of a data set: tag → creator, for odd groups 0009 to FFFD. */
  private privateCreators(dataset: DicomDataset, characterSet: CharacterSet): Map<Tag, string> {
    const creators = new Map<Tag, string>();
    if (this.compiled.safePrivate === undefined) return creators;
    for (const element of dataset.elements) {
      const group = groupOf(element.tag);
      const number = elementOf(element.tag);
      if ((group & 1) === 1 && group > 0x0008 && number >= 0x0010 && number <= 0x00ff && element.items === undefined) {
        creators.set(element.tag, readText(dataset, element, characterSet).trim());
      }
    }
    return creators;
  }

  /**
   * Private elements are removed (E.1-1 "(gggg,eeee) where gggg is odd") unless Retain Safe
   * Private is on and (creator, group, element byte) is listed in Table E.3.10-1. A kept element
   * keeps its Private Creator; a safe private sequence is de-identified item by item.
   */
  private planPrivate(dataset: DicomDataset, element: DicomElement, characterSet: CharacterSet, depth: number, mode: ContentMode, creators: Map<Tag, string>, usedBlocks: Set<number>, output: WriteElement[]): void {
    const safe = this.compiled.safePrivate;
    if (safe === undefined) return;
    const group = groupOf(element.tag);
    const number = elementOf(element.tag);
    if (number < 0x1000) return; // creators are emitted with their blocks; other low elements are not private data
    const block = number >>> 8;
    const creatorTag = ((group << 16) | block) >>> 0;
    const creator = creators.get(creatorTag);
    if (creator === undefined || !safe.has(safePrivateKey(creator, group, number & 0xff))) return;
    usedBlocks.add(creatorTag);
    this.applyRule(dataset, element, element.items !== undefined ? 'recurse' : 'keep', characterSet, depth, mode, output);
  }

  /**
   * Overlays (60xx) and curves (50xx). Without Clean Graphics the whole group goes, so no overlay
   * is left half-described (Overlay Data is the only element E.1-1 lists besides the comments).
   * With it, bitmaps are kept for pixel review and their text is cleaned.
   */
  private planGraphics(dataset: DicomDataset, element: DicomElement, characterSet: CharacterSet, rule: ElementRule, output: WriteElement[]): void {
    if (rule === 'remove') return;
    const vr = this.effectiveVr(element);
    if (rule === 'cleanText' || (rule === 'keepOverlay' && isTextVr(vr))) {
      this.planCleanText(dataset, element, vr, characterSet, 0, 'none', output);
      return;
    }
    this.reviewReasons.add('OverlayRetained');
    output.push(this.copy(dataset, element));
  }

  private planPatientPseudonym(element: Pick<DicomElement, 'tag'>, output: WriteElement[]): void {
    const planned: MutableValueElement = { tag: element.tag, vr: element.tag === Tags.PatientName ? 'PN' : 'LO', bytes: new Uint8Array(0) };
    output.push(planned);
    this.deferred.push((resolved) => {
      planned.bytes = encodeAscii(element.tag === Tags.PatientName ? resolved.patient.name : resolved.patient.id);
    });
  }

  /**
   * Patient ID and Name are written even when the original lacks them (both are type 2 in every
   * image IOD), so the stored file names the same pseudonymous patient the index does.
   */
  planMissingPatientPseudonyms(output: WriteElement[]): void {
    for (const tag of [Tags.PatientName, Tags.PatientID]) {
      if (!output.some((element) => element.tag === tag)) this.planPatientPseudonym({ tag }, output);
    }
  }

  private planUidReplacement(dataset: DicomDataset, element: DicomElement, output: WriteElement[]): void {
    const values = readAsciiString(dataset, element).split('\\').map((value) => value.replace(/[\0 ]+$/, '').trim());
    for (const value of values) if (value !== '') this.uidsToReplace.add(value);
    const planned: MutableValueElement = { tag: element.tag, vr: 'UI', bytes: new Uint8Array(0) };
    output.push(planned);
    this.deferred.push((resolved) => {
      planned.bytes = encodeAscii(values.map((value) => (value === '' ? '' : resolved.uids.get(value)!)).join('\\'));
    });
  }

  private planDateShift(dataset: DicomDataset, element: DicomElement, vr: Vr, output: WriteElement[]): void {
    const values = readAsciiString(dataset, element).split('\\').map((value) => value.trim());
    const planned: MutableValueElement = { tag: element.tag, vr, bytes: new Uint8Array(0) };
    output.push(planned);
    this.deferred.push((resolved) => {
      // A value that is not a valid date cannot be shifted and is dropped rather than kept.
      const shifted = values.map((value) => (vr === 'DT' ? shiftDateTimeValue(value, resolved.dateShiftDays) : shiftDateValue(value, resolved.dateShiftDays)) ?? '');
      planned.bytes = encodeAscii(shifted.every((value) => value === '') ? '' : shifted.join('\\'));
    });
  }

  private planDummy(dataset: DicomDataset, element: DicomElement, vr: Vr, output: WriteElement[]): void {
    if (vr === 'UI') {
      this.planUidReplacement(dataset, element, output);
      return;
    }
    if (element.tag === Tags.EncapsulatedDocument) {
      const mime = getAsciiString(dataset, Tags.MIMETypeOfEncapsulatedDocument)?.toLowerCase();
      output.push({ tag: element.tag, vr: 'OB', bytes: mime === 'application/pdf' ? blankPdf : new Uint8Array(2) });
      return;
    }
    const text = dummyByVr[vr];
    if (text !== undefined) {
      output.push({ tag: element.tag, vr, bytes: encodeAscii(text) });
      return;
    }
    // Binary values: zeros, one value's worth.
    const size = vr === 'FD' || vr === 'SV' || vr === 'UV' || vr === 'OD' || vr === 'OV' ? 8 : vr === 'FL' || vr === 'UL' || vr === 'SL' || vr === 'OF' || vr === 'OL' || vr === 'AT' ? 4 : 2;
    output.push({ tag: element.tag, vr, bytes: new Uint8Array(size) });
  }

  /**
   * E.1-1 action C on text (see clean-text.ts): the value is kept as it is if it is known clean;
   * otherwise the row's Basic Profile action applies (a Type 1 label gets a dummy, a comment goes).
   */
  private planCleanText(dataset: DicomDataset, element: DicomElement, vr: Vr, characterSet: CharacterSet, depth: number, mode: ContentMode, output: WriteElement[]): void {
    const fallback: ElementRule = this.compiled.cleanFallback.get(element.tag) ?? (element.tag === Tags.TextValue ? 'dummy' : 'remove');
    if (isStringVr(vr)) {
      const text = decodeText(valueBytes(dataset, element), characterSet, vr);
      const values = isMultiValuedStringVr(vr) ? text.split('\\') : [text];
      const tokens = this.identifyingTokens();
      if (values.every((value) => tokens.isClean(value))) {
        output.push(this.copy(dataset, element));
        return;
      }
    }
    if (fallback !== 'cleanText') this.applyRule(dataset, element, fallback, characterSet, depth, mode, output);
  }

  private copy(dataset: DicomDataset, element: DicomElement, checkUids = false): WriteElement {
    if (element.fragments !== undefined) {
      return { tag: element.tag, vr: element.vr, fragments: element.fragments.map((fragment) => dataset.bytes.subarray(fragment.offset, fragment.offset + fragment.length)) };
    }
    const copied: MutableValueElement = { tag: element.tag, vr: element.vr, bytes: valueBytes(dataset, element) };
    if (checkUids) {
      const values = readAsciiString(dataset, element).split('\\').map((value) => value.replace(/[\0 ]+$/, '').trim());
      for (const value of values) {
        if (value !== '' && !isValidUid(value)) {
          throw new DicomError('InvalidUid', `${formatTag(element.tag)}: a kept UID does not conform to PS3.5 9.1`, { tag: formatTag(element.tag) });
        }
      }
      this.keptUidElements.push({ element: copied, values });
    }
    return copied;
  }

  /**
   * Identifying tokens of the whole instance, collected once, on the first text to clean: values
   * of every person name, of the identifiers and dates the profile removes or replaces, except
   * descriptors (which are what gets cleaned).
   */
  private identifyingTokens(): IdentifyingTokens {
    if (this.tokens !== undefined) return this.tokens;
    const tokens = new IdentifyingTokens();
    const identifierVrs = new Set<Vr>(['PN', 'LO', 'SH', 'AE', 'UC', 'DA', 'DT']);
    const visit = (dataset: DicomDataset, inherited: CharacterSet) => {
      const characterSet = characterSetOf(dataset, inherited);
      for (const element of dataset.elements) {
        if (element.items !== undefined) {
          for (const item of element.items) visit(item, characterSet);
          continue;
        }
        if ((groupOf(element.tag) & 1) === 1 || this.compiled.descriptorTags.has(element.tag)) continue;
        const vr = this.effectiveVr(element);
        if (!identifierVrs.has(vr)) continue;
        const rule = this.compiled.rules.get(element.tag) ?? (vr === 'DA' || vr === 'DT' ? this.compiled.unlistedDateRule : 'keep');
        const identifying = vr === 'PN' || (rule !== 'keep' && rule !== 'cleanText');
        if (!identifying) continue;
        if (vr === 'DA' || vr === 'DT') {
          for (const value of readAsciiString(dataset, element).split('\\')) tokens.addDate(value.trim());
        } else {
          tokens.add(readText(dataset, element, characterSet), vr === 'PN');
        }
      }
    };
    visit(this.file.dataset, defaultCharacterSet);
    this.tokens = tokens;
    return tokens;
  }
}

function isBlank(dataset: DicomDataset, element: DicomElement): boolean {
  const bytes = valueBytes(dataset, element);
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x00) return false;
  return true;
}

function readPatientIdentity(dataset: DicomDataset, characterSet: CharacterSet): PatientIdentity {
  const text = (tag: Tag) => {
    const element = findElement(dataset, tag);
    return element === undefined ? '' : readText(dataset, element, characterSet).trim();
  };
  return {
    id: text(Tags.PatientID),
    name: text(Tags.PatientName),
    birthDate: getAsciiString(dataset, Tags.PatientBirthDate) ?? '',
    issuer: text(Tags.IssuerOfPatientID),
    studyUid: getAsciiString(dataset, Tags.StudyInstanceUID) ?? '',
    address: text(Tags.PatientAddress),
  };
}

/** Pseudonyms are written into the original character set, so they must be plain ASCII. */
const pseudonymPattern = /^[\x20-\x5b\x5d-\x7d]{0,64}$/;

function checkResponse(request: { uids: readonly string[] }, response: PseudonymResponse): void {
  for (const uid of request.uids) {
    const pseudonym = response.uids.get(uid);
    if (pseudonym === undefined || !isValidUid(pseudonym)) throw new Error('pseudonym store returned no conformant UID for a requested UID');
  }
  if (!pseudonymPattern.test(response.patient.id) || response.patient.id === '') throw new Error('pseudonym store returned a patient ID that is empty, too long or not printable ASCII');
  if (!pseudonymPattern.test(response.patient.name)) throw new Error('pseudonym store returned a patient name that is too long or not printable ASCII');
  if (!Number.isInteger(response.dateShiftDays) || Math.abs(response.dateShiftDays) > 36_500) throw new Error('pseudonym store returned a date shift that is not a whole number of days within 100 years');
}

/** Appends values to a multi-valued string element, keeping the original bytes as they are. */
function appendValues(original: Uint8Array | undefined, values: readonly string[]): Uint8Array {
  let end = original?.length ?? 0;
  while (end > 0 && (original![end - 1] === 0x20 || original![end - 1] === 0x00)) end--;
  const appended = encodeAscii((end > 0 ? '\\' : '') + values.join('\\'));
  const bytes = new Uint8Array(end + appended.length);
  if (end > 0) bytes.set(original!.subarray(0, end));
  bytes.set(appended, end);
  return bytes;
}

function replaceElement(output: WriteElement[], element: WriteElement): void {
  const index = output.findIndex((candidate) => candidate.tag === element.tag);
  if (index >= 0) output.splice(index, 1, element);
  else output.push(element);
}

/**
 * Adds the attributes PS3.15 E.1.1 asks a de-identifier to add: Patient Identity Removed YES,
 * De-identification Method (appended) and its Code Sequence with the CID 7050 code of the profile
 * and of each option, and Longitudinal Temporal Information Modified.
 */
function addDeidentificationMarkers(output: WriteElement[], dataset: DicomDataset, profile: DeidentificationProfile): void {
  const codes = methodCodesOf(profile);
  replaceElement(output, { tag: Tags.PatientIdentityRemoved, vr: 'CS', bytes: encodeAscii('YES') });
  const existingMethod = findElement(dataset, Tags.DeidentificationMethod);
  const methodValues = [`Yunzhen de-identifier, DICOM PS3.15 ${profileEdition}`, ...codes.map((code) => code.codeMeaning)];
  replaceElement(output, {
    tag: Tags.DeidentificationMethod,
    vr: 'LO',
    bytes: appendValues(existingMethod === undefined ? undefined : valueBytes(dataset, existingMethod), methodValues),
  });
  const existingCodes = output.find((element) => element.tag === Tags.DeidentificationMethodCodeSequence);
  const codeItems = codes.map((code): WriteElement[] => [
    { tag: Tags.CodeValue, vr: 'SH', bytes: encodeAscii(code.codeValue) },
    { tag: Tags.CodingSchemeDesignator, vr: 'SH', bytes: encodeAscii('DCM') },
    { tag: Tags.CodeMeaning, vr: 'LO', bytes: encodeAscii(code.codeMeaning) },
  ]);
  const previousItems = existingCodes !== undefined && 'items' in existingCodes ? existingCodes.items : [];
  replaceElement(output, { tag: Tags.DeidentificationMethodCodeSequence, vr: 'SQ', items: [...previousItems, ...codeItems] });
  const longitudinal = { full: 'UNMODIFIED', modified: 'MODIFIED', remove: 'REMOVED' }[profile.longitudinalTemporalInformation];
  replaceElement(output, { tag: Tags.LongitudinalTemporalInformationModified, vr: 'CS', bytes: encodeAscii(longitudinal) });
}

/** Prefix of the stand-in "original" for a Study or Series Instance UID the instance did not have. */
export const DERIVED_UID_PREFIX = 'derived:';

/**
 * An instance without Study or Series Instance UID still belongs somewhere. Its missing UIDs
 * are minted by the pseudonym store from a stand-in original built from what identifies the
 * study (patient, study date and time, accession number, study ID) or, when none of those is
 * present, the instance itself; the series adds modality and series number. Instances of one
 * study exported together therefore land in one study, deterministically per hospital.
 */
function deriveMissingStudyAndSeries(output: WriteElement[], dataset: DicomDataset, anonymization: Anonymization): void {
  const text = (tag: Tag) => getAsciiString(dataset, tag) ?? '';
  const studyFacts = [Tags.PatientID, Tags.PatientName, Tags.StudyDate, Tags.StudyTime, Tags.AccessionNumber, Tags.StudyID].map((tag) => text(tag));
  const studyKey = studyFacts.some((fact) => fact !== '') ? studyFacts.join('\u0000') : `instance\u0000${text(Tags.SOPInstanceUID)}`;
  const derive = (tag: Tag, original: string) => {
    if (text(tag) !== '') return;
    anonymization.replaceUidLater(output, tag, DERIVED_UID_PREFIX + original);
  };
  derive(Tags.StudyInstanceUID, `study\u0000${studyKey}`);
  derive(Tags.SeriesInstanceUID, `series\u0000${studyKey}\u0000${text(Tags.Modality)}\u0000${text(Tags.SeriesNumber)}`);
}

/**
 * With Retain Patient Characteristics, an instance that lacks Patient's Age gets one computed
 * from the original birth date and the study (or series, acquisition, content) date, so the
 * reader knows the age although the birth date is removed.
 */
function addDerivedAge(output: WriteElement[], dataset: DicomDataset, compiled: CompiledProfile): void {
  if (compiled.rules.get(Tags.PatientAge) !== 'keep') return;
  const existing = getAsciiString(dataset, Tags.PatientAge);
  if (existing !== undefined && existing !== '') return;
  const birthDate = getAsciiString(dataset, Tags.PatientBirthDate) ?? '';
  const onDate = [Tags.StudyDate, Tags.SeriesDate, Tags.AcquisitionDate, Tags.ContentDate].map((tag) => getAsciiString(dataset, tag) ?? '').find((value) => value !== '');
  const age = onDate === undefined ? undefined : ageBetween(birthDate, onDate);
  if (age !== undefined) replaceElement(output, { tag: Tags.PatientAge, vr: 'AS', bytes: encodeAscii(age) });
}

/**
 * De-identifies one instance per DICOM PS3.15 Annex E (Table E.1-1, 2026c) at every nesting level
 * and returns the rebuilt Part 10 file with the mapping record. Fails closed: anything that does
 * not parse and validate completely throws `DicomError`, and nothing is returned. Never logs.
 */
export async function anonymize(bytes: Uint8Array, options: AnonymizeOptions, deps: AnonymizeDeps): Promise<AnonymizeResult> {
  const limits = resolveLimits(options.limits);
  const profile = options.profile ?? remoteDiagnosisProfile;
  const compiled = compileProfile(profile);
  const file = deps.inflate ? await parseDicomInflating(bytes, limits, deps.inflate) : parseDicom(bytes, limits);
  validateForIngest(file, limits, options.validation ?? 'ingest');
  // Replacement values are ASCII letters, digits, spaces and ^ . - : only (backslash only as the
  // value delimiter), which read the same in every character set PS3.3 C.12.1.1.2 allows,
  // including JIS X 0201 Romaji where 0x5C and 0x7E differ from ASCII.
  const rootCharacterSet = characterSetOf(file.dataset);

  const anonymization = new Anonymization(file, compiled);
  const output = anonymization.planDataset(file.dataset, rootCharacterSet, 0, 'none');
  if (options.validation === 'instance') deriveMissingStudyAndSeries(output, file.dataset, anonymization);
  anonymization.planMissingPatientPseudonyms(output);
  const patient = readPatientIdentity(file.dataset, rootCharacterSet);
  const request = { uids: [...anonymization.uidsToReplace], patient };
  const resolved = await deps.pseudonyms.resolve(request);
  checkResponse(request, resolved);
  anonymization.fill(resolved);
  addDeidentificationMarkers(output, file.dataset, profile);
  addDerivedAge(output, file.dataset, compiled);

  const written = writeDicom({ dataset: output, transferSyntaxUid: file.transferSyntax.uid });
  // Reading the output back checks the writer and yields the stored values for the index.
  const stored = parseDicom(written, written.length > limits.maxInstanceBytes ? { ...limits, maxInstanceBytes: written.length } : limits);
  const attributes = readIndexAttributes(stored);
  const reasons = new Set<PixelReviewReason>([...pixelReviewReasonsOf(file.dataset), ...anonymization.reviewReasons]);
  const accession = findElement(file.dataset, Tags.AccessionNumber);
  return {
    bytes: written,
    mapping: {
      patient: { original: patient, pseudonym: resolved.patient },
      accessionNumber: { original: accession === undefined ? '' : readText(file.dataset, accession, rootCharacterSet).trim(), pseudonym: attributes.AccessionNumber ?? '' },
      uids: request.uids.map((original) => ({ original, pseudonym: resolved.uids.get(original)! })),
      dateShiftDays: profile.longitudinalTemporalInformation === 'modified' ? resolved.dateShiftDays : null,
    },
    needsPixelReview: reasons.size > 0,
    pixelReviewReasons: [...reasons],
    attributes,
    stored,
  };
}
