import { DicomError, formatTag, isValidUid, writeDicom, type Tag, type WriteDataset, type WriteElement } from '@yunzhen/dicom';

import type { SrCode, SrDocumentDescription, SrItem } from './content-tree.js';

/** Enhanced SR Storage (PS3.4 Table B.5-1): the tree has no 3D coordinates, so Comprehensive SR is not needed. */
export const ENHANCED_SR_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.88.22';

const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** DICOM Content Mapping Resource (DCMR), PS3.16. */
const DCMR_UID = '1.2.840.10008.8.1.1';

/** An instance by its place in the hierarchy, as the Hierarchical SOP Instance Reference Macro lists it (PS3.3 Table 10-4). */
export interface SrInstanceReference {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
}

/** What the SR object needs besides the content tree: its identity, its series, and when and by what it was made. */
export interface SrHeader {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  seriesNumber: number;
  instanceNumber: number;
  /** Instance Creation Date and Time (0008,0012/0013): the caller's clock, never read here. */
  instanceCreationDateTime: Date;
  /** Manufacturer (0008,0070) of the General Equipment Module, e.g. `Yunzhen`. */
  manufacturer: string;
  /** Series Description (0008,103E), e.g. `Yunzhen report`. */
  seriesDescription?: string;
  /**
   * Specific Character Set (0008,0005). Only `ISO_IR 192` (UTF-8): reports are Chinese and the
   * runtimes this package runs in encode nothing but UTF-8 (`TextEncoder`).
   */
  characterSet?: 'ISO_IR 192';
  /**
   * Timezone Offset From UTC (0008,0201), `+HHMM` or `-HHMM`, in which the dates and times of the
   * object are written. Default `+0800` (China Standard Time), the time zone the PDF rendering uses.
   */
  timezoneOffsetFromUtc?: string;
  /**
   * Predecessor Documents Sequence (0040,A360): earlier SR objects of this report whose content
   * this one includes (the SR of the final report when this one adds an addendum). PS3.3 C.17.2
   * requires it then; the writer cannot know them.
   */
  predecessorDocuments?: SrInstanceReference[];
}

/**
 * Writes the SR content tree of a report as a DICOM Enhanced SR object (PS3.3 A.35.2), Explicit
 * VR Little Endian, as a Part 10 file. Modules: Patient, Patient Study (age), General Study,
 * SR Document Series, General Equipment, SR Document General, SR Document Content, SOP Common.
 *
 * Values the tree holds that a VR cannot: Code Values over 16 characters go into Long Code Value
 * (0008,0119) and URNs into URN Code Value (0008,0120) (PS3.3 Table 8.8-1a); descriptive LO
 * values over 64 characters (Code Meaning, Study and Series Description, Verifying
 * Organization) are cut to 64 characters, the only place text is shortened; identifiers and
 * names that break their VR (UIDs, Patient ID, Accession Number, person names) are refused with
 * a `DicomError` (`InvalidValue`, `InvalidUid`) naming the attribute, never the value. A NUM whose
 * value does not survive the 16 characters of DS also carries Floating Point Value (0040,A161).
 *
 * Person names are written as given, after dropping empty trailing components and groups: a
 * DICOM-formatted name (`Family^Given=漢字`) keeps its components and groups, a plain name such
 * as `张伟` or `李明 Li Ming` stays one family-name component in the first group. The names come
 * from the studies' own Patient's Name or from display names with no family/given split, so
 * splitting them would guess (compound surnames, mixed scripts); moving Hanzi into the
 * ideographic group would leave the alphabetic group empty, which most viewers display as no
 * name at all, and the SR's Patient's Name would differ from the one its study's images carry.
 */
export function writeStructuredReport(description: SrDocumentDescription, header: SrHeader): Uint8Array {
  return writeDicom({ dataset: srDataset(description, header), transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN });
}

/** Standard attributes written here, by keyword (PS3.6). */
const tags = {
  SpecificCharacterSet: 0x00080005,
  InstanceCreationDate: 0x00080012,
  InstanceCreationTime: 0x00080013,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  ContentDate: 0x00080023,
  StudyTime: 0x00080030,
  ContentTime: 0x00080033,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  Manufacturer: 0x00080070,
  ReferringPhysicianName: 0x00080090,
  CodeValue: 0x00080100,
  CodingSchemeDesignator: 0x00080102,
  CodeMeaning: 0x00080104,
  MappingResource: 0x00080105,
  CodingSchemeIdentificationSequence: 0x00080110,
  CodingSchemeName: 0x00080115,
  CodingSchemeResponsibleOrganization: 0x00080116,
  MappingResourceUID: 0x00080118,
  LongCodeValue: 0x00080119,
  URNCodeValue: 0x00080120,
  TimezoneOffsetFromUTC: 0x00080201,
  StudyDescription: 0x00081030,
  SeriesDescription: 0x0008103e,
  ReferencedPerformedProcedureStepSequence: 0x00081111,
  ReferencedSeriesSequence: 0x00081115,
  ReferencedSOPClassUID: 0x00081150,
  ReferencedSOPInstanceUID: 0x00081155,
  ReferencedFrameNumber: 0x00081160,
  ReferencedSOPSequence: 0x00081199,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  PatientAge: 0x00101010,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  MeasurementUnitsCodeSequence: 0x004008ea,
  VerifyingOrganization: 0x0040a027,
  VerificationDateTime: 0x0040a030,
  RelationshipType: 0x0040a010,
  ValueType: 0x0040a040,
  ConceptNameCodeSequence: 0x0040a043,
  ContinuityOfContent: 0x0040a050,
  VerifyingObserverSequence: 0x0040a073,
  VerifyingObserverName: 0x0040a075,
  VerifyingObserverIdentificationCodeSequence: 0x0040a088,
  PersonName: 0x0040a123,
  UID: 0x0040a124,
  TextValue: 0x0040a160,
  FloatingPointValue: 0x0040a161,
  ConceptCodeSequence: 0x0040a168,
  MeasuredValueSequence: 0x0040a300,
  NumericValue: 0x0040a30a,
  PredecessorDocumentsSequence: 0x0040a360,
  PerformedProcedureCodeSequence: 0x0040a372,
  CurrentRequestedProcedureEvidenceSequence: 0x0040a375,
  CompletionFlag: 0x0040a491,
  VerificationFlag: 0x0040a493,
  PreliminaryFlag: 0x0040a496,
  ContentTemplateSequence: 0x0040a504,
  ContentSequence: 0x0040a730,
  TemplateIdentifier: 0x0040db00,
  GraphicData: 0x00700022,
  GraphicType: 0x00700023,
} as const satisfies Record<string, Tag>;

/** Private coding schemes the tree uses, declared in Coding Scheme Identification Sequence (PS3.3 C.12.1.1.2). */
const privateCodingSchemes: Record<string, { name: string; responsibleOrganization: string }> = {
  '99YUNZHEN': { name: 'Yunzhen report codes', responsibleOrganization: 'Yunzhen' },
};

function srDataset(description: SrDocumentDescription, header: SrHeader): WriteDataset {
  const offset = header.timezoneOffsetFromUtc ?? '+0800';
  const offsetMinutes = parseTimezoneOffset(offset);
  const created = dicomDateTime(header.instanceCreationDateTime, offsetMinutes, tags.InstanceCreationDate);
  const content = dicomDateTime(isoInstant(description.contentDateTime, tags.ContentDate), offsetMinutes, tags.ContentDate);
  const { patient, study } = description;

  const dataset: WriteElement[] = [
    // SOP Common (C.12.1)
    cs(tags.SpecificCharacterSet, header.characterSet ?? 'ISO_IR 192'),
    uid(tags.SOPClassUID, ENHANCED_SR_SOP_CLASS_UID),
    uid(tags.SOPInstanceUID, header.sopInstanceUid),
    { tag: tags.InstanceCreationDate, vr: 'DA', value: created.date },
    { tag: tags.InstanceCreationTime, vr: 'TM', value: created.time },
    { tag: tags.TimezoneOffsetFromUTC, vr: 'SH', value: offset },
    ...codingSchemeIdentification(description.root),
    // Patient (C.7.1.1), Patient Study (C.7.2.2)
    { tag: tags.PatientName, vr: 'PN', value: recordedPersonName(patient.name, tags.PatientName) },
    identifier(tags.PatientID, 'LO', patient.id, 64),
    { tag: tags.PatientBirthDate, vr: 'DA', value: patient.birthDate ? dicomDate(patient.birthDate, tags.PatientBirthDate) : '' },
    // U (unknown) is no defined term of Patient's Sex; the attribute is Type 2, so unknown is empty.
    cs(tags.PatientSex, patient.sex === 'U' ? '' : patient.sex),
    ...(patient.age ? [patientAge(patient.age)] : []),
    // General Study (C.7.2.1)
    uid(tags.StudyInstanceUID, study.studyInstanceUid),
    { tag: tags.StudyDate, vr: 'DA', value: dicomDate(study.studyDate, tags.StudyDate) },
    { tag: tags.StudyTime, vr: 'TM', value: '' },
    { tag: tags.ReferringPhysicianName, vr: 'PN', value: study.referringPhysician ? recordedPersonName(study.referringPhysician, tags.ReferringPhysicianName) : '' },
    { tag: tags.StudyID, vr: 'SH', value: '' },
    identifier(tags.AccessionNumber, 'SH', study.accessionNumber, 16),
    ...(study.studyDescription ? [descriptiveLongString(tags.StudyDescription, study.studyDescription)] : []),
    // SR Document Series (C.17.1)
    cs(tags.Modality, 'SR'),
    uid(tags.SeriesInstanceUID, header.seriesInstanceUid),
    integerString(tags.SeriesNumber, header.seriesNumber),
    ...(header.seriesDescription ? [descriptiveLongString(tags.SeriesDescription, header.seriesDescription)] : []),
    sequence(tags.ReferencedPerformedProcedureStepSequence, []),
    // General Equipment (C.7.5.1)
    descriptiveLongString(tags.Manufacturer, header.manufacturer),
    // SR Document General (C.17.2)
    integerString(tags.InstanceNumber, header.instanceNumber),
    cs(tags.PreliminaryFlag, description.preliminaryFlag),
    cs(tags.CompletionFlag, description.completionFlag),
    cs(tags.VerificationFlag, description.verificationFlag),
    { tag: tags.ContentDate, vr: 'DA', value: content.date },
    { tag: tags.ContentTime, vr: 'TM', value: content.time },
    ...verifyingObservers(description, offsetMinutes),
    ...(header.predecessorDocuments?.length ? [sequence(tags.PredecessorDocumentsSequence, hierarchicalReferences(header.predecessorDocuments))] : []),
    sequence(tags.PerformedProcedureCodeSequence, []),
    ...evidence(description),
    // SR Document Content (C.17.3): the root content item is the data set itself.
    ...contentItem(description.root),
  ];
  return dataset;
}

function verifyingObservers(description: SrDocumentDescription, offsetMinutes: number): WriteElement[] {
  if (description.verificationFlag !== 'VERIFIED') return [];
  if (description.verifyingObservers.length === 0) {
    return invalid(tags.VerifyingObserverSequence, 'a VERIFIED document needs at least one verifying observer');
  }
  return [
    sequence(
      tags.VerifyingObserverSequence,
      description.verifyingObservers.map((observer) => [
        { tag: tags.VerifyingObserverName, vr: 'PN', value: personName(observer.name, tags.VerifyingObserverName) },
        sequence(tags.VerifyingObserverIdentificationCodeSequence, []),
        descriptiveLongString(tags.VerifyingOrganization, observer.organization),
        { tag: tags.VerificationDateTime, vr: 'DT', value: dicomDateTime(isoInstant(observer.dateTime, tags.VerificationDateTime), offsetMinutes, tags.VerificationDateTime).dateTime },
      ]),
    ),
  ];
}

/**
 * Current Requested Procedure Evidence Sequence (PS3.3 C.17.2.3): every instance the tree
 * references must be listed, and IMAGE items carry no study or series to add them from.
 */
function evidence(description: SrDocumentDescription): WriteElement[] {
  const listed = new Set(description.evidence.map((e) => e.sopInstanceUid));
  const visit = (item: SrItem) => {
    if (item.valueType === 'IMAGE' && !listed.has(item.image.sopInstanceUid)) {
      invalid(tags.CurrentRequestedProcedureEvidenceSequence, 'an IMAGE content item references an instance the evidence does not list');
    }
    for (const child of item.children ?? []) visit(child);
  };
  visit(description.root);
  return description.evidence.length ? [sequence(tags.CurrentRequestedProcedureEvidenceSequence, hierarchicalReferences(description.evidence))] : [];
}

/** One content item (PS3.3 C.17.3, Document Relationship and Document Content Macros); the root has no relationship. */
function contentItem(item: SrItem): WriteElement[] {
  const elements: WriteElement[] = [];
  if (item.relationship) elements.push(cs(tags.RelationshipType, item.relationship));
  elements.push(cs(tags.ValueType, item.valueType));
  if (item.concept) elements.push(sequence(tags.ConceptNameCodeSequence, [codeItem(item.concept)]));
  switch (item.valueType) {
    case 'CONTAINER':
      elements.push(cs(tags.ContinuityOfContent, item.continuity));
      if (item.templateId) {
        elements.push(
          sequence(tags.ContentTemplateSequence, [[cs(tags.MappingResource, 'DCMR'), uid(tags.MappingResourceUID, DCMR_UID), cs(tags.TemplateIdentifier, item.templateId)]]),
        );
      }
      break;
    case 'TEXT':
      elements.push({ tag: tags.TextValue, vr: 'UT', value: text(item.text, tags.TextValue) });
      break;
    case 'CODE':
      elements.push(sequence(tags.ConceptCodeSequence, [codeItem(item.code)]));
      break;
    case 'NUM':
      elements.push(sequence(tags.MeasuredValueSequence, [measuredValue(item.value, item.unit)]));
      break;
    case 'UIDREF':
      elements.push(uid(tags.UID, item.uid));
      break;
    case 'PNAME':
      elements.push({ tag: tags.PersonName, vr: 'PN', value: personName(item.personName, tags.PersonName) });
      break;
    case 'IMAGE': {
      const { sopClassUid, sopInstanceUid, frameNumbers } = item.image;
      const reference: WriteElement[] = [uid(tags.ReferencedSOPClassUID, sopClassUid), uid(tags.ReferencedSOPInstanceUID, sopInstanceUid)];
      if (frameNumbers?.length) {
        if (!frameNumbers.every((frame) => Number.isInteger(frame) && frame >= 1 && frame <= MAX_IS)) invalid(tags.ReferencedFrameNumber, 'frame numbers count from 1');
        reference.push({ tag: tags.ReferencedFrameNumber, vr: 'IS', value: frameNumbers });
      }
      elements.push(sequence(tags.ReferencedSOPSequence, [reference]));
      break;
    }
    case 'SCOORD':
      checkGraphicData(item.graphicType, item.graphicData);
      elements.push(cs(tags.GraphicType, item.graphicType), { tag: tags.GraphicData, vr: 'FL', value: item.graphicData });
      break;
  }
  // Content Sequence is Type 1C: present only when the item has children.
  if (item.children?.length) elements.push(sequence(tags.ContentSequence, item.children.map(contentItem)));
  return elements;
}

/** Numeric Measurement Macro (PS3.3 Table C.18.1-1). */
function measuredValue(value: number, unit: SrCode): WriteElement[] {
  if (!Number.isFinite(value)) return invalid(tags.NumericValue, 'a NUM value must be a finite number');
  const numeric = decimalString(value);
  return [
    { tag: tags.NumericValue, vr: 'DS', value: numeric },
    // Required when the decimal string cannot hold the value exactly (Type 1C).
    ...(Number(numeric) !== value ? [{ tag: tags.FloatingPointValue, vr: 'FD', value } satisfies WriteElement] : []),
    sequence(tags.MeasurementUnitsCodeSequence, [codeItem(unit)]),
  ];
}

/** Graphic Data (0070,0022) as PS3.3 C.18.6.1.2 counts it per Graphic Type. */
function checkGraphicData(graphicType: 'POINT' | 'POLYLINE' | 'ELLIPSE', data: number[]): void {
  const pairs = data.length / 2;
  const countOk = data.length % 2 === 0 && (graphicType === 'POINT' ? pairs === 1 : graphicType === 'ELLIPSE' ? pairs === 4 : pairs >= 2);
  if (!countOk) invalid(tags.GraphicData, `${graphicType} with ${data.length} values`);
  if (!data.every(Number.isFinite)) invalid(tags.GraphicData, 'coordinates must be finite numbers');
}

/**
 * A number as DS: at most 16 characters (PS3.5 Table 6.2-1), the shortest form that round-trips
 * when it fits, otherwise the most significant digits that do.
 */
export function decimalString(value: number): string {
  let result = String(value);
  for (let precision = 15; result.length > 16 && precision > 0; precision--) {
    result = value.toPrecision(precision).replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
  }
  return result;
}

/**
 * Code Sequence Macro item (PS3.3 Table 8.8-1a): Code Value up to 16 characters, Long Code Value
 * beyond, URN Code Value for URNs and URLs; Code Meaning cut to the 64 characters of LO.
 */
function codeItem(code: SrCode): WriteElement[] {
  const elements: WriteElement[] = [];
  if (/^(urn:|https?:)/i.test(code.value)) {
    elements.push({ tag: tags.URNCodeValue, vr: 'UR', value: code.value });
  } else {
    checkText(code.value, tags.CodeValue, false);
    if (code.value.length === 0) invalid(tags.CodeValue, 'empty code value');
    elements.push(code.value.length <= 16 ? { tag: tags.CodeValue, vr: 'SH', value: code.value } : { tag: tags.LongCodeValue, vr: 'UC', value: code.value });
    elements.push(identifier(tags.CodingSchemeDesignator, 'SH', code.scheme, 16));
  }
  elements.push(descriptiveLongString(tags.CodeMeaning, code.meaning));
  return elements;
}

function codingSchemeIdentification(root: SrItem): WriteElement[] {
  const used = new Set<string>();
  const visit = (item: SrItem) => {
    for (const code of codesOf(item)) if (code.scheme in privateCodingSchemes) used.add(code.scheme);
    for (const child of item.children ?? []) visit(child);
  };
  visit(root);
  if (used.size === 0) return [];
  return [
    sequence(
      tags.CodingSchemeIdentificationSequence,
      [...used].sort().map((designator) => {
        const scheme = privateCodingSchemes[designator]!;
        return [
          identifier(tags.CodingSchemeDesignator, 'SH', designator, 16),
          { tag: tags.CodingSchemeName, vr: 'ST', value: scheme.name },
          { tag: tags.CodingSchemeResponsibleOrganization, vr: 'ST', value: scheme.responsibleOrganization },
        ];
      }),
    ),
  ];
}

function codesOf(item: SrItem): SrCode[] {
  const codes = item.concept ? [item.concept] : [];
  if (item.valueType === 'CODE') codes.push(item.code);
  if (item.valueType === 'NUM') codes.push(item.unit);
  return codes;
}

/** Hierarchical SOP Instance Reference Macro items (PS3.3 Table 10-4): study → series → instances, each once. */
function hierarchicalReferences(references: SrInstanceReference[]): WriteDataset[] {
  const studies = new Map<string, Map<string, Map<string, string>>>();
  for (const reference of references) {
    let series = studies.get(reference.studyInstanceUid);
    if (!series) studies.set(reference.studyInstanceUid, (series = new Map()));
    let instances = series.get(reference.seriesInstanceUid);
    if (!instances) series.set(reference.seriesInstanceUid, (instances = new Map()));
    instances.set(reference.sopInstanceUid, reference.sopClassUid);
  }
  return [...studies].map(([studyUid, series]) => [
    uid(tags.StudyInstanceUID, studyUid),
    sequence(
      tags.ReferencedSeriesSequence,
      [...series].map(([seriesUid, instances]) => [
        uid(tags.SeriesInstanceUID, seriesUid),
        sequence(
          tags.ReferencedSOPSequence,
          [...instances].map(([sopInstanceUid, sopClassUid]) => [uid(tags.ReferencedSOPClassUID, sopClassUid), uid(tags.ReferencedSOPInstanceUID, sopInstanceUid)]),
        ),
      ]),
    ),
  ]);
}

const sequence = (tag: Tag, items: WriteDataset[]): WriteElement => ({ tag, vr: 'SQ', items });

/** IS holds a signed 32-bit integer (PS3.5 Table 6.2-1). */
const MAX_IS = 2 ** 31 - 1;

function integerString(tag: Tag, value: number): WriteElement {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value > MAX_IS) invalid(tag, 'not an integer an IS can hold');
  return { tag, vr: 'IS', value };
}

const cs = (tag: Tag, value: string): WriteElement => ({ tag, vr: 'CS', value });

function uid(tag: Tag, value: string): WriteElement {
  if (!isValidUid(value)) throw new DicomError('InvalidUid', `${formatTag(tag)}: not a UID as PS3.5 9.1 defines it`, { tag: formatTag(tag) });
  return { tag, vr: 'UI', value };
}

function invalid(tag: Tag, message: string): never {
  throw new DicomError('InvalidValue', `${formatTag(tag)}: ${message}`, { tag: formatTag(tag) });
}

/** Control characters other than the ones text VRs allow: ESC everywhere, and TAB, LF, FF, CR in UT. */
function checkText(value: string, tag: Tag, multiline: boolean): void {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const control = code < 0x20 || code === 0x7f;
    if (control && code !== 0x1b && !(multiline && (code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d))) {
      invalid(tag, 'text holds a control character its VR does not allow');
    }
    // A backslash separates values in every multi-valued VR.
    if (!multiline && code === 0x5c) invalid(tag, 'text holds a backslash, the value delimiter');
  }
}

function text(value: string, tag: Tag): string {
  checkText(value, tag, true);
  return value;
}

/** An SH or LO identifier: refused rather than shortened when it breaks its VR. */
function identifier(tag: Tag, vr: 'SH' | 'LO', value: string, maxCharacters: number): WriteElement {
  checkText(value, tag, false);
  if ([...value].length > maxCharacters) invalid(tag, `longer than the ${maxCharacters} characters of ${vr}`);
  return { tag, vr, value };
}

/**
 * A descriptive LO value cut to 64 characters, the only text this writer shortens. PS3.5 6.2
 * counts the length of LO in characters, not bytes, so 64 Chinese characters (192 bytes in
 * UTF-8) are kept; dciodvfy and pydicom count bytes and flag such a value.
 */
function descriptiveLongString(tag: Tag, value: string): WriteElement {
  checkText(value, tag, false);
  const characters = [...value.trim()];
  return { tag, vr: 'LO', value: characters.length > 64 ? characters.slice(0, 64).join('').trimEnd() : characters.join('') };
}

/**
 * A PN value (PS3.5 6.2.1.2): at most three component groups of at most five components, each
 * group at most 64 characters; components trimmed, empty trailing components and groups dropped.
 */
export function personName(value: string, tag: Tag = tags.PersonName): string {
  checkText(value, tag, false);
  const groups = value.split('=');
  if (groups.length > 3) invalid(tag, 'more than three component groups');
  const formatted = groups.map((group) => {
    const components = group.split('^').map((component) => component.trim());
    if (components.length > 5) invalid(tag, 'more than five components in a group');
    while (components.length > 0 && components.at(-1) === '') components.pop();
    const joined = components.join('^');
    if ([...joined].length > 64) invalid(tag, 'a component group is longer than 64 characters');
    return joined;
  });
  while (formatted.length > 0 && formatted.at(-1) === '') formatted.pop();
  return formatted.join('=');
}

/**
 * A name from the sending hospital's records made conformant instead of refused: the report
 * must be deliverable even when the original PatientName broke PS3.5 (more than three groups,
 * more than five components, over-long groups). Extra groups are dropped, extra components
 * joined into the fifth with spaces, over-long groups cut at 64 characters.
 */
export function recordedPersonName(value: string, tag: Tag): string {
  const groups = value.split('=').slice(0, 3).map((group) => {
    const components = group.split('^');
    const fitted = components.length > 5 ? [...components.slice(0, 4), components.slice(4).join(' ')] : components;
    return [...fitted.join('^')].slice(0, 64).join('');
  });
  return personName(groups.join('='), tag);
}

function patientAge(age: string): WriteElement {
  if (!/^\d{3}[DWMY]$/.test(age)) invalid(tags.PatientAge, 'not an Age String (nnnD, nnnW, nnnM or nnnY)');
  return { tag: tags.PatientAge, vr: 'AS', value: age };
}

/** `YYYY-MM-DD` (ISO 8601) as DA. */
function dicomDate(iso: string, tag: Tag): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return invalid(tag, 'not an ISO 8601 calendar date (YYYY-MM-DD)');
  return `${match[1]}${match[2]}${match[3]}`;
}

/** An ISO 8601 date-time with its offset (`Z` or `±hh:mm`); without one it would be read in the runtime's time zone. */
function isoInstant(iso: string, tag: Tag): Date {
  const instant = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(iso) || Number.isNaN(instant.getTime())) {
    return invalid(tag, 'not an ISO 8601 date-time with a time zone offset');
  }
  return instant;
}

function parseTimezoneOffset(offset: string): number {
  const match = /^([+-])(\d{2})(\d{2})$/.exec(offset);
  const hours = Number(match?.[2]);
  const minutes = Number(match?.[3]);
  if (!match || hours > 14 || minutes > 59) return invalid(tags.TimezoneOffsetFromUTC, 'not an offset of the form +HHMM or -HHMM');
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** An instant as DA, TM and DT in the given offset from UTC; the DT names its offset. */
function dicomDateTime(instant: Date, offsetMinutes: number, tag: Tag): { date: string; time: string; dateTime: string } {
  if (Number.isNaN(instant.getTime())) return invalid(tag, 'not a valid date');
  const local = new Date(instant.getTime() + offsetMinutes * 60_000);
  const year = local.getUTCFullYear();
  if (year < 1 || year > 9999) return invalid(tag, 'year outside 0001–9999');
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const date = `${pad(year, 4)}${pad(local.getUTCMonth() + 1)}${pad(local.getUTCDate())}`;
  const milliseconds = local.getUTCMilliseconds();
  const time = `${pad(local.getUTCHours())}${pad(local.getUTCMinutes())}${pad(local.getUTCSeconds())}${milliseconds ? `.${pad(milliseconds, 3)}` : ''}`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  return { date, time, dateTime: `${date}${time}${sign}${pad(Math.floor(absolute / 60))}${pad(absolute % 60)}` };
}
