import { biRadsCategories, breastCompositions } from '../assessments/bi-rads.js';
import { lungRadsCategoryText, type LungNodule } from '../assessments/lung-rads.js';
import { recistResponseLabels, type RecistTargetLesion } from '../assessments/recist.js';
import { codingSchemeDesignator, concepts, languageCodes, lobeCodes, valueConcept, valueKeys, valueUnit, yunzhen } from '../codes.js';
import { audienceUid, type ReportContext } from '../context.js';
import type { ReportDocument } from '../document.js';
import { localesOf, textIn, type Locale, type LocalizedText } from '../language.js';
import type { Measurement } from '../measurement.js';
import { breastFieldKeys } from '../templates/breast.js';
import { getTemplate } from '../templates/index.js';
import { narrativeKeys, YUNZHEN_CODE_SYSTEM, type Coding } from '../templates/template.js';
import { dicomUidFor } from '../uid.js';
import { finalSignature } from '../workflow.js';

/**
 * A DICOM-agnostic description of the report as an SR content tree (DICOM PS3.3 C.17.3,
 * PS3.16 TID 1500 "Measurement Report"), for `writeStructuredReport` (write-sr.ts) to serialize
 * as-is: every item says its value type, relationship to its parent, concept name and value;
 * codes carry their coding scheme designator; UIDs are the audience's (re-identified when the
 * context is the sending hospital's).
 *
 * Shape of the tree (root first):
 * ```
 * CONTAINER (126000, DCM, "Imaging Measurement Report")             TID 1500
 *   HAS CONCEPT MOD  CODE (121049, DCM, "Language of Content Item and Descendants")
 *   HAS OBS CONTEXT  CODE (121005, DCM, "Observer Type") = (121006, DCM, "Person")     when signed
 *   HAS OBS CONTEXT  PNAME (121008, DCM, "Person Observer Name")                        when signed
 *   HAS CONCEPT MOD  CODE (121058, DCM, "Procedure reported") = the template's LOINC code
 *   CONTAINS CONTAINER (111028, DCM, "Image Library")
 *     CONTAINS CONTAINER (126200, DCM, "Image Library Group")
 *       CONTAINS IMAGE … one per referenced instance
 *   CONTAINS CONTAINER (126010, DCM, "Imaging Measurements")
 *     CONTAINS CONTAINER (125007, DCM, "Measurement Group")  TID 1501, or TID 1410 for ROI tools
 *       HAS OBS CONTEXT TEXT (112039, DCM, "Tracking Identifier")
 *       HAS OBS CONTEXT UIDREF (112040, DCM, "Tracking Unique Identifier")   2.25 UID of the measurement id
 *       CONTAINS CODE (121071, DCM, "Finding")               nodules and RECIST lesions
 *       HAS CONCEPT MOD CODE (363698007, SCT, "Finding Site") nodules: the lobe
 *       CONTAINS SCOORD (111030, DCM, "Image Region") > SELECTED FROM IMAGE      TID 1410 only
 *       CONTAINS NUM (length, axes, angle, area, statistics) with UCUM units
 *         INFERRED FROM SCOORD > SELECTED FROM IMAGE                               TID 1501 only
 *   CONTAINS CONTAINER (C0034375, UMLS, "Qualitative Evaluations")
 *     CONTAINS TEXT technique (121065), findings (121071), impression (121073), recommendation (121075),
 *              findings list items (121071), addenda (121078); in a bilingual report one item per
 *              language, each with its own HAS CONCEPT MOD language
 *     CONTAINS CODE Lung-RADS / BI-RADS / breast composition / RECIST responses
 * ```
 * SCOORD coordinates are image (column, row) pixel positions, flattened.
 */
export interface SrDocumentDescription {
  /** The root template: TID 1500. Enhanced SR is enough (no 3D coordinates), Comprehensive SR also fits. */
  templateId: '1500';
  recommendedSopClassUid: '1.2.840.10008.5.1.4.1.1.88.22';
  /** Completion Flag (0040,A491): COMPLETE once the report is final. */
  completionFlag: 'COMPLETE' | 'PARTIAL';
  /** Verification Flag (0040,A493): VERIFIED once a licensed specialist signed it final. */
  verificationFlag: 'VERIFIED' | 'UNVERIFIED';
  /** Preliminary Flag (0040,A496). */
  preliminaryFlag: 'PRELIMINARY' | 'FINAL';
  /** Verifying Observer Sequence (0040,A073): the final signer, then each addendum's signer. */
  verifyingObservers: { name: string; organization: string; dateTime: string }[];
  /** Content Date/Time: the last change of the report. */
  contentDateTime: string;
  patient: ReportContext['patient'];
  study: { studyInstanceUid: string; accessionNumber: string; studyDate: string; studyDescription: string; referringPhysician?: string };
  /** Current Requested Procedure Evidence Sequence (0040,A375): every instance the tree references. */
  evidence: { studyInstanceUid: string; seriesInstanceUid: string; sopClassUid: string; sopInstanceUid: string }[];
  root: SrContainer;
}

/** A code as DICOM writes it: Code Value, Coding Scheme Designator, Code Meaning. */
export interface SrCode {
  value: string;
  scheme: string;
  meaning: string;
}

export type SrRelationship = 'CONTAINS' | 'HAS CONCEPT MOD' | 'HAS OBS CONTEXT' | 'HAS PROPERTIES' | 'INFERRED FROM' | 'SELECTED FROM';

interface SrItemBase {
  /** Relationship Type to the parent; absent on the root. */
  relationship?: SrRelationship;
  children?: SrItem[];
}

export interface SrContainer extends SrItemBase {
  valueType: 'CONTAINER';
  concept: SrCode;
  continuity: 'SEPARATE';
  /** Content Template Sequence: the TID this container follows (DCMR). */
  templateId?: string;
  children: SrItem[];
}

export type SrItem =
  | SrContainer
  | (SrItemBase & { valueType: 'TEXT'; concept: SrCode; text: string })
  | (SrItemBase & { valueType: 'CODE'; concept: SrCode; code: SrCode })
  | (SrItemBase & { valueType: 'NUM'; concept: SrCode; value: number; unit: SrCode })
  | (SrItemBase & { valueType: 'UIDREF'; concept: SrCode; uid: string })
  | (SrItemBase & { valueType: 'PNAME'; concept: SrCode; personName: string })
  | (SrItemBase & { valueType: 'IMAGE'; concept?: SrCode; image: { sopClassUid: string; sopInstanceUid: string; frameNumbers?: number[] } })
  | (SrItemBase & { valueType: 'SCOORD'; concept?: SrCode; graphicType: 'POINT' | 'POLYLINE' | 'ELLIPSE'; graphicData: number[] });

const srCode = (coding: Coding): SrCode => ({ value: coding.code, scheme: codingSchemeDesignator(coding.system), meaning: coding.display });
const languageCode = (locale: Locale): SrCode => {
  const { code, scheme, meaning } = languageCodes[locale];
  return { value: code, scheme, meaning };
};

/** Describes the report as a TID 1500 SR content tree; pass the real `context` for the sending hospital. */
export function toSrContentTree(doc: ReportDocument, context: ReportContext): SrDocumentDescription {
  const template = getTemplate(doc.template.id, doc.template.version);
  const locales = localesOf(doc.language);
  const primary = locales[0] ?? 'zh-CN';
  const signed = finalSignature(doc);
  const uid = (value: string) => audienceUid(context, value);
  const organization = textIn(context.readingCentre.name, primary) || textIn(context.readingCentre.name, 'en') || context.readingCentre.id;

  const evidence = new Map<string, SrDocumentDescription['evidence'][number]>();
  for (const { image } of [...doc.measurements, ...doc.keyImages]) {
    evidence.set(image.sopInstanceUid, {
      studyInstanceUid: context.study.studyInstanceUid,
      seriesInstanceUid: uid(image.seriesInstanceUid),
      sopClassUid: image.sopClassUid,
      sopInstanceUid: uid(image.sopInstanceUid),
    });
  }

  const findingOf = findingsByMeasurement(doc);
  const root: SrContainer = {
    valueType: 'CONTAINER',
    concept: srCode(concepts.imagingMeasurementReport),
    continuity: 'SEPARATE',
    templateId: '1500',
    children: [
      { relationship: 'HAS CONCEPT MOD', valueType: 'CODE', concept: srCode(concepts.languageOfContent), code: languageCode(primary) },
      ...(signed
        ? ([
            { relationship: 'HAS OBS CONTEXT', valueType: 'CODE', concept: srCode(concepts.observerType), code: srCode(concepts.person) },
            { relationship: 'HAS OBS CONTEXT', valueType: 'PNAME', concept: srCode(concepts.personObserverName), personName: signed.signer.displayName },
          ] satisfies SrItem[])
        : []),
      // The partner centre's reader of a referred consult is an observer too (TID 1003), with their centre.
      ...(context.referral
        ? ([
            { relationship: 'HAS OBS CONTEXT', valueType: 'CODE', concept: srCode(concepts.observerType), code: srCode(concepts.person) },
            { relationship: 'HAS OBS CONTEXT', valueType: 'PNAME', concept: srCode(concepts.personObserverName), personName: context.referral.readBy },
            {
              relationship: 'HAS OBS CONTEXT',
              valueType: 'TEXT',
              concept: srCode(concepts.personObserverOrganization),
              text: textIn(context.referral.centre.name, primary) || textIn(context.referral.centre.name, 'en') || context.referral.centre.id,
            },
          ] satisfies SrItem[])
        : []),
      { relationship: 'HAS CONCEPT MOD', valueType: 'CODE', concept: srCode(concepts.procedureReported), code: srCode(template.reportCode) },
      container(concepts.imageLibrary, [
        container(
          concepts.imageLibraryGroup,
          [...evidence.values()].map((e) => ({ relationship: 'CONTAINS', valueType: 'IMAGE', image: { sopClassUid: e.sopClassUid, sopInstanceUid: e.sopInstanceUid } })),
        ),
      ]),
      container(
        concepts.imagingMeasurements,
        doc.measurements.map((m) => measurementGroup(m, findingOf.get(m.id), uid)),
      ),
      container(concepts.qualitativeEvaluations, qualitativeEvaluations(doc, locales)),
    ],
  };

  return {
    templateId: '1500',
    recommendedSopClassUid: '1.2.840.10008.5.1.4.1.1.88.22',
    completionFlag: signed ? 'COMPLETE' : 'PARTIAL',
    verificationFlag: signed ? 'VERIFIED' : 'UNVERIFIED',
    preliminaryFlag: signed ? 'FINAL' : 'PRELIMINARY',
    verifyingObservers: signed
      ? [signed, ...doc.addenda].map((s) => ({ name: s.signer.displayName, organization, dateTime: s.signedAt }))
      : [],
    contentDateTime: doc.updatedAt,
    patient: context.patient,
    study: {
      studyInstanceUid: context.study.studyInstanceUid,
      accessionNumber: context.study.accessionNumber,
      studyDate: context.study.studyDate,
      studyDescription: context.study.studyDescription,
      ...(context.referringDoctor ? { referringPhysician: context.referringDoctor } : {}),
    },
    evidence: [...evidence.values()],
    root,
  };
}

function container(concept: Coding, children: SrItem[], templateId?: string): SrContainer {
  return { relationship: 'CONTAINS', valueType: 'CONTAINER', concept: srCode(concept), continuity: 'SEPARATE', ...(templateId ? { templateId } : {}), children };
}

/** What a measurement is a measurement of: a lung nodule (with its lobe) or a RECIST lesion. */
type MeasuredFinding = { kind: 'nodule'; nodule: LungNodule } | { kind: 'lesion'; lesion: RecistTargetLesion };

function findingsByMeasurement(doc: ReportDocument): Map<string, MeasuredFinding> {
  const found = new Map<string, MeasuredFinding>();
  for (const nodule of doc.nodules ?? []) {
    for (const id of [nodule.measurementId, nodule.solidComponentMeasurementId]) if (id) found.set(id, { kind: 'nodule', nodule });
  }
  for (const lesion of doc.recist?.targetLesions ?? []) if (lesion.measurementId) found.set(lesion.measurementId, { kind: 'lesion', lesion });
  return found;
}

const roiTools = new Set(['EllipticalROI', 'RectangleROI', 'PlanarFreehandROI', 'SplineROI']);

/** TID 1501 (or TID 1410 for planar ROIs) measurement group of one measurement. */
function measurementGroup(m: Measurement, finding: MeasuredFinding | undefined, uid: (value: string) => string): SrContainer {
  const image: SrItem = {
    relationship: 'SELECTED FROM',
    valueType: 'IMAGE',
    image: { sopClassUid: m.image.sopClassUid, sopInstanceUid: uid(m.image.sopInstanceUid), ...(m.image.frameNumber ? { frameNumbers: [m.image.frameNumber] } : {}) },
  };
  const scoord = (points: [number, number][], graphicType: 'POINT' | 'POLYLINE' | 'ELLIPSE', relationship: SrRelationship, concept?: Coding): SrItem => ({
    relationship,
    valueType: 'SCOORD',
    ...(concept ? { concept: srCode(concept) } : {}),
    graphicType,
    graphicData: points.flat(),
    children: [image],
  });
  const roi = roiTools.has(m.tool);
  const region = roi ? scoord(roiOutline(m), m.tool === 'EllipticalROI' ? 'ELLIPSE' : 'POLYLINE', 'CONTAINS', concepts.imageRegion) : undefined;

  const values: SrItem[] = valueKeys.flatMap((key) => {
    const value = m.values[key];
    if (value === undefined) return [];
    const unit = valueUnit(key, m.values.unit);
    return [
      {
        relationship: 'CONTAINS',
        valueType: 'NUM',
        concept: srCode(valueConcept(key, m.tool)),
        value,
        unit: { value: unit.code, scheme: 'UCUM', meaning: unit.display },
        ...(roi ? {} : { children: [scoord(graphicPoints(m, key), graphicType(m), 'INFERRED FROM')] }),
      } satisfies SrItem,
    ];
  });
  const arrowText: SrItem[] =
    m.tool === 'ArrowAnnotate'
      ? [{ relationship: 'CONTAINS', valueType: 'TEXT', concept: srCode(concepts.finding), text: m.label ?? 'Arrow annotation', children: [scoord(m.points, 'POINT', 'INFERRED FROM')] }]
      : [];

  const trackingLabel = finding?.kind === 'lesion' ? `${finding.lesion.id} ${m.label ?? ''}`.trim() : (m.label ?? m.id);
  return {
    relationship: 'CONTAINS',
    valueType: 'CONTAINER',
    concept: srCode(concepts.measurementGroup),
    continuity: 'SEPARATE',
    templateId: roi ? '1410' : '1501',
    children: [
      { relationship: 'HAS OBS CONTEXT', valueType: 'TEXT', concept: srCode(concepts.trackingIdentifier), text: trackingLabel },
      { relationship: 'HAS OBS CONTEXT', valueType: 'UIDREF', concept: srCode(concepts.trackingUniqueIdentifier), uid: dicomUidFor('measurement', m.id) },
      ...(finding ? findingItems(finding) : []),
      ...(region ? [region] : []),
      ...values,
      ...arrowText,
    ],
  };
}

function findingItems(finding: MeasuredFinding): SrItem[] {
  if (finding.kind === 'lesion') return [{ relationship: 'CONTAINS', valueType: 'CODE', concept: srCode(concepts.finding), code: srCode(concepts.lesion) }];
  return [
    { relationship: 'CONTAINS', valueType: 'CODE', concept: srCode(concepts.finding), code: srCode(concepts.nodule) },
    { relationship: 'HAS CONCEPT MOD', valueType: 'CODE', concept: srCode(concepts.findingSite), code: srCode(lobeCodes[finding.nodule.lobe]) },
  ];
}

function graphicType(m: Measurement): 'POINT' | 'POLYLINE' {
  return m.tool === 'Probe' || m.tool === 'ArrowAnnotate' ? 'POINT' : 'POLYLINE';
}

/** The handles a value was measured between: a Bidirectional's long axis is points 1–2, its short axis 3–4. */
function graphicPoints(m: Measurement, key: string): [number, number][] {
  if (m.tool === 'Bidirectional') return key === 'short_axis_mm' ? m.points.slice(2, 4) : m.points.slice(0, 2);
  return m.points;
}

/**
 * ELLIPSE takes the four axis end points as they are; a rectangle becomes a closed polyline of
 * its corners; a freehand or spline outline is closed by repeating its first point (PS3.3
 * C.18.6.1.2: a closed POLYLINE's first and last points are the same).
 */
function roiOutline(m: Measurement): [number, number][] {
  if (m.tool === 'PlanarFreehandROI' || m.tool === 'SplineROI') {
    const [first] = m.points;
    const last = m.points.at(-1);
    return first && last && (first[0] !== last[0] || first[1] !== last[1]) ? [...m.points, first] : m.points;
  }
  if (m.tool !== 'RectangleROI') return m.points;
  const [[x1, y1] = [0, 0], [x2, y2] = [0, 0]] = m.points;
  return [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]];
}

function qualitativeEvaluations(doc: ReportDocument, locales: Locale[]): SrItem[] {
  const bilingual = locales.length > 1;
  const texts = (concept: Coding, text: LocalizedText | undefined): SrItem[] =>
    locales.flatMap((locale) => {
      const value = textIn(text, locale);
      if (!value) return [];
      const language: SrItem[] = bilingual ? [{ relationship: 'HAS CONCEPT MOD', valueType: 'CODE', concept: srCode(concepts.languageOfContent), code: languageCode(locale) }] : [];
      return [{ relationship: 'CONTAINS', valueType: 'TEXT', concept: srCode(concept), text: value, ...(bilingual ? { children: language } : {}) } satisfies SrItem];
    });
  const narrative = (key: string) => {
    const value = doc.values[key];
    return typeof value === 'object' ? value : undefined;
  };
  const code = (concept: Coding, value: Coding): SrItem => ({ relationship: 'CONTAINS', valueType: 'CODE', concept: srCode(concept), code: srCode(value) });

  const items: SrItem[] = [
    ...texts(concepts.procedureDescription, narrative(narrativeKeys.technique)),
    ...texts(concepts.finding, narrative(narrativeKeys.findings)),
    ...doc.findings.flatMap((finding) => texts(concepts.finding, finding.text)),
    ...texts(concepts.impression, narrative(narrativeKeys.impression)),
    ...texts(concepts.recommendation, narrative(narrativeKeys.recommendation)),
  ];
  const lungRads = doc.assessment?.lungRads;
  if (lungRads) {
    items.push(code(concepts.lungRadsCategory, { system: `${YUNZHEN_CODE_SYSTEM}:lung-rads-v2022`, code: lungRads.category, display: `Lung-RADS ${lungRadsCategoryText[lungRads.category].label.en}` }));
    if (lungRads.sModifier) items.push(code(concepts.lungRadsSModifier, yunzhen('S', 'Significant finding unrelated to lung cancer')));
  }
  const composition = breastCompositions.find((c) => c.code === doc.values[breastFieldKeys.composition]);
  if (composition?.coding) items.push(code(concepts.breastComposition, composition.coding));
  const biRads = biRadsCategories.find((c) => c.code === doc.values[breastFieldKeys.biRads]);
  if (biRads?.coding) items.push(code(concepts.overallAssessment, biRads.coding));
  const recist = doc.assessment?.recist;
  if (recist) {
    const response = (value: keyof typeof recistResponseLabels): Coding => ({ system: `${YUNZHEN_CODE_SYSTEM}:recist-1.1-response`, code: value, display: recistResponseLabels[value].en });
    if (recist.targetResponse) items.push(code(concepts.recistTargetResponse, response(recist.targetResponse)));
    if (recist.nonTargetResponse) items.push(code(concepts.recistNonTargetResponse, response(recist.nonTargetResponse)));
    if (recist.overallResponse) items.push(code(concepts.recistOverallResponse, response(recist.overallResponse)));
    const millimetres = { value: 'mm', scheme: 'UCUM', meaning: 'millimeter' };
    const percent = { value: '%', scheme: 'UCUM', meaning: 'percent' };
    items.push({ relationship: 'CONTAINS', valueType: 'NUM', concept: srCode(concepts.recistSum), value: recist.sumMm, unit: millimetres });
    // A follow-up's references, as in the FHIR Bundle: what the response was judged against.
    if (recist.timepoint === 'follow-up') {
      const numbers: [Coding, number | null, typeof millimetres][] = [
        [concepts.recistBaselineSum, recist.baselineSumMm, millimetres],
        [concepts.recistNadir, recist.nadirMm, millimetres],
        [concepts.recistChangeFromBaseline, recist.changeFromBaselinePercent, percent],
        [concepts.recistChangeFromNadir, recist.changeFromNadirPercent, percent],
      ];
      for (const [concept, value, unit] of numbers) if (value !== null) items.push({ relationship: 'CONTAINS', valueType: 'NUM', concept: srCode(concept), value, unit });
    }
  }
  for (const addendum of doc.addenda) items.push(...texts(concepts.addendum, addendum.text));
  for (const consensus of doc.boardConsensus ?? []) {
    // One text item: when the board met, who attended, the recommendation (in each language it was written in), who signed.
    const written = (['zh-CN', 'en'] as const).filter((locale) => textIn(consensus.recommendation, locale));
    const attendance = consensus.attendance.map((a) => `${a.displayName} (${a.organization})`).join('; ');
    const text = [
      `Tumour board consensus / 多学科会诊共识: ${consensus.title}`,
      `Board date / 会诊时间: ${consensus.meetingAt}`,
      `Attendance / 出席: ${attendance}`,
      ...written.map((locale) => `Recommendation / 共识建议 (${locale}): ${textIn(consensus.recommendation, locale)}`),
      `Signed by / 签发: ${consensus.signer.displayName}, ${consensus.signedAt}`,
    ].join('\n');
    items.push({ relationship: 'CONTAINS', valueType: 'TEXT', concept: srCode(concepts.boardConsensus), text });
  }
  return items;
}
