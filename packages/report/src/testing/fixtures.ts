import { createHash } from 'node:crypto';

import type { ReportContext } from '../context.js';
import type { ReportDocument, Signer } from '../document.js';
import type { ImageRef, Measurement } from '../measurement.js';
import { templateIds, type TemplateId } from '../templates/template.js';
import { addAddendum, createReport, recordSecondOpinion, signReport, updateReport, type ContentHasher } from '../workflow.js';

/**
 * Sample reports for tests, demos and the viewer's development: one per template, with the
 * reading centre's pseudonymous context and the sending hospital's real one. Node-only (hashing).
 */

/** SHA-256 with Node's crypto, as the server injects it. */
export const sha256Hex: ContentHasher = async (bytes) => createHash('sha256').update(bytes).digest('hex');

const PSEUDO_STUDY = '2.25.100000000000000000000000000000000001';
const PSEUDO_SERIES = '2.25.100000000000000000000000000000000002';
const REAL_STUDY = '1.2.840.113619.2.55.3.604688119.971.1699999999.1';
const REAL_SERIES = '1.2.840.113619.2.55.3.604688119.971.1699999999.2';
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const MG_IMAGE = '1.2.840.10008.5.1.4.1.1.1.2';

const pseudoInstance = (n: number) => `2.25.1000000000000000000000000000000001${String(n).padStart(2, '0')}`;
const realInstance = (n: number) => `1.2.840.113619.2.55.3.604688119.971.1699999999.2.${n}`;

export const specialist: Signer = { userId: 'u-specialist-01', displayName: '李明 Li Ming', licensed: true };
export const secondReader: Signer = { userId: 'u-specialist-02', displayName: '王芳 Wang Fang', licensed: true };

/** The reading centre's view: pseudonyms only. */
export function pseudonymousContext(modality = 'CT'): ReportContext {
  return {
    patient: { name: 'ANON^7F3A2C', id: 'P-7F3A2C', sex: 'M', age: '063Y' },
    study: { studyInstanceUid: PSEUDO_STUDY, accessionNumber: 'ACC-7F3A2C', studyDate: '2026-11-20', studyDescription: `${modality} study`, modalities: [modality] },
    sendingHospital: { id: 'h-xuhui', name: { 'zh-CN': '徐汇区中心医院（演示）', en: 'Xuhui District Hospital (demo)' } },
    readingCentre: { id: 'h-scc', name: { 'zh-CN': '上海肿瘤中心（演示）', en: 'Shanghai Cancer Center (demo)' } },
  };
}

/** The sending hospital's view: real identity and the original UIDs. */
export function realContext(modality = 'CT'): ReportContext {
  const uids: Record<string, string> = { [PSEUDO_STUDY]: REAL_STUDY, [PSEUDO_SERIES]: REAL_SERIES };
  for (let n = 1; n <= 9; n++) uids[pseudoInstance(n)] = realInstance(n);
  return {
    patient: { name: '张伟', id: '3301020001', sex: 'M', age: '063Y', birthDate: '1963-04-02' },
    study: {
      studyInstanceUid: REAL_STUDY,
      accessionNumber: 'XH20261120001',
      studyDate: '2026-11-20',
      studyDescription: modality === 'MG' ? 'MG bilateral screening' : 'CT chest low dose',
      modalities: [modality],
      series: [{ seriesInstanceUid: REAL_SERIES, modality }],
    },
    sendingHospital: { id: 'h-xuhui', name: { 'zh-CN': '徐汇区中心医院（演示）', en: 'Xuhui District Hospital (demo)' } },
    readingCentre: { id: 'h-scc', name: { 'zh-CN': '上海肿瘤中心（演示）', en: 'Shanghai Cancer Center (demo)' } },
    referringDoctor: '陈静',
    uids,
  };
}

function image(n: number, sopClassUid = CT_IMAGE): ImageRef {
  return { studyInstanceUid: PSEUDO_STUDY, seriesInstanceUid: PSEUDO_SERIES, sopInstanceUid: pseudoInstance(n), sopClassUid };
}

function bidirectional(id: string, n: number, long: number, short: number, label: string, lesionId?: string): Measurement {
  return {
    id,
    tool: 'Bidirectional',
    label,
    values: { long_axis_mm: long, short_axis_mm: short },
    image: image(n),
    points: [[100, 120], [100 + long * 1.4, 124], [110, 115], [112, 115 + short * 1.4]],
    ...(lesionId ? { lesionId } : {}),
  };
}

function length(id: string, n: number, mm: number, label: string, sopClassUid = CT_IMAGE): Measurement {
  return { id, tool: 'Length', label, values: { length_mm: mm }, image: image(n, sopClassUid), points: [[200, 210], [200 + mm * 1.4, 215]] };
}

const created = new Date('2026-11-20T08:00:00.000Z');
const edited = new Date('2026-11-20T08:30:00.000Z');

/** An unsigned draft with complete content for `templateId`. */
export function draftReport(templateId: TemplateId): ReportDocument {
  switch (templateId) {
    case templateIds.general:
      return generalDraft();
    case templateIds.lungNodule:
      return lungNoduleDraft();
    case templateIds.breast:
      return breastDraft();
    case templateIds.recist:
      return recistDraft();
  }
}

function generalDraft(): ReportDocument {
  const doc = createReport({ id: '0b6f9a52-3f1e-4c7a-9d1e-6a0f2b1c4d01', templateId: 'general', templateVersion: 1, language: 'zh-CN', studyInstanceUid: PSEUDO_STUDY, now: created });
  const measurements: Measurement[] = [
    { id: 'b3f0c1d2-1111-4a2b-8c3d-000000000001', tool: 'Probe', label: '肝囊肿 CT 值', values: { mean: 8.2, unit: 'HU' }, image: image(1), points: [[256, 240]] },
    { id: 'b3f0c1d2-1111-4a2b-8c3d-000000000002', tool: 'RectangleROI', label: '脾脏', values: { area_mm2: 412.5, mean: 48.1, stdDev: 6.3, min: 30, max: 66, unit: 'HU' }, image: image(2), points: [[300, 200], [330, 225]] },
    { id: 'b3f0c1d2-1111-4a2b-8c3d-000000000003', tool: 'EllipticalROI', label: '肾上腺结节', values: { area_mm2: 95.4, mean: 12.5, stdDev: 4.1, min: 2, max: 24, unit: 'HU' }, image: image(3), points: [[150, 160], [170, 160], [160, 154], [160, 166]] },
    { id: 'b3f0c1d2-1111-4a2b-8c3d-000000000004', tool: 'Angle', label: '椎体角', values: { angle_deg: 12.4 }, image: image(4), points: [[100, 100], [120, 140], [150, 150]] },
    { id: 'b3f0c1d2-1111-4a2b-8c3d-000000000005', tool: 'CobbAngle', label: 'Cobb 角', values: { angle_deg: 18.7 }, image: image(4), points: [[90, 80], [160, 90], [95, 200], [165, 180]] },
    { id: 'b3f0c1d2-1111-4a2b-8c3d-000000000006', tool: 'ArrowAnnotate', label: '胆囊结石', values: {}, image: image(5), points: [[210, 260]] },
    length('b3f0c1d2-1111-4a2b-8c3d-000000000007', 3, 11.2, '肾上腺结节长径'),
  ];
  return updateReport(
    doc,
    {
      values: {
        technique: { 'zh-CN': '上腹部 CT 平扫，层厚 5 mm。' },
        findings: { 'zh-CN': '肝右叶见一类圆形低密度影，边界清楚，CT 值约 8 HU。左侧肾上腺见一结节，长径约 11.2 mm。胆囊内见高密度结石影。' },
        impression: { 'zh-CN': '1. 肝囊肿。\n2. 左侧肾上腺结节，腺瘤可能。\n3. 胆囊结石。' },
        recommendation: { 'zh-CN': '建议肾上腺增强 CT 随访。' },
      },
      measurements,
      keyImages: [{ id: 'k1', image: image(3), caption: { 'zh-CN': '左侧肾上腺结节' }, measurementIds: [measurements[2]?.id ?? ''] }],
      findings: [{ id: 'f1', text: { 'zh-CN': '左侧肾上腺结节，平扫 CT 值约 12.5 HU。' }, measurementIds: [measurements[2]?.id ?? '', measurements[6]?.id ?? ''], keyImageIds: ['k1'] }],
    },
    edited,
  );
}

function lungNoduleDraft(): ReportDocument {
  const doc = createReport({ id: '0b6f9a52-3f1e-4c7a-9d1e-6a0f2b1c4d02', templateId: 'lung-nodule', templateVersion: 1, language: 'both', studyInstanceUid: PSEUDO_STUDY, now: created });
  const measurements: Measurement[] = [
    bidirectional('c4a1e2f3-2222-4b3c-9d4e-000000000001', 1, 9.2, 7.4, 'N1'),
    bidirectional('c4a1e2f3-2222-4b3c-9d4e-000000000002', 2, 12.0, 10.0, 'N2'),
    bidirectional('c4a1e2f3-2222-4b3c-9d4e-000000000003', 2, 5.0, 4.0, 'N2 solid'),
    bidirectional('c4a1e2f3-2222-4b3c-9d4e-000000000004', 3, 14.0, 10.0, 'N3'),
    { id: 'c4a1e2f3-2222-4b3c-9d4e-000000000005', tool: 'EllipticalROI', label: 'N1 density', values: { area_mm2: 52.3, mean: 28.4, stdDev: 11.2, min: -20, max: 60, unit: 'HU' }, image: image(1), points: [[130, 120], [143, 120], [136, 115], [136, 125]] },
  ];
  return updateReport(
    doc,
    {
      values: {
        technique: { 'zh-CN': '胸部低剂量 CT 平扫，层厚 1.25 mm。', en: 'Low-dose chest CT without contrast, 1.25 mm slices.' },
        findings: {
          'zh-CN': '右肺上叶实性结节，大小约 9.2 × 7.4 mm。左肺下叶部分实性结节，大小约 12.0 × 10.0 mm，实性成分约 5.0 × 4.0 mm。右肺中叶磨玻璃结节，大小约 14.0 × 10.0 mm。',
          en: 'Solid nodule in the right upper lobe, 9.2 × 7.4 mm. Part-solid nodule in the left lower lobe, 12.0 × 10.0 mm, solid component 5.0 × 4.0 mm. Ground-glass nodule in the right middle lobe, 14.0 × 10.0 mm.',
        },
        impression: { 'zh-CN': '右肺上叶实性结节，Lung-RADS 4A 类。', en: 'Solid nodule in the right upper lobe, Lung-RADS 4A.' },
        recommendation: { 'zh-CN': '3 个月后复查低剂量 CT。', en: 'Low-dose CT in 3 months.' },
        lungRadsS: false,
      },
      measurements,
      nodules: [
        { id: 'N1', type: 'solid', lobe: 'RUL', measurementId: measurements[0]?.id ?? '' },
        { id: 'N2', type: 'part-solid', lobe: 'LLL', measurementId: measurements[1]?.id ?? '', solidComponentMeasurementId: measurements[2]?.id ?? '' },
        { id: 'N3', type: 'ground-glass', lobe: 'RML', measurementId: measurements[3]?.id ?? '' },
      ],
      keyImages: [{ id: 'k1', image: image(1), caption: { 'zh-CN': '右肺上叶实性结节', en: 'Solid nodule, right upper lobe' }, measurementIds: [measurements[0]?.id ?? ''] }],
    },
    edited,
  );
}

function breastDraft(): ReportDocument {
  const doc = createReport({ id: '0b6f9a52-3f1e-4c7a-9d1e-6a0f2b1c4d03', templateId: 'breast', templateVersion: 1, language: 'en', studyInstanceUid: PSEUDO_STUDY, now: created });
  const mass = length('d5b2f3a4-3333-4c4d-8e5f-000000000001', 1, 14.0, 'Left breast mass', MG_IMAGE);
  return updateReport(
    doc,
    {
      values: {
        technique: { en: 'Bilateral digital mammography, CC and MLO views.' },
        findings: { en: 'Irregular mass with spiculated margins in the left breast upper outer quadrant, 14 mm. No suspicious calcifications.' },
        impression: { en: 'Suspicious left breast mass.' },
        recommendation: { en: 'Ultrasound-guided core biopsy of the left breast mass.' },
        breastComposition: 'c',
        biRads: '4B',
      },
      measurements: [mass],
      findings: [{ id: 'f1', text: { en: 'Left breast mass, upper outer quadrant.' }, measurementIds: [mass.id], keyImageIds: [] }],
    },
    edited,
  );
}

function recistDraft(): ReportDocument {
  const doc = createReport({ id: '0b6f9a52-3f1e-4c7a-9d1e-6a0f2b1c4d04', templateId: 'recist', templateVersion: 1, language: 'both', studyInstanceUid: PSEUDO_STUDY, now: created });
  const t1 = length('e6c3a4b5-4444-4d5e-9f60-000000000001', 1, 32.0, 'T1');
  const t2 = bidirectional('e6c3a4b5-4444-4d5e-9f60-000000000002', 2, 21.0, 15.0, 'T2');
  const t3 = bidirectional('e6c3a4b5-4444-4d5e-9f60-000000000003', 3, 19.0, 12.0, 'T3');
  return updateReport(
    doc,
    {
      values: {
        technique: { 'zh-CN': '胸腹部增强 CT，层厚 5 mm。', en: 'Contrast-enhanced CT of chest and abdomen, 5 mm slices.' },
        findings: { 'zh-CN': '肝内两枚转移灶较前缩小；纵隔淋巴结短径 12 mm。', en: 'Two liver metastases smaller than before; mediastinal lymph node 12 mm short axis.' },
        impression: { 'zh-CN': '疾病稳定（RECIST 1.1 SD）。', en: 'Stable disease (RECIST 1.1 SD).' },
      },
      measurements: [t1, t2, t3],
      recist: {
        timepoint: 'follow-up',
        targetLesions: [
          { id: 'T1', organ: 'liver', nodal: false, site: { 'zh-CN': '肝 S7', en: 'Liver segment 7' }, measurementId: t1.id, baselineMm: 40 },
          { id: 'T2', organ: 'liver', nodal: false, site: { 'zh-CN': '肝 S4', en: 'Liver segment 4' }, measurementId: t2.id, baselineMm: 25 },
          { id: 'T3', organ: 'mediastinal lymph node', nodal: true, site: { 'zh-CN': '隆突下淋巴结', en: 'Subcarinal lymph node' }, measurementId: t3.id, baselineMm: 18 },
        ],
        nonTargetLesions: [{ id: 'NT1', organ: 'pleura', nodal: false, site: { 'zh-CN': '右侧胸腔积液', en: 'Right pleural effusion' }, status: 'present' }],
        newLesions: [],
        priorSumsMm: [70],
      },
    },
    edited,
  );
}

/** The draft signed final by `specialist`; the general sample also has an addendum and a second opinion. */
export async function signedReport(templateId: TemplateId): Promise<ReportDocument> {
  const signed = await signReport(draftReport(templateId), specialist, new Date('2026-11-20T09:00:00.000Z'), sha256Hex);
  if (templateId !== templateIds.general) return signed;
  const amended = await addAddendum(
    signed,
    { id: 'a1', text: { 'zh-CN': '补充：与 2025 年外院 CT 对比，肾上腺结节大小无变化。' } },
    specialist,
    new Date('2026-11-21T10:00:00.000Z'),
    sha256Hex,
  );
  return recordSecondOpinion(
    amended,
    { id: 'o1', kind: 'second-opinion', reader: secondReader, verdict: 'agree', comment: { 'zh-CN': '同意。' } },
    new Date('2026-11-21T11:00:00.000Z'),
  );
}
