import { biRadsCategories, breastCompositions } from '../assessments/bi-rads.js';
import { LOINC, narrativeFields, templateIds, type ReportTemplate } from './template.js';

export const breastFieldKeys = { composition: 'breastComposition', biRads: 'biRads' } as const;

/** Breast imaging with the ACR BI-RADS 5th edition final assessment and breast composition. */
export const breastTemplate: ReportTemplate = {
  id: templateIds.breast,
  version: 1,
  title: { 'zh-CN': '乳腺影像报告（BI-RADS）', en: 'Breast Imaging Report (BI-RADS)' },
  reportCode: { system: LOINC, code: '18748-4', display: 'Diagnostic imaging study' },
  fields: [
    ...narrativeFields({ recommendationRequired: false }),
    { key: breastFieldKeys.composition, kind: 'choice', required: true, label: { 'zh-CN': '乳腺构成', en: 'Breast composition' }, options: breastCompositions },
    { key: breastFieldKeys.biRads, kind: 'choice', required: true, label: { 'zh-CN': 'BI-RADS 评估分类', en: 'BI-RADS assessment category' }, options: biRadsCategories },
  ],
};
