import type { Labels } from '../language.js';

/** Registry keys of the built-in templates. */
export const templateIds = {
  general: 'general',
  lungNodule: 'lung-nodule',
  breast: 'breast',
  recist: 'recist',
} as const;

export type TemplateId = (typeof templateIds)[keyof typeof templateIds];

/** A code from a code system, as FHIR Coding and DICOM Code Sequence items both need it. */
export interface Coding {
  system: string;
  code: string;
  display: string;
}

/** One choice of a choice field: its code in the document, labels, and an optional standard coding. */
export interface ChoiceOption {
  code: string;
  label: Labels;
  coding?: Coding;
  /** Extra text shown with the choice, e.g. the BI-RADS management recommendation. */
  detail?: Labels;
}

interface FieldBase {
  key: string;
  label: Labels;
  /** Whether a signed report must have a value. */
  required: boolean;
}

/** Free text, in every language of the report. */
export interface NarrativeField extends FieldBase {
  kind: 'narrative';
}

export interface ChoiceField extends FieldBase {
  kind: 'choice';
  options: ChoiceOption[];
}

export interface BooleanField extends FieldBase {
  kind: 'boolean';
}

export type FieldDefinition = NarrativeField | ChoiceField | BooleanField;

/**
 * A report template: labelled fields in both locales, the LOINC code of the report type, and
 * which structured block (if any) its assessment is computed from.
 */
export interface ReportTemplate {
  id: TemplateId;
  version: number;
  title: Labels;
  /** LOINC code of the report type (FHIR R4 DiagnosticReport.code). */
  reportCode: Coding;
  fields: FieldDefinition[];
  /** `nodules` for Lung-RADS, `recist` for RECIST 1.1; absent for templates without computed assessment. */
  structured?: 'nodules' | 'recist';
}

/** Keys of the four narrative fields every template has, in report order. */
export const narrativeKeys = {
  technique: 'technique',
  findings: 'findings',
  impression: 'impression',
  recommendation: 'recommendation',
} as const;

/** The general radiology narrative fields (technique, findings, impression, recommendation) shared by every template. */
export function narrativeFields(options: { recommendationRequired: boolean }): NarrativeField[] {
  return [
    { key: narrativeKeys.technique, kind: 'narrative', required: true, label: { 'zh-CN': '检查技术', en: 'Technique' } },
    { key: narrativeKeys.findings, kind: 'narrative', required: true, label: { 'zh-CN': '影像所见', en: 'Findings' } },
    { key: narrativeKeys.impression, kind: 'narrative', required: true, label: { 'zh-CN': '诊断意见', en: 'Impression' } },
    {
      key: narrativeKeys.recommendation,
      kind: 'narrative',
      required: options.recommendationRequired,
      label: { 'zh-CN': '建议', en: 'Recommendation' },
    },
  ];
}

export const LOINC = 'http://loinc.org';
export const SNOMED_CT = 'http://snomed.info/sct';
export const DICOM_DCM = 'http://dicom.nema.org/resources/ontology/DCM';
/**
 * Yunzhen's own code systems, for values that no published terminology codes (the ACR publishes
 * no codes for Lung-RADS or BI-RADS categories, nor RECIST for responses).
 */
export const YUNZHEN_CODE_SYSTEM = 'urn:yunzhen:code-system';
