import { LOINC, narrativeFields, templateIds, type ReportTemplate } from './template.js';

/** Field keys of the lung nodule template beyond the narrative. */
export const lungNoduleFieldKeys = {
  incomplete: 'lungRadsIncomplete',
  sModifier: 'lungRadsS',
  significantFindings: 'significantFindings',
} as const;

/**
 * Chest CT lung nodules with Lung-RADS v2022: the nodules (type, lobe, linked measurements) are
 * in `ReportDocument.nodules`; the category is computed from them (see `assessLungRads`).
 */
export const lungNoduleTemplate: ReportTemplate = {
  id: templateIds.lungNodule,
  version: 1,
  title: { 'zh-CN': '胸部 CT 肺结节报告（Lung-RADS）', en: 'Chest CT Lung Nodule Report (Lung-RADS)' },
  reportCode: { system: LOINC, code: '24627-2', display: 'CT Chest' },
  structured: 'nodules',
  fields: [
    ...narrativeFields({ recommendationRequired: false }),
    {
      key: lungNoduleFieldKeys.incomplete,
      kind: 'choice',
      required: false,
      label: { 'zh-CN': '评估未完成（Lung-RADS 0）', en: 'Incomplete examination (Lung-RADS 0)' },
      options: [
        { code: 'prior-being-located', label: { 'zh-CN': '正在调取既往胸部 CT 对比', en: 'Prior chest CT examination(s) being located for comparison' } },
        { code: 'not-evaluable', label: { 'zh-CN': '部分或全部肺野无法评估', en: 'Part or all of lungs cannot be evaluated' } },
        { code: 'infectious-inflammatory', label: { 'zh-CN': '提示感染或炎症性病变', en: 'Findings suggestive of an inflammatory or infectious process' } },
      ],
    },
    {
      key: lungNoduleFieldKeys.sModifier,
      kind: 'boolean',
      required: false,
      label: { 'zh-CN': 'S：有临床意义的非肺癌发现', en: 'S: clinically significant findings unrelated to lung cancer' },
    },
    {
      key: lungNoduleFieldKeys.significantFindings,
      kind: 'narrative',
      required: false,
      label: { 'zh-CN': '其他重要发现（S）', en: 'Significant other findings (S)' },
    },
  ],
};
