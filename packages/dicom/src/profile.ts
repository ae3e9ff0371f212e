import { confidentialityProfileRows, profileEdition, safePrivateAttributes, structuredContentConceptRows } from './generated/ps3.15-tables.js';
import type { ProfileAction, ProfileOptionAction, ProfileOptionKey } from './profile-actions.js';
import { lookupTag } from './dictionary.js';
import type { Tag } from './tags.js';
import type { Vr } from './vr.js';

export { profileEdition };
export type { ProfileAction, ProfileOptionKey };

/**
 * A de-identification profile: the Basic Application Level Confidentiality Profile (PS3.15 E.2)
 * plus the options of PS3.15 E.3 that have a column in Table E.1-1.
 */
export interface DeidentificationProfile {
  /** E.3.10: keep private elements listed as safe in Table E.3.10-1 (with their Private Creator). */
  readonly retainSafePrivate: boolean;
  /** E.3.9: keep the original UIDs instead of replacing them. */
  readonly retainUIDs: boolean;
  /** E.3.8: keep device identifiers (serial numbers, station names). */
  readonly retainDeviceIdentity: boolean;
  /** E.3.11: keep the institution's name, address, department. */
  readonly retainInstitutionIdentity: boolean;
  /** E.3.7: keep age, sex, size, weight and similar characteristics. */
  readonly retainPatientCharacteristics: boolean;
  /**
   * E.3.6: `full` keeps dates and times; `modified` shifts every date by a per-patient number of
   * days (times are kept); `remove` applies the Basic Profile.
   */
  readonly longitudinalTemporalInformation: 'remove' | 'full' | 'modified';
  /** E.3.5: `clean` keeps descriptions and comments that hold no identifying text; `remove` drops them. */
  readonly descriptors: 'remove' | 'clean';
  /** E.3.4: clean SR content items and acquisition context by concept name (Table E.3.4-1). */
  readonly cleanStructuredContent: boolean;
  /** E.3.3: keep overlays, curves and graphic annotations, cleaning their text (overlay bitmaps go to pixel review). */
  readonly cleanGraphics: boolean;
}

/** The Basic Application Level Confidentiality Profile with no option. */
export const basicProfile: DeidentificationProfile = Object.freeze({
  retainSafePrivate: false,
  retainUIDs: false,
  retainDeviceIdentity: false,
  retainInstitutionIdentity: false,
  retainPatientCharacteristics: false,
  longitudinalTemporalInformation: 'remove',
  descriptors: 'remove',
  cleanStructuredContent: false,
  cleanGraphics: false,
});

/**
 * The default for remote diagnosis: a specialist needs the patient's age, sex, size and weight,
 * the timeline of the studies (intervals between them, not the calendar dates), the study and
 * series descriptions, the vendor's safe acquisition parameters, SR measurements and overlays.
 * Identity, device and institution details are not needed and are removed; UIDs are replaced.
 * See README.md for the reasoning.
 */
export const remoteDiagnosisProfile: DeidentificationProfile = Object.freeze({
  retainSafePrivate: true,
  retainUIDs: false,
  retainDeviceIdentity: false,
  retainInstitutionIdentity: false,
  retainPatientCharacteristics: true,
  longitudinalTemporalInformation: 'modified',
  descriptors: 'clean',
  cleanStructuredContent: true,
  cleanGraphics: true,
});

/** PS3.16 CID 7050 "De-identification Method" codes (scheme DCM) for the profile and its options. */
export const deidentificationMethodCodes = {
  basic: { codeValue: '113100', codeMeaning: 'Basic Application Confidentiality Profile' },
  cleanGraphics: { codeValue: '113103', codeMeaning: 'Clean Graphics Option' },
  cleanStructuredContent: { codeValue: '113104', codeMeaning: 'Clean Structured Content Option' },
  cleanDescriptors: { codeValue: '113105', codeMeaning: 'Clean Descriptors Option' },
  retainLongitudinalFullDates: { codeValue: '113106', codeMeaning: 'Retain Longitudinal Temporal Information Full Dates Option' },
  retainLongitudinalModifiedDates: { codeValue: '113107', codeMeaning: 'Retain Longitudinal Temporal Information Modified Dates Option' },
  retainPatientCharacteristics: { codeValue: '113108', codeMeaning: 'Retain Patient Characteristics Option' },
  retainDeviceIdentity: { codeValue: '113109', codeMeaning: 'Retain Device Identity Option' },
  retainUIDs: { codeValue: '113110', codeMeaning: 'Retain UIDs Option' },
  retainSafePrivate: { codeValue: '113111', codeMeaning: 'Retain Safe Private Option' },
  retainInstitutionIdentity: { codeValue: '113112', codeMeaning: 'Retain Institution Identity Option' },
} as const satisfies Record<string, { codeValue: string; codeMeaning: string }>;

export type DeidentificationMethodCode = (typeof deidentificationMethodCodes)[keyof typeof deidentificationMethodCodes];

/** The enabled option columns of Table E.1-1 for a profile. */
export function enabledOptions(profile: DeidentificationProfile): ReadonlySet<ProfileOptionKey> {
  const options = new Set<ProfileOptionKey>();
  if (profile.retainSafePrivate) options.add('retainSafePrivate');
  if (profile.retainUIDs) options.add('retainUIDs');
  if (profile.retainDeviceIdentity) options.add('retainDeviceIdentity');
  if (profile.retainInstitutionIdentity) options.add('retainInstitutionIdentity');
  if (profile.retainPatientCharacteristics) options.add('retainPatientCharacteristics');
  if (profile.longitudinalTemporalInformation === 'full') options.add('retainLongitudinalFullDates');
  if (profile.longitudinalTemporalInformation === 'modified') options.add('retainLongitudinalModifiedDates');
  if (profile.descriptors === 'clean') options.add('cleanDescriptors');
  if (profile.cleanStructuredContent) options.add('cleanStructuredContent');
  if (profile.cleanGraphics) options.add('cleanGraphics');
  return options;
}

/** CID 7050 codes describing a profile, the Basic Profile first. */
export function methodCodesOf(profile: DeidentificationProfile): DeidentificationMethodCode[] {
  const codes: DeidentificationMethodCode[] = [deidentificationMethodCodes.basic];
  for (const option of enabledOptions(profile)) codes.push(deidentificationMethodCodes[option]);
  return codes;
}

/**
 * What happens to one element, after the options are applied and the conditional codes resolved.
 *
 * - `remove` (X), `empty` (Z), `dummy` (D), `keep` (K), `replaceUid` (U)
 * - `emptyOrDummy`: Z/D, X/D and X/Z/D, resolved per element: a dummy if the value is not empty,
 *   otherwise empty (see `resolveConditional`)
 * - `shiftDate`: C of the Modified Dates option on a DA or DT value
 * - `cleanText`: C of Clean Descriptors or Retain Patient Characteristics on text
 * - `cleanContent`: C of Clean Structured Content on a content sequence
 * - `keepOverlay`: C of Clean Graphics on Overlay Data (kept, sent to pixel review)
 * - `recurse`: K, C or D on a sequence whose items are de-identified attribute by attribute
 * - `dummyCode`: D on a code sequence that identifies a person or institution
 */
export type ElementRule =
  | 'remove'
  | 'empty'
  | 'dummy'
  | 'emptyOrDummy'
  | 'keep'
  | 'replaceUid'
  | 'shiftDate'
  | 'cleanText'
  | 'cleanContent'
  | 'keepOverlay'
  | 'recurse'
  | 'dummyCode';

/**
 * The documented rule for the conditional codes. Type 1/2/3 depend on the IOD and module of each
 * instance, which a de-identifier cannot know for every IOD it meets. The rule therefore never
 * makes a present attribute absent, or a non-empty one empty, so whatever Type applied stays
 * satisfied; what it writes carries no information. For values:
 * - X/Z → Z (an empty value);
 * - Z/D, X/D, X/Z/D → D when the original value is not empty, else Z.
 * For sequences (an empty sequence breaks a Type 3 "one or more items" rule, and a Type 2 or 1
 * sequence must stay):
 * - X/Z, X/D, X/Z/D, X/Z/U* (and D) → the sequence stays and every item is de-identified with the
 *   same table, instance UIDs replaced: what remains is structure and references with new UIDs;
 * - except the two sequences whose items are codes that identify a person or an institution
 *   (Institution Code Sequence, Person Identification Code Sequence): their D is a dummy code.
 * Privacy is the same as removal; the cost is that some attributes stay present with dummy values.
 */
export function resolveConditional(action: ProfileAction, isSequence: boolean): ProfileAction {
  switch (action) {
    case 'X/Z':
      return isSequence ? 'D' : 'Z';
    case 'Z/D':
    case 'X/D':
    case 'X/Z/D':
      return isSequence ? 'D' : 'Z/D';
    case 'X/Z/U*':
      return 'D';
    default:
      return action;
  }
}

/** Code sequences whose codes identify a person or an institution: D gives them a dummy code item. */
const identifyingCodeSequences: ReadonlySet<Tag> = new Set([0x00080082, 0x00401101]);

const protection: Record<ProfileOptionAction, number> = { C: 1, K: 0 };

/**
 * The action of a row under a profile. "A requirement of an Option, when implemented, overrides
 * the Basic Profile requirement" (PS3.15 E.1.1); when several enabled options name an action, the
 * more protective one wins (C over K): Retain Device Identity does not keep a calibration date
 * that Modified Dates would shift.
 */
function applyOptions(basic: ProfileAction, options: Readonly<Partial<Record<ProfileOptionKey, ProfileOptionAction>>>, enabled: ReadonlySet<ProfileOptionKey>): { action: ProfileAction; cleanBy: ProfileOptionKey[] } {
  let chosen: ProfileOptionAction | undefined;
  const cleanBy: ProfileOptionKey[] = [];
  for (const [key, action] of Object.entries(options) as Array<[ProfileOptionKey, ProfileOptionAction]>) {
    if (!enabled.has(key)) continue;
    if (action === 'C') cleanBy.push(key);
    if (chosen === undefined || protection[action] > protection[chosen]) chosen = action;
  }
  return { action: chosen ?? basic, cleanBy };
}

const dateVrs: ReadonlySet<Vr | undefined> = new Set<Vr | undefined>(['DA', 'DT']);

function ruleFor(action: ProfileAction, cleanBy: readonly ProfileOptionKey[], vr: Vr | undefined, tag?: Tag): ElementRule {
  const resolved = resolveConditional(action, vr === 'SQ');
  switch (resolved) {
    case 'X':
      return 'remove';
    case 'Z':
      return 'empty';
    case 'D':
      if (vr === 'SQ') return tag !== undefined && identifyingCodeSequences.has(tag) ? 'dummyCode' : 'recurse';
      return 'dummy';
    case 'Z/D':
      return vr === 'SQ' ? 'recurse' : 'emptyOrDummy';
    case 'U':
      return 'replaceUid';
    case 'K':
      return vr === 'SQ' ? 'recurse' : 'keep';
    case 'C':
      if (cleanBy.includes('retainLongitudinalModifiedDates')) return dateVrs.has(vr) ? 'shiftDate' : 'keep';
      if (cleanBy.includes('cleanStructuredContent')) return 'cleanContent';
      if (vr === 'SQ') return 'recurse';
      if (cleanBy.includes('cleanGraphics')) return vr === 'OB' || vr === 'OW' || vr === undefined ? 'keepOverlay' : 'cleanText';
      // Retain Device Identity's C is on AE titles; an AE title has no cleaned form, so it becomes a dummy.
      if (cleanBy.includes('retainDeviceIdentity')) return 'dummy';
      return 'cleanText';
    default:
      return 'remove';
  }
}

/** A profile compiled to one rule per tag of Table E.1-1, plus the pattern rows. */
export interface CompiledProfile {
  readonly profile: DeidentificationProfile;
  readonly rules: ReadonlyMap<Tag, ElementRule>;
  /** Rows whose Clean Descriptors column is C: descriptive text, never a source of identifying tokens. */
  readonly descriptorTags: ReadonlySet<Tag>;
  /** For rows cleaned as text: the Basic Profile rule applied when the text is not known clean. */
  readonly cleanFallback: ReadonlyMap<Tag, ElementRule>;
  /** Overlay Data (60xx,3000) and Overlay Comments (60xx,4000). */
  readonly overlayDataRule: ElementRule;
  readonly overlayCommentsRule: ElementRule;
  /** Any element of a curve group (50xx,xxxx). */
  readonly curveRule: ElementRule;
  /** Rule for DA/DT elements Table E.1-1 does not list (see README: treated like listed dates). */
  readonly unlistedDateRule: ElementRule;
  readonly safePrivate: ReadonlyMap<string, Vr | undefined> | undefined;
  /** Table E.3.4-1 by code value, scheme and value type (see `conceptKey`). */
  readonly structuredContent: ReadonlyMap<string, ElementRule> | undefined;
  /**
   * Table E.3.4-1 by code value and scheme only, the most protective rule over all value types:
   * for content items that carry a listed concept under another value type (a Person Observer
   * Name sent as TEXT instead of PNAME is still a person's name).
   */
  readonly structuredContentAnyType: ReadonlyMap<string, ElementRule> | undefined;
}

/** How much of a value a rule lets through, least first; used to pick the most protective rule. */
const protectionRank: Record<ElementRule, number> = {
  keep: 0,
  keepOverlay: 1,
  recurse: 2,
  cleanContent: 2,
  cleanText: 3,
  shiftDate: 4,
  replaceUid: 5,
  emptyOrDummy: 6,
  dummy: 7,
  dummyCode: 7,
  empty: 8,
  remove: 9,
};

export function moreProtective(a: ElementRule, b: ElementRule): ElementRule {
  return protectionRank[b] > protectionRank[a] ? b : a;
}

/**
 * Attributes Table E.1-1 (2026c) does not list but PS3.15 E.1.1 still asks to protect: item 5
 * "the SOP Instance UID and all references to other SOP Instances" (instance, frame of reference
 * and event UIDs, replaced like the listed ones), and the identifiers of the sending site's
 * repository, which say where the original lives (removed). Listed rows always take precedence,
 * so a later edition that adds them changes nothing here.
 */
export const supplementaryRows: ReadonlyArray<readonly [tag: Tag, basic: ProfileAction, options: Readonly<Partial<Record<ProfileOptionKey, ProfileOptionAction>>>]> = [
  [0x00020033, 'U', { retainUIDs: 'K' }], // RTV Communication SOP Instance UID
  [0x00081167, 'U', { retainUIDs: 'K' }], // Multi-frame Source SOP Instance UID
  [0x00083012, 'U', { retainUIDs: 'K' }], // Radiopharmaceutical Administration Event UID
  [0x0018991e, 'U', { retainUIDs: 'K' }], // Target Frame of Reference UID
  [0x00200242, 'U', { retainUIDs: 'K' }], // SOP Instance UID of Concatenation Source
  [0x00209312, 'U', { retainUIDs: 'K' }], // Volume Frame of Reference UID
  [0x00209313, 'U', { retainUIDs: 'K' }], // Table Frame of Reference UID
  [0x00280304, 'U', { retainUIDs: 'K' }], // Referenced Color Palette Instance UID
  [0x0040a021, 'U', { retainUIDs: 'K' }], // Findings Group UID (Trial)
  [0x0040a022, 'U', { retainUIDs: 'K' }], // Referenced Findings Group UID (Trial)
  [0x00440102, 'U', { retainUIDs: 'K' }], // Assertion UID
  [0x00440108, 'U', { retainUIDs: 'K' }], // Referenced Assertion UID
  [0x00687004, 'U', { retainUIDs: 'K' }], // Model Group UID
  [0x0070031b, 'U', { retainUIDs: 'K' }], // Referenced Fiducial UID
  [0x00701209, 'U', { retainUIDs: 'K' }], // Volumetric Presentation Input Set UID
  [0x00701904, 'U', { retainUIDs: 'K' }], // Referenced Content Item
  [0x300a0675, 'U', { retainUIDs: 'K' }], // Equipment Frame of Reference UID
  [0x0040e011, 'X', { retainInstitutionIdentity: 'K' }], // Retrieve Location UID
  [0x0040e030, 'X', { retainInstitutionIdentity: 'K' }], // Repository Unique ID
  [0x0040e031, 'X', { retainInstitutionIdentity: 'K' }], // Home Community ID
];

const compiled = new WeakMap<DeidentificationProfile, CompiledProfile>();

/** Key of a safe private attribute: creator (trimmed, upper case), group, element low byte. */
export function safePrivateKey(privateCreator: string, group: number, elementByte: number): string {
  return `${privateCreator.trim().toUpperCase()}|${group}|${elementByte}`;
}

/** Key of a Table E.3.4-1 row: code value, coding scheme designator, value type. */
export function conceptKey(codeValue: string, scheme: string, valueType: string): string {
  return `${codeValue}|${scheme.toUpperCase()}|${valueType.toUpperCase()}`;
}

const contentValueVr: Record<string, Vr> = { DATE: 'DA', DATETIME: 'DT', TIME: 'TM', PNAME: 'PN', TEXT: 'UT', UIDREF: 'UI', NUM: 'SQ', CODE: 'SQ', IMAGE: 'SQ', COMPOSITE: 'SQ', WAVEFORM: 'SQ', CONTAINER: 'SQ' };

export function compileProfile(profile: DeidentificationProfile): CompiledProfile {
  const cached = compiled.get(profile);
  if (cached !== undefined) return cached;
  const enabled = enabledOptions(profile);
  const rules = new Map<Tag, ElementRule>();
  const descriptorTags = new Set<Tag>();
  const cleanFallback = new Map<Tag, ElementRule>();
  const listed = new Set(confidentialityProfileRows.map(([tag]) => tag));
  const rows = [...confidentialityProfileRows, ...supplementaryRows.filter(([tag]) => !listed.has(tag))];
  for (const [tag, basic, options] of rows) {
    const { action, cleanBy } = applyOptions(basic, options, enabled);
    const vr = lookupTag(tag)?.vr;
    const rule = ruleFor(action, cleanBy, vr, tag);
    rules.set(tag, rule);
    if (rule === 'cleanText') cleanFallback.set(tag, ruleFor(basic, [], vr, tag));
    if (options.cleanDescriptors !== undefined) descriptorTags.add(tag);
  }
  const patternRule = (basic: ProfileAction, options: Readonly<Partial<Record<ProfileOptionKey, ProfileOptionAction>>>, vr: Vr | undefined) => {
    const { action, cleanBy } = applyOptions(basic, options, enabled);
    return ruleFor(action, cleanBy, vr);
  };
  const graphicsOption = { cleanGraphics: 'C' } as const;
  let safePrivate: Map<string, Vr | undefined> | undefined;
  if (profile.retainSafePrivate) {
    safePrivate = new Map();
    for (const [creator, group, elementByte, vr] of safePrivateAttributes) {
      safePrivate.set(safePrivateKey(creator, group, elementByte), vr.length === 2 ? (vr as Vr) : undefined);
    }
  }
  let structuredContent: Map<string, ElementRule> | undefined;
  let structuredContentAnyType: Map<string, ElementRule> | undefined;
  if (profile.cleanStructuredContent) {
    structuredContent = new Map();
    structuredContentAnyType = new Map();
    for (const [codeValue, scheme, valueType, basic, options] of structuredContentConceptRows) {
      const { action, cleanBy } = applyOptions(basic, options, enabled);
      const rule = ruleFor(action, cleanBy, contentValueVr[valueType]);
      structuredContent.set(conceptKey(codeValue, scheme, valueType), rule);
      const anyType = conceptKey(codeValue, scheme, '*');
      structuredContentAnyType.set(anyType, moreProtective(structuredContentAnyType.get(anyType) ?? 'keep', rule));
    }
  }
  const datesMode = profile.longitudinalTemporalInformation;
  const result: CompiledProfile = {
    profile,
    rules,
    descriptorTags,
    cleanFallback,
    overlayDataRule: patternRule('X', graphicsOption, 'OB'),
    overlayCommentsRule: patternRule('X', graphicsOption, 'LT'),
    curveRule: profile.cleanGraphics ? 'keepOverlay' : 'remove',
    unlistedDateRule: datesMode === 'full' ? 'keep' : datesMode === 'modified' ? 'shiftDate' : 'empty',
    safePrivate,
    structuredContent,
    structuredContentAnyType,
  };
  compiled.set(profile, result);
  return result;
}
