import { LOINC, narrativeFields, templateIds, type ReportTemplate } from './template.js';

/**
 * Oncology response with RECIST 1.1: target, non-target and new lesions are in
 * `ReportDocument.recist`; sums and responses are computed from the linked measurements.
 */
export const recistTemplate: ReportTemplate = {
  id: templateIds.recist,
  version: 1,
  title: { 'zh-CN': '肿瘤疗效评估报告（RECIST 1.1）', en: 'Tumour Response Report (RECIST 1.1)' },
  reportCode: { system: LOINC, code: '18748-4', display: 'Diagnostic imaging study' },
  structured: 'recist',
  fields: narrativeFields({ recommendationRequired: false }),
};
