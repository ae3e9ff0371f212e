import { LOINC, narrativeFields, templateIds, type ReportTemplate } from './template.js';

/** General radiology: technique, findings, impression, recommendation. */
export const generalTemplate: ReportTemplate = {
  id: templateIds.general,
  version: 1,
  title: { 'zh-CN': '影像诊断报告', en: 'Diagnostic Imaging Report' },
  reportCode: { system: LOINC, code: '18748-4', display: 'Diagnostic imaging study' },
  fields: narrativeFields({ recommendationRequired: false }),
};
