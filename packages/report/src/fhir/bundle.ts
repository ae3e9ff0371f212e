import { personNameGroups } from '@yunzhen/dicom';

import { breastCompositions, biRadsCategories } from '../assessments/bi-rads.js';
import { lungLobeLabels, lungRadsCategoryText, noduleTypeLabels, LUNG_RADS_VERSION } from '../assessments/lung-rads.js';
import { recistResponseLabels, type OverallResponse } from '../assessments/recist.js';
import { concepts, lobeCodes, UCUM, valueConcept, valueKeys, valueUnit, yunzhen } from '../codes.js';
import { audienceUid, type ReportContext } from '../context.js';
import type { ReportDocument, ReportStatus } from '../document.js';
import { localesOf, textIn, type Locale, type LocalizedText } from '../language.js';
import type { Measurement } from '../measurement.js';
import { assessedFieldKeys, assessmentLines, measurementSummary } from '../summaries.js';
import { getTemplate } from '../templates/index.js';
import { breastFieldKeys } from '../templates/breast.js';
import { DICOM_DCM, narrativeKeys, YUNZHEN_CODE_SYSTEM, type Coding, type ReportTemplate } from '../templates/template.js';
import { dicomUidFor, nameUuid } from '../uid.js';
import { finalSignature, latestSignature } from '../workflow.js';

/**
 * FHIR R4 rendering of a report: a Bundle of type `collection` holding the DiagnosticReport
 * first, then its Observations, the ImagingStudy, the Patient, the organisations and the
 * signing Practitioner.
 *
 * Why `collection` and not `document`: a FHIR document Bundle must start with a Composition
 * and is attested as a whole; a DiagnosticReport is the resource FHIR R4 defines for imaging
 * results, and its attestation here is the report's own signature (with the PDF as
 * `presentedForm`). Receivers store the resources of a collection as they are.
 *
 * Resource ids are name-based UUIDs of the report id, so re-sending a report (e.g. after an
 * addendum) updates the same resources. Identity comes from `context` only.
 */
export interface FhirBundle {
  resourceType: 'Bundle';
  id: string;
  identifier: { system: string; value: string };
  type: 'collection';
  timestamp: string;
  entry: { fullUrl: string; resource: FhirResource }[];
}

/** A FHIR resource as plain JSON; this package owns no full FHIR type model. */
export interface FhirResource {
  resourceType: string;
  id: string;
  [element: string]: unknown;
}

export interface FhirBundleOptions {
  /** The rendered report (usually the PDF), attached as DiagnosticReport.presentedForm. */
  presentedForm?: { contentType: string; data: string; title?: string };
}

/** FHIR R4 DiagnosticReport.status: an addendum leaves the signed content untouched, which is `appended`. */
const diagnosticReportStatus: Record<ReportStatus, string> = {
  draft: 'partial',
  preliminary: 'preliminary',
  final: 'final',
  amended: 'appended',
};

/** FHIR R4 Observation.status: observations do not change with an addendum. */
const observationStatus: Record<ReportStatus, string> = {
  draft: 'preliminary',
  preliminary: 'preliminary',
  final: 'final',
  amended: 'final',
};

const TRANSLATION = 'http://hl7.org/fhir/StructureDefinition/translation';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const IMAGING_CATEGORY = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging', display: 'Imaging' }] };

/** Renders the report as a FHIR R4 Bundle; pass the real `context` for the sending hospital. */
export function toFhirBundle(doc: ReportDocument, context: ReportContext, options: FhirBundleOptions = {}): FhirBundle {
  const template = getTemplate(doc.template.id, doc.template.version);
  const locales = localesOf(doc.language);
  const primary = locales[0] ?? 'zh-CN';
  const id = (name: string) => nameUuid(`${doc.id}/${name}`);
  const ref = (resourceId: string) => ({ reference: `urn:uuid:${resourceId}` });
  const ids = {
    report: id('DiagnosticReport'),
    patient: id('Patient'),
    study: id('ImagingStudy'),
    readingCentre: id('Organization/reading-centre'),
    sendingHospital: id('Organization/sending-hospital'),
    interpreter: id('Practitioner/interpreter'),
    partnerReader: id('Practitioner/partner-reader'),
    partnerCentre: id('Organization/partner-centre'),
  };
  const effective = context.study.studyDate;
  const status = observationStatus[doc.status];
  const observationBase = { status, category: [IMAGING_CATEGORY], subject: ref(ids.patient), effectiveDateTime: effective };

  const measurementIds = new Map(doc.measurements.map((m) => [m.id, id(`Observation/measurement/${m.id}`)]));
  const measurementObservations = doc.measurements.map((m) =>
    measurementObservation(m, measurementIds.get(m.id) ?? '', observationBase, ref(ids.study), locales),
  );
  const assessment = assessmentObservations(doc, template, id, observationBase, measurementIds, ref, locales);

  const signer = finalSignature(doc) ?? latestSignature(doc);
  const conclusion = conclusionText(doc, locales);
  const report: FhirResource = {
    resourceType: 'DiagnosticReport',
    id: ids.report,
    language: primary,
    text: { status: 'generated', div: narrativeXhtml(doc, template, locales) },
    identifier: [{ system: 'urn:yunzhen:report', value: doc.id }],
    status: diagnosticReportStatus[doc.status],
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD', display: 'Radiology' }] }],
    code: { coding: [template.reportCode], text: template.title[primary] },
    subject: ref(ids.patient),
    effectiveDateTime: effective,
    ...(signer ? { issued: signer.signedAt } : {}),
    performer: [ref(ids.readingCentre)],
    ...(signer || context.referral ? { resultsInterpreter: [...(context.referral ? [ref(ids.partnerReader)] : []), ...(signer ? [ref(ids.interpreter)] : [])] } : {}),
    result: [...measurementObservations, ...assessment.map((a) => a.resource)].map((o) => ref(o.id)),
    imagingStudy: [ref(ids.study)],
    ...(conclusion ? { conclusion: conclusion.value, ...(conclusion.extension ? { _conclusion: conclusion.extension } : {}) } : {}),
    ...(assessment.some((a) => a.conclusionCode) ? { conclusionCode: assessment.flatMap((a) => (a.conclusionCode ? [a.conclusionCode] : [])) } : {}),
    ...(options.presentedForm ? { presentedForm: [{ ...options.presentedForm, language: primary }] } : {}),
  };

  const resources: FhirResource[] = [
    report,
    ...measurementObservations,
    ...assessment.map((a) => a.resource),
    imagingStudy(doc, context, ids.study, ref(ids.patient)),
    patient(context, ids.patient, ref(ids.sendingHospital), primary),
    organization(ids.readingCentre, context.readingCentre, locales),
    organization(ids.sendingHospital, context.sendingHospital, locales),
    // A referred consult's reader at the partner centre, as a PractitionerRole-free Practitioner with their centre.
    ...(context.referral
      ? [
          organization(ids.partnerCentre, context.referral.centre, locales),
          { resourceType: 'Practitioner', id: ids.partnerReader, name: [{ text: context.referral.readBy }], qualification: [{ code: { text: 'Referred reading' }, issuer: ref(ids.partnerCentre) }] },
        ]
      : []),
    ...(signer
      ? [{ resourceType: 'Practitioner', id: ids.interpreter, identifier: [{ system: 'urn:yunzhen:user', value: signer.signer.userId }], name: [{ text: signer.signer.displayName }] }]
      : []),
  ];
  return {
    resourceType: 'Bundle',
    id: id(`Bundle/${doc.version}`),
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${id(`Bundle/${doc.version}`)}` },
    type: 'collection',
    timestamp: doc.updatedAt,
    entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id}`, resource })),
  };
}

type Reference = { reference: string };

/** A FHIR string in the report's first locale, with the other locale as a translation extension. */
function localized(text: LocalizedText, locales: Locale[]): { value: string; extension?: { extension: unknown[] } } | undefined {
  const [first, ...others] = locales.filter((locale) => textIn(text, locale) !== '');
  if (!first) return undefined;
  const translations = others.map((locale) => ({
    url: TRANSLATION,
    extension: [
      { url: 'lang', valueCode: locale },
      { url: 'content', valueString: textIn(text, locale) },
    ],
  }));
  return { value: textIn(text, first), ...(translations.length ? { extension: { extension: translations } } : {}) };
}

/** The impression, then every addendum with who signed it and when. */
function conclusionText(doc: ReportDocument, locales: Locale[]) {
  const impression = doc.values[narrativeKeys.impression];
  const parts: LocalizedText = {};
  for (const locale of locales) {
    const pieces = [textIn(typeof impression === 'object' ? impression : undefined, locale)];
    for (const addendum of doc.addenda) {
      const heading = locale === 'zh-CN' ? '补充报告' : 'Addendum';
      pieces.push(`${heading} (${addendum.signedAt}, ${addendum.signer.displayName}): ${textIn(addendum.text, locale)}`);
    }
    for (const consensus of doc.boardConsensus ?? []) {
      const heading = locale === 'zh-CN' ? '多学科会诊共识' : 'Tumour board consensus';
      const attended = locale === 'zh-CN' ? '出席' : 'attendance';
      const recommendation = textIn(consensus.recommendation, locale) || textIn(consensus.recommendation, locale === 'zh-CN' ? 'en' : 'zh-CN');
      const attendance = consensus.attendance.map((a) => `${a.displayName} (${a.organization})`).join('; ');
      pieces.push(`${heading} (${consensus.meetingAt}; ${attended}: ${attendance}; ${consensus.signedAt}, ${consensus.signer.displayName}): ${recommendation}`);
    }
    parts[locale] = pieces.filter(Boolean).join('\n\n');
  }
  return localized(parts, locales);
}

function measurementObservation(
  m: Measurement,
  id: string,
  base: object,
  study: Reference,
  locales: Locale[],
): FhirResource {
  const label = localized({ 'zh-CN': m.label ?? measurementSummary(m, 'zh-CN'), en: m.label ?? measurementSummary(m, 'en') }, locales);
  return {
    resourceType: 'Observation',
    id,
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${dicomUidFor('measurement', m.id)}` }],
    ...base,
    code: { coding: [concepts.measurementGroup], text: label?.value ?? m.tool },
    derivedFrom: [study],
    component: valueKeys.flatMap((key) => {
      const value = m.values[key];
      if (value === undefined) return [];
      const unit = valueUnit(key, m.values.unit);
      return [{ code: { coding: [valueConcept(key, m.tool)] }, valueQuantity: { value, unit: unit.display, system: UCUM, code: unit.code } }];
    }),
  };
}

interface AssessmentObservation {
  resource: FhirResource;
  conclusionCode?: { coding: Coding[]; text: string };
}

function assessmentObservations(
  doc: ReportDocument,
  template: ReportTemplate,
  id: (name: string) => string,
  base: object,
  measurementIds: Map<string, string>,
  ref: (id: string) => Reference,
  locales: Locale[],
): AssessmentObservation[] {
  const primary = locales[0] ?? 'zh-CN';
  const memberRefs = (ids: (string | undefined)[]) =>
    ids.flatMap((mid) => (mid !== undefined && measurementIds.has(mid) ? [ref(measurementIds.get(mid) ?? '')] : []));
  const out: AssessmentObservation[] = [];
  const mm = (value: number) => ({ value, unit: 'mm', system: UCUM, code: 'mm' });

  const lungRads = doc.assessment?.lungRads;
  if (template.structured === 'nodules' && lungRads) {
    for (const nodule of doc.nodules ?? []) {
      const result = lungRads.nodules.find((n) => n.noduleId === nodule.id);
      out.push({
        resource: {
          resourceType: 'Observation',
          id: id(`Observation/nodule/${nodule.id}`),
          ...base,
          code: { coding: [concepts.nodule], text: primary === 'zh-CN' ? '肺结节' : 'Lung nodule' },
          bodySite: { coding: [lobeCodes[nodule.lobe]], text: lungLobeLabels[nodule.lobe][primary] },
          hasMember: memberRefs([nodule.measurementId, nodule.solidComponentMeasurementId]),
          component: [
            { code: { coding: [concepts.noduleType] }, valueCodeableConcept: { coding: [yunzhen(nodule.type, noduleTypeLabels[nodule.type].en)], text: noduleTypeLabels[nodule.type][primary] } },
            ...(result?.meanDiameterMm != null ? [{ code: { coding: [concepts.diameter] }, valueQuantity: mm(result.meanDiameterMm) }] : []),
            ...(result?.solidComponentMm != null ? [{ code: { coding: [concepts.solidComponentDiameter] }, valueQuantity: mm(result.solidComponentMm) }] : []),
            ...(result?.category ? [{ code: { coding: [concepts.lungRadsCategory] }, valueCodeableConcept: lungRadsCoding(result.category, primary) }] : []),
          ],
        },
      });
    }
    const category = lungRadsCoding(lungRads.category, primary);
    out.push({
      resource: {
        resourceType: 'Observation',
        id: id('Observation/lung-rads'),
        ...base,
        code: { coding: [concepts.lungRadsCategory], text: `Lung-RADS ${LUNG_RADS_VERSION}` },
        valueCodeableConcept: category,
        component: [{ code: { coding: [concepts.lungRadsSModifier] }, valueBoolean: lungRads.sModifier }],
      },
      conclusionCode: category,
    });
  }

  const composition = breastCompositions.find((c) => c.code === doc.values[breastFieldKeys.composition]);
  if (composition?.coding) {
    out.push({
      resource: {
        resourceType: 'Observation',
        id: id('Observation/breast-composition'),
        ...base,
        code: { coding: [concepts.breastComposition] },
        valueCodeableConcept: { coding: [composition.coding], text: composition.label[primary] },
      },
    });
  }
  const biRads = biRadsCategories.find((c) => c.code === doc.values[breastFieldKeys.biRads]);
  if (biRads?.coding) {
    const value = { coding: [biRads.coding], text: biRads.label[primary] };
    out.push({
      resource: {
        resourceType: 'Observation',
        id: id('Observation/bi-rads'),
        ...base,
        code: { coding: [concepts.overallAssessment, concepts.biRadsAssessment], text: 'BI-RADS' },
        valueCodeableConcept: value,
        ...(biRads.detail ? { note: [{ text: biRads.detail[primary] }] } : {}),
      },
      conclusionCode: value,
    });
  }

  const recist = doc.assessment?.recist;
  if (template.structured === 'recist' && recist && doc.recist) {
    const response = (code: OverallResponse) => ({ coding: [{ system: `${YUNZHEN_CODE_SYSTEM}:recist-1.1-response`, code, display: recistResponseLabels[code].en }], text: recistResponseLabels[code][primary] });
    const percent = (value: number) => ({ value, unit: '%', system: UCUM, code: '%' });
    const overall = recist.overallResponse ? response(recist.overallResponse) : undefined;
    out.push({
      resource: {
        resourceType: 'Observation',
        id: id('Observation/recist'),
        ...base,
        code: { coding: [concepts.recistOverallResponse], text: 'RECIST 1.1' },
        ...(overall ? { valueCodeableConcept: overall } : { dataAbsentReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-applicable' }], text: 'baseline' } }),
        hasMember: memberRefs(doc.recist.targetLesions.map((l) => l.measurementId)),
        component: [
          ...(recist.targetResponse ? [{ code: { coding: [concepts.recistTargetResponse] }, valueCodeableConcept: response(recist.targetResponse) }] : []),
          ...(recist.nonTargetResponse ? [{ code: { coding: [concepts.recistNonTargetResponse] }, valueCodeableConcept: response(recist.nonTargetResponse) }] : []),
          { code: { coding: [concepts.recistNewLesions] }, valueBoolean: recist.newLesions },
          { code: { coding: [concepts.recistSum] }, valueQuantity: mm(recist.sumMm) },
          ...(recist.baselineSumMm !== null ? [{ code: { coding: [concepts.recistBaselineSum] }, valueQuantity: mm(recist.baselineSumMm) }] : []),
          ...(recist.nadirMm !== null ? [{ code: { coding: [concepts.recistNadir] }, valueQuantity: mm(recist.nadirMm) }] : []),
          ...(recist.changeFromBaselinePercent !== null ? [{ code: { coding: [concepts.recistChangeFromBaseline] }, valueQuantity: percent(recist.changeFromBaselinePercent) }] : []),
          ...(recist.changeFromNadirPercent !== null ? [{ code: { coding: [concepts.recistChangeFromNadir] }, valueQuantity: percent(recist.changeFromNadirPercent) }] : []),
        ],
      },
      ...(overall ? { conclusionCode: overall } : {}),
    });
  }
  return out;
}

function lungRadsCoding(category: keyof typeof lungRadsCategoryText, locale: Locale) {
  return {
    coding: [{ system: `${YUNZHEN_CODE_SYSTEM}:lung-rads-v2022`, code: category, display: `Lung-RADS ${lungRadsCategoryText[category].label.en}` }],
    text: `Lung-RADS ${lungRadsCategoryText[category].label[locale]}`,
  };
}

/** FHIR R4 ImagingStudy with the Study Instance UID as a `urn:oid:` identifier (R4 §ImagingStudy notes). */
function imagingStudy(doc: ReportDocument, context: ReportContext, id: string, subject: Reference): FhirResource {
  const seriesModality = (uid: string) =>
    context.study.series?.find((s) => s.seriesInstanceUid === uid)?.modality ??
    (context.study.modalities.length === 1 ? context.study.modalities[0] : undefined);
  const series = new Map<string, Map<string, string>>();
  for (const { image } of [...doc.measurements, ...doc.keyImages]) {
    const seriesUid = audienceUid(context, image.seriesInstanceUid);
    const instances = series.get(seriesUid) ?? new Map<string, string>();
    instances.set(audienceUid(context, image.sopInstanceUid), image.sopClassUid);
    series.set(seriesUid, instances);
  }
  return {
    resourceType: 'ImagingStudy',
    id,
    identifier: [
      { system: 'urn:dicom:uid', value: `urn:oid:${context.study.studyInstanceUid}` },
      { type: { coding: [{ system: V2_0203, code: 'ACSN' }] }, value: context.study.accessionNumber },
    ],
    status: 'available',
    modality: context.study.modalities.map((code) => ({ system: DICOM_DCM, code })),
    subject,
    started: context.study.studyDate,
    ...(context.study.studyDescription ? { description: context.study.studyDescription } : {}),
    series: [...series].flatMap(([uid, instances]) => {
      const modality = seriesModality(uid);
      // ImagingStudy.series.modality is required; a series whose modality is unknown is left out.
      if (!modality) return [];
      return [
        {
          uid,
          modality: { system: DICOM_DCM, code: modality },
          instance: [...instances].map(([sopUid, sopClassUid]) => ({ uid: sopUid, sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${sopClassUid}` } })),
        },
      ];
    }),
  };
}

const genders = { M: 'male', F: 'female', O: 'other', U: 'unknown' } as const;

/**
 * The patient's name as FHIR HumanNames: one per group of the DICOM name (alphabetic, then
 * ideographic), with family and given names, so a receiving system can file and search it; a
 * name that is not a DICOM PN is text only.
 */
function humanNames(name: string): Record<string, unknown>[] {
  const groups = personNameGroups(name);
  if (!groups.length) return [{ text: name }];
  return groups.map((group) => ({
    use: 'official',
    text: group.text,
    ...(group.family && { family: group.family }),
    ...(group.given.length && { given: group.given }),
    ...(group.prefix.length && { prefix: group.prefix }),
    ...(group.suffix.length && { suffix: group.suffix }),
  }));
}

function patient(context: ReportContext, id: string, managingOrganization: Reference, locale: Locale): FhirResource {
  const { patient: p, sendingHospital } = context;
  const assigner = textIn(sendingHospital.name, locale) || textIn(sendingHospital.name, 'zh-CN') || textIn(sendingHospital.name, 'en');
  return {
    resourceType: 'Patient',
    id,
    identifier: [{ type: { coding: [{ system: V2_0203, code: 'MR' }] }, value: p.id, ...(assigner ? { assigner: { display: assigner } } : {}) }],
    name: humanNames(p.name),
    gender: genders[p.sex],
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
    managingOrganization,
  };
}

function organization(id: string, org: ReportContext['readingCentre'], locales: Locale[]): FhirResource {
  const names = (['zh-CN', 'en'] as const).map((locale) => textIn(org.name, locale)).filter(Boolean);
  const preferred = locales.map((locale) => textIn(org.name, locale)).find(Boolean) ?? names[0] ?? org.id;
  const aliases = names.filter((name) => name !== preferred);
  return {
    resourceType: 'Organization',
    id,
    identifier: [{ system: 'urn:yunzhen:hospital', value: org.id }],
    name: preferred,
    ...(aliases.length ? { alias: aliases } : {}),
  };
}

/** The whole report as FHIR narrative XHTML (R4 §2.4 Narrative), every locale of the report. */
function narrativeXhtml(doc: ReportDocument, template: ReportTemplate, locales: Locale[]): string {
  const parts: string[] = [];
  for (const locale of locales) {
    parts.push(`<h2>${escapeXml(template.title[locale])}</h2>`);
    for (const field of template.fields) {
      if (assessedFieldKeys.has(field.key)) continue;
      const value = doc.values[field.key];
      const shown =
        field.kind === 'narrative' && typeof value === 'object'
          ? textIn(value, locale)
          : field.kind === 'choice' && typeof value === 'string'
            ? (field.options.find((o) => o.code === value)?.label[locale] ?? '')
            : field.kind === 'boolean' && value === true
              ? (locale === 'zh-CN' ? '是' : 'Yes')
              : '';
      if (shown) parts.push(`<h3>${escapeXml(field.label[locale])}</h3><p>${escapeXml(shown).replaceAll('\n', '<br/>')}</p>`);
    }
    for (const line of assessmentLines(doc, locale)) parts.push(`<p>${escapeXml(line)}</p>`);
  }
  return `<div xmlns="http://www.w3.org/1999/xhtml">${parts.join('')}</div>`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
