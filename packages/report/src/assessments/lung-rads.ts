import type { Labels, LocalizedText } from '../language.js';
import { meanDiameterMm, type Measurement } from '../measurement.js';

/**
 * Lung-RADS v2022 (ACR, November 2022), baseline screening only.
 *
 * Implemented, per nodule (sizes are mean diameters, the average of long and short axis rounded
 * to one decimal, as v2022 prescribes):
 * - benign calcification (complete, central, popcorn, concentric rings) or fat → 1
 * - airway nodule: subsegmental → 2; segmental or more proximal → 4A
 * - juxtapleural nodule (perifissural, costal, mediastinal or paravertebral pleura; solid, smooth
 *   margins, oval, lentiform or triangular) < 10 mm → 2
 * - solid: < 6 mm → 2; 6 to < 8 → 3; 8 to < 15 → 4A; ≥ 15 → 4B
 * - part-solid: total < 6 mm → 2; total ≥ 6 with solid component < 6 → 3; solid component
 *   6 to < 8 → 4A; solid component ≥ 8 → 4B
 * - ground-glass (non-solid): < 30 mm → 2; ≥ 30 mm → 3
 * - a category 3, 4A or 4B nodule with additional features that increase the suspicion of
 *   malignancy (marked by the reader) → 4X
 * The examination takes the category of its most suspicious nodule (1 when there is none), or 0
 * when it is incomplete; the S modifier (clinically significant non-cancer findings) is the
 * reader's input.
 *
 * Not implemented, because they need prior examinations: new and growing nodules (growth is a
 * mean-diameter increase > 1.5 mm within 12 months), stepped management of stable 3 and 4A
 * nodules, and atypical pulmonary cysts. Volumetric thresholds are not used.
 */
export const LUNG_RADS_VERSION = 'v2022';

export type NoduleType = 'solid' | 'part-solid' | 'ground-glass';
export type LungLobe = 'RUL' | 'RML' | 'RLL' | 'LUL' | 'LLL';
export type LungRadsCategory = '0' | '1' | '2' | '3' | '4A' | '4B' | '4X';
/** Why an examination is Lung-RADS 0. */
export type LungRadsIncompleteReason = 'prior-being-located' | 'not-evaluable' | 'infectious-inflammatory';

export interface LungNodule {
  id: string;
  type: NoduleType;
  lobe: LungLobe;
  /** Bidirectional (preferred: long and short axis) or Length measurement of the whole nodule. */
  measurementId: string;
  /** Part-solid nodules: measurement of the solid component. */
  solidComponentMeasurementId?: string;
  benignFeature?: 'calcification' | 'fat';
  juxtapleural?: boolean;
  airway?: 'subsegmental' | 'segmental-or-proximal';
  /** Additional features or imaging findings that increase the suspicion of lung cancer (4X). */
  suspiciousFeatures?: boolean;
  note?: LocalizedText;
}

/** What one nodule's category rests on. */
export interface NoduleClassificationInput {
  type: NoduleType;
  meanDiameterMm: number;
  solidComponentMm?: number;
  benignFeature?: LungNodule['benignFeature'];
  juxtapleural?: boolean;
  airway?: LungNodule['airway'];
  suspiciousFeatures?: boolean;
}

export interface LungRadsNoduleResult {
  noduleId: string;
  meanDiameterMm: number | null;
  solidComponentMm: number | null;
  /** `null` when the linked measurements do not give the sizes the rule needs. */
  category: LungRadsCategory | null;
}

export interface LungRadsAssessment {
  version: typeof LUNG_RADS_VERSION;
  category: LungRadsCategory;
  sModifier: boolean;
  incomplete?: LungRadsIncompleteReason;
  nodules: LungRadsNoduleResult[];
}

/** Categories from least to most suspicious. */
const categoryOrder: readonly LungRadsCategory[] = ['0', '1', '2', '3', '4A', '4B', '4X'];

/** Lung-RADS v2022 category of one nodule at baseline screening (see the module comment for the table). */
export function classifyNodule(nodule: NoduleClassificationInput): Exclude<LungRadsCategory, '0'> {
  const category = sizeCategory(nodule);
  return nodule.suspiciousFeatures && (category === '3' || category === '4A' || category === '4B') ? '4X' : category;
}

function sizeCategory(nodule: NoduleClassificationInput): '1' | '2' | '3' | '4A' | '4B' {
  if (nodule.benignFeature) return '1';
  if (nodule.airway) return nodule.airway === 'subsegmental' ? '2' : '4A';
  const size = nodule.meanDiameterMm;
  switch (nodule.type) {
    case 'solid':
      if (nodule.juxtapleural && size < 10) return '2';
      if (size < 6) return '2';
      if (size < 8) return '3';
      if (size < 15) return '4A';
      return '4B';
    case 'part-solid': {
      if (size < 6) return '2';
      // A part-solid nodule of 6 mm or more is graded by its solid component alone.
      const solid = nodule.solidComponentMm ?? 0;
      if (solid < 6) return '3';
      if (solid < 8) return '4A';
      return '4B';
    }
    case 'ground-glass':
      return size < 30 ? '2' : '3';
  }
}

/** Lung-RADS v2022 assessment of a baseline screening CT from its nodules and linked measurements. */
export function assessLungRads(input: {
  nodules: LungNodule[];
  measurements: Measurement[];
  incomplete?: LungRadsIncompleteReason;
  sModifier: boolean;
}): LungRadsAssessment {
  const byId = new Map(input.measurements.map((m) => [m.id, m]));
  const nodules = input.nodules.map((nodule): LungRadsNoduleResult => {
    const whole = byId.get(nodule.measurementId);
    const solidPart = nodule.solidComponentMeasurementId ? byId.get(nodule.solidComponentMeasurementId) : undefined;
    const meanDiameter = whole ? meanDiameterMm(whole) : undefined;
    const solidComponent = solidPart ? meanDiameterMm(solidPart) : undefined;
    const sizesKnown =
      meanDiameter !== undefined &&
      (nodule.type !== 'part-solid' || meanDiameter < 6 || solidComponent !== undefined || nodule.benignFeature !== undefined || nodule.airway !== undefined);
    const category = sizesKnown
      ? classifyNodule({ ...nodule, meanDiameterMm: meanDiameter, ...(solidComponent === undefined ? {} : { solidComponentMm: solidComponent }) })
      : null;
    return { noduleId: nodule.id, meanDiameterMm: meanDiameter ?? null, solidComponentMm: solidComponent ?? null, category };
  });
  const worst = nodules.reduce<LungRadsCategory>(
    (current, { category }) => (category !== null && categoryOrder.indexOf(category) > categoryOrder.indexOf(current) ? category : current),
    '1',
  );
  return {
    version: LUNG_RADS_VERSION,
    category: input.incomplete ? '0' : worst,
    sModifier: input.sModifier,
    ...(input.incomplete ? { incomplete: input.incomplete } : {}),
    nodules,
  };
}

/** Descriptor and management recommendation of each Lung-RADS v2022 category. */
export const lungRadsCategoryText: Record<LungRadsCategory, { label: Labels; management: Labels }> = {
  '0': {
    label: { 'zh-CN': '0 类：评估未完成', en: '0: Incomplete' },
    management: {
      'zh-CN': '需补充肺癌筛查 CT 图像和/或与既往胸部 CT 对比；疑似感染或炎症时 1–3 个月后复查低剂量 CT。',
      en: 'Additional lung cancer screening CT images and/or comparison to prior chest CT examinations is needed; 1–3 month LDCT for findings suggestive of an infectious or inflammatory process.',
    },
  },
  '1': {
    label: { 'zh-CN': '1 类：阴性', en: '1: Negative' },
    management: { 'zh-CN': '12 个月后继续年度低剂量 CT 筛查。', en: 'Continue annual screening with LDCT in 12 months.' },
  },
  '2': {
    label: { 'zh-CN': '2 类：良性表现或良性行为', en: '2: Benign appearance or behavior' },
    management: { 'zh-CN': '12 个月后继续年度低剂量 CT 筛查。', en: 'Continue annual screening with LDCT in 12 months.' },
  },
  '3': {
    label: { 'zh-CN': '3 类：可能良性', en: '3: Probably benign' },
    management: { 'zh-CN': '6 个月后复查低剂量 CT。', en: '6-month LDCT.' },
  },
  '4A': {
    label: { 'zh-CN': '4A 类：可疑', en: '4A: Suspicious' },
    management: {
      'zh-CN': '3 个月后复查低剂量 CT；实性结节或实性成分 ≥8 mm 时可考虑 PET/CT。',
      en: '3-month LDCT; PET/CT may be considered if there is a ≥ 8 mm solid nodule or solid component.',
    },
  },
  '4B': {
    label: { 'zh-CN': '4B 类：非常可疑', en: '4B: Very suspicious' },
    management: {
      'zh-CN': '诊断性胸部 CT（平扫或增强）；实性结节或实性成分 ≥8 mm 时可考虑 PET/CT；组织取样和/或转诊临床进一步评估。',
      en: 'Diagnostic chest CT with or without contrast; PET/CT may be considered if there is a ≥ 8 mm solid nodule or solid component; tissue sampling; and/or referral for further clinical evaluation.',
    },
  },
  '4X': {
    label: { 'zh-CN': '4X 类：伴有增加恶性可疑度的其他特征', en: '4X: Additional features increasing suspicion of malignancy' },
    management: {
      'zh-CN': '诊断性胸部 CT（平扫或增强）；实性结节或实性成分 ≥8 mm 时可考虑 PET/CT；组织取样和/或转诊临床进一步评估。',
      en: 'Diagnostic chest CT with or without contrast; PET/CT may be considered if there is a ≥ 8 mm solid nodule or solid component; tissue sampling; and/or referral for further clinical evaluation.',
    },
  },
};

export const lungLobeLabels: Record<LungLobe, Labels> = {
  RUL: { 'zh-CN': '右肺上叶', en: 'Right upper lobe' },
  RML: { 'zh-CN': '右肺中叶', en: 'Right middle lobe' },
  RLL: { 'zh-CN': '右肺下叶', en: 'Right lower lobe' },
  LUL: { 'zh-CN': '左肺上叶', en: 'Left upper lobe' },
  LLL: { 'zh-CN': '左肺下叶', en: 'Left lower lobe' },
};

export const noduleTypeLabels: Record<NoduleType, Labels> = {
  solid: { 'zh-CN': '实性', en: 'Solid' },
  'part-solid': { 'zh-CN': '部分实性', en: 'Part-solid' },
  'ground-glass': { 'zh-CN': '磨玻璃', en: 'Ground-glass' },
};
