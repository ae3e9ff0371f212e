import type { ChoiceOption } from '../templates/template.js';
import { SNOMED_CT, YUNZHEN_CODE_SYSTEM } from '../templates/template.js';

/** BI-RADS code system for assessment categories (no published code system exists). */
export const BI_RADS_SYSTEM = `${YUNZHEN_CODE_SYSTEM}:bi-rads-5`;

/**
 * ACR BI-RADS Atlas 5th edition (2013) final assessment categories with their standard
 * management recommendation and likelihood of malignancy. Category 4 may be reported as a whole
 * or subdivided into 4A/4B/4C (mammography and ultrasound).
 */
export const biRadsCategories: ChoiceOption[] = [
  category('0', '0 类：评估未完成', '0: Incomplete', '需要进一步影像学评估和/或与既往检查对比。', 'Recall for additional imaging and/or comparison with prior examination(s).'),
  category('1', '1 类：阴性', '1: Negative', '常规乳腺 X 线筛查。恶性可能性基本为 0%。', 'Routine mammography screening. Essentially 0% likelihood of malignancy.'),
  category('2', '2 类：良性', '2: Benign', '常规乳腺 X 线筛查。恶性可能性基本为 0%。', 'Routine mammography screening. Essentially 0% likelihood of malignancy.'),
  category('3', '3 类：可能良性', '3: Probably benign', '短期（6 个月）随访或继续监测性乳腺 X 线检查。恶性可能性 >0% 且 ≤2%。', 'Short-interval (6-month) follow-up or continued surveillance mammography. >0% but ≤2% likelihood of malignancy.'),
  category('4', '4 类：可疑恶性', '4: Suspicious', '组织学诊断。恶性可能性 >2% 且 <95%。', 'Tissue diagnosis. >2% but <95% likelihood of malignancy.'),
  category('4A', '4A 类：低度可疑恶性', '4A: Low suspicion for malignancy', '组织学诊断。恶性可能性 >2% 且 ≤10%。', 'Tissue diagnosis. >2% to ≤10% likelihood of malignancy.'),
  category('4B', '4B 类：中度可疑恶性', '4B: Moderate suspicion for malignancy', '组织学诊断。恶性可能性 >10% 且 ≤50%。', 'Tissue diagnosis. >10% to ≤50% likelihood of malignancy.'),
  category('4C', '4C 类：高度可疑恶性', '4C: High suspicion for malignancy', '组织学诊断。恶性可能性 >50% 且 <95%。', 'Tissue diagnosis. >50% to <95% likelihood of malignancy.'),
  category('5', '5 类：高度提示恶性', '5: Highly suggestive of malignancy', '组织学诊断。恶性可能性 ≥95%。', 'Tissue diagnosis. ≥95% likelihood of malignancy.'),
  category('6', '6 类：活检证实的恶性', '6: Known biopsy-proven malignancy', '临床适当时手术切除。', 'Surgical excision when clinically appropriate.'),
];

/**
 * BI-RADS 5th edition breast composition a–d, coded with the SNOMED CT concepts of DICOM
 * CID 6001 (the 3rd-edition names map one to one).
 */
export const breastCompositions: ChoiceOption[] = [
  { code: 'a', label: { 'zh-CN': 'a：乳腺几乎全部为脂肪', en: 'a: The breasts are almost entirely fatty' }, coding: { system: SNOMED_CT, code: '129716005', display: 'Almost entirely fat' } },
  { code: 'b', label: { 'zh-CN': 'b：散在纤维腺体密度区', en: 'b: There are scattered areas of fibroglandular density' }, coding: { system: SNOMED_CT, code: '129717001', display: 'Scattered fibroglandular densities' } },
  { code: 'c', label: { 'zh-CN': 'c：乳腺不均匀致密，可能掩盖小肿块', en: 'c: The breasts are heterogeneously dense, which may obscure small masses' }, coding: { system: SNOMED_CT, code: '129718006', display: 'Heterogeneously dense' } },
  { code: 'd', label: { 'zh-CN': 'd：乳腺极度致密，降低乳腺 X 线摄影的敏感性', en: 'd: The breasts are extremely dense, which lowers the sensitivity of mammography' }, coding: { system: SNOMED_CT, code: '129719003', display: 'Extremely dense' } },
];

export type BiRadsCategory = '0' | '1' | '2' | '3' | '4' | '4A' | '4B' | '4C' | '5' | '6';

/** The standard entry for a BI-RADS category, with its management recommendation in `detail`. */
export function biRadsCategory(code: BiRadsCategory): ChoiceOption {
  const found = biRadsCategories.find((option) => option.code === code);
  if (!found) throw new Error(`unknown BI-RADS category ${code}`);
  return found;
}

function category(code: BiRadsCategory, zh: string, en: string, managementZh: string, managementEn: string): ChoiceOption {
  return {
    code,
    label: { 'zh-CN': zh, en },
    coding: { system: BI_RADS_SYSTEM, code, display: `BI-RADS ${en}` },
    detail: { 'zh-CN': managementZh, en: managementEn },
  };
}
