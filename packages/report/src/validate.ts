import { computeAssessment } from './assessment.js';
import { targetLesionDiameterMm, type RecistInput } from './assessments/recist.js';
import { canonicalJson } from './canonical.js';
import { REPORT_SCHEMA_VERSION, type ReportDocument } from './document.js';
import { isCompleteText, localesOf, type LocalizedText } from './language.js';
import { meanDiameterMm, measurementTools, type Measurement } from './measurement.js';
import { lungNoduleFieldKeys } from './templates/lung-nodule.js';
import type { FieldDefinition, ReportTemplate } from './templates/template.js';

/**
 * What can be wrong with a document, each at a `path` such as `values.impression.en` or
 * `recist.targetLesions[2].measurementId`.
 */
export type ValidationCode =
  | 'UnsupportedSchemaVersion'
  | 'TemplateMismatch'
  /** A value, translation, structured block or link a signed report needs is missing. */
  | 'Required'
  | 'UnknownField'
  | 'WrongType'
  | 'UnknownCode'
  | 'DuplicateId'
  | 'UnknownMeasurement'
  | 'UnknownKeyImage'
  /** A measurement or key image is on another study than the one reported. */
  | 'ForeignStudy'
  /** A linked measurement lacks the value the rule needs (e.g. a short axis for a lymph node). */
  | 'MeasurementUnsuitable'
  /** A structured block the template does not use. */
  | 'UnexpectedBlock'
  /** RECIST 1.1 §3.3.1: at most 5 target lesions... */
  | 'TooManyTargetLesions'
  /** ...and at most 2 per organ, all lymph nodes counting as one organ. */
  | 'TooManyTargetLesionsInOrgan'
  /** RECIST 1.1 §3.2: a target lesion is ≥ 10 mm longest diameter, a lymph node ≥ 15 mm short axis, at baseline. */
  | 'TargetLesionNotMeasurable'
  /** The frozen assessment differs from what the rules compute from the document. */
  | 'StaleAssessment';

export interface ValidationIssue {
  path: string;
  code: ValidationCode;
}

export interface ValidationResult {
  ok: boolean;
  errors: ValidationIssue[];
}

/**
 * Checks a document against its template: the structure at any time, and the completeness a
 * report needs before it is signed (every required field in every language of the report,
 * linked measurements present and suitable, the RECIST selection rules).
 */
export function validateReport(doc: ReportDocument, template: ReportTemplate): ValidationResult {
  const errors: ValidationIssue[] = [];
  const issue = (path: string, code: ValidationCode) => errors.push({ path, code });

  if (doc.schemaVersion !== REPORT_SCHEMA_VERSION) issue('schemaVersion', 'UnsupportedSchemaVersion');
  if (doc.template.id !== template.id || doc.template.version !== template.version) issue('template', 'TemplateMismatch');

  const fields = new Map(template.fields.map((field) => [field.key, field]));
  for (const key of Object.keys(doc.values)) if (!fields.has(key)) issue(`values.${key}`, 'UnknownField');
  for (const field of template.fields) checkField(doc, field, issue);
  if (template.structured === 'nodules' && doc.values[lungNoduleFieldKeys.sModifier] === true) {
    checkText(doc, `values.${lungNoduleFieldKeys.significantFindings}`, doc.values[lungNoduleFieldKeys.significantFindings], issue);
  }

  const measurements = new Map<string, Measurement>();
  doc.measurements.forEach((m, i) => {
    if (measurements.has(m.id)) issue(`measurements[${i}].id`, 'DuplicateId');
    measurements.set(m.id, m);
    if (!(measurementTools as readonly string[]).includes(m.tool)) issue(`measurements[${i}].tool`, 'UnknownCode');
    if (m.image.studyInstanceUid !== doc.study.studyInstanceUid) issue(`measurements[${i}].image.studyInstanceUid`, 'ForeignStudy');
  });
  const keyImages = new Set<string>();
  doc.keyImages.forEach((k, i) => {
    if (keyImages.has(k.id)) issue(`keyImages[${i}].id`, 'DuplicateId');
    keyImages.add(k.id);
    if (k.image.studyInstanceUid !== doc.study.studyInstanceUid) issue(`keyImages[${i}].image.studyInstanceUid`, 'ForeignStudy');
    k.measurementIds?.forEach((id, j) => measurements.has(id) || issue(`keyImages[${i}].measurementIds[${j}]`, 'UnknownMeasurement'));
  });
  const findingIds = new Set<string>();
  doc.findings.forEach((finding, i) => {
    if (findingIds.has(finding.id)) issue(`findings[${i}].id`, 'DuplicateId');
    findingIds.add(finding.id);
    checkText(doc, `findings[${i}].text`, finding.text, issue);
    finding.measurementIds.forEach((id, j) => measurements.has(id) || issue(`findings[${i}].measurementIds[${j}]`, 'UnknownMeasurement'));
    finding.keyImageIds.forEach((id, j) => keyImages.has(id) || issue(`findings[${i}].keyImageIds[${j}]`, 'UnknownKeyImage'));
  });

  if (template.structured === 'nodules') checkNodules(doc, measurements, issue);
  else if (doc.nodules !== undefined) issue('nodules', 'UnexpectedBlock');
  if (template.structured === 'recist') {
    if (doc.recist) checkRecist(doc.recist, measurements, issue);
    else issue('recist', 'Required');
  } else if (doc.recist !== undefined) issue('recist', 'UnexpectedBlock');

  if (doc.assessment !== undefined && canonicalJson(doc.assessment) !== canonicalJson(computeAssessment(doc, template) ?? null)) {
    issue('assessment', 'StaleAssessment');
  }
  return { ok: errors.length === 0, errors };
}

type Report = (path: string, code: ValidationCode) => void;

function checkField(doc: ReportDocument, field: FieldDefinition, issue: Report): void {
  const path = `values.${field.key}`;
  const value = doc.values[field.key];
  if (value === undefined) {
    if (field.required) issue(path, 'Required');
    return;
  }
  switch (field.kind) {
    case 'narrative':
      if (typeof value !== 'object') issue(path, 'WrongType');
      else if (field.required || Object.values(value).some((text) => text?.trim())) checkText(doc, path, value, issue);
      return;
    case 'choice':
      if (typeof value !== 'string') issue(path, 'WrongType');
      else if (!field.options.some((option) => option.code === value)) issue(path, 'UnknownCode');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') issue(path, 'WrongType');
      return;
  }
}

/** Text needs content in every language of the report. */
function checkText(doc: ReportDocument, path: string, text: unknown, issue: Report): void {
  if (text === undefined) return issue(path, 'Required');
  if (typeof text !== 'object' || text === null) return issue(path, 'WrongType');
  if (isCompleteText(text as LocalizedText, doc.language)) return;
  for (const locale of localesOf(doc.language)) {
    if (!(text as LocalizedText)[locale]?.trim()) issue(`${path}.${locale}`, 'Required');
  }
}

function checkNodules(doc: ReportDocument, measurements: Map<string, Measurement>, issue: Report): void {
  const ids = new Set<string>();
  (doc.nodules ?? []).forEach((nodule, i) => {
    const path = `nodules[${i}]`;
    if (ids.has(nodule.id)) issue(`${path}.id`, 'DuplicateId');
    ids.add(nodule.id);
    const whole = measurements.get(nodule.measurementId);
    if (!whole) issue(`${path}.measurementId`, 'UnknownMeasurement');
    else if (meanDiameterMm(whole) === undefined) issue(`${path}.measurementId`, 'MeasurementUnsuitable');
    if (nodule.solidComponentMeasurementId !== undefined) {
      const solid = measurements.get(nodule.solidComponentMeasurementId);
      if (!solid) issue(`${path}.solidComponentMeasurementId`, 'UnknownMeasurement');
      else if (meanDiameterMm(solid) === undefined) issue(`${path}.solidComponentMeasurementId`, 'MeasurementUnsuitable');
    } else if (nodule.type === 'part-solid' && !nodule.benignFeature && !nodule.airway && whole && (meanDiameterMm(whole) ?? 0) >= 6) {
      // Lung-RADS grades a part-solid nodule of 6 mm or more by its solid component.
      issue(`${path}.solidComponentMeasurementId`, 'Required');
    }
  });
}

function checkRecist(recist: RecistInput, measurements: Map<string, Measurement>, issue: Report): void {
  const targets = recist.targetLesions;
  // Response is computed from the sum of the target lesions: without one there is no sum (0)
  // and no response, and a signed report would read as if the disease had gone.
  if (targets.length === 0) issue('recist.targetLesions', 'Required');
  if (targets.length > 5) issue('recist.targetLesions', 'TooManyTargetLesions');
  const perOrgan = new Map<string, number>();
  const ids = new Set<string>();
  targets.forEach((lesion, i) => {
    const path = `recist.targetLesions[${i}]`;
    const organ = lesion.nodal ? 'lymph node' : lesion.organ.trim().toLowerCase();
    perOrgan.set(organ, (perOrgan.get(organ) ?? 0) + 1);
    if (perOrgan.get(organ) === 3) issue(path, 'TooManyTargetLesionsInOrgan');
    checkLesionId(ids, lesion.id, path, issue);

    const measurement = lesion.measurementId === undefined ? undefined : measurements.get(lesion.measurementId);
    if (lesion.measurementId !== undefined && !measurement) issue(`${path}.measurementId`, 'UnknownMeasurement');
    else if (lesion.measurementId === undefined && lesion.state === undefined) issue(`${path}.measurementId`, 'Required');
    const diameter = targetLesionDiameterMm(lesion, measurement);
    if (measurement && diameter === undefined) issue(`${path}.measurementId`, 'MeasurementUnsuitable');

    if (recist.timepoint === 'baseline') {
      const measurable = diameter !== undefined && lesion.measurementId !== undefined && diameter >= (lesion.nodal ? 15 : 10);
      if (!measurable && !(measurement && diameter === undefined)) issue(path, 'TargetLesionNotMeasurable');
    } else if (lesion.baselineMm === undefined) {
      issue(`${path}.baselineMm`, 'Required');
    }
  });
  recist.nonTargetLesions.forEach((lesion, i) => checkLesionId(ids, lesion.id, `recist.nonTargetLesions[${i}]`, issue));
  recist.newLesions.forEach((lesion, i) => {
    checkLesionId(ids, lesion.id, `recist.newLesions[${i}]`, issue);
    if (lesion.measurementId !== undefined && !measurements.has(lesion.measurementId)) {
      issue(`recist.newLesions[${i}].measurementId`, 'UnknownMeasurement');
    }
  });
  if (recist.timepoint === 'baseline' && recist.newLesions.length > 0) issue('recist.newLesions', 'UnexpectedBlock');
}

function checkLesionId(ids: Set<string>, id: string, path: string, issue: Report): void {
  if (ids.has(id)) issue(`${path}.id`, 'DuplicateId');
  ids.add(id);
}
