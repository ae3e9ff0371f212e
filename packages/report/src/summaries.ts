import { biRadsCategories, breastCompositions } from './assessments/bi-rads.js';
import { lungRadsCategoryText } from './assessments/lung-rads.js';
import { recistResponseLabels } from './assessments/recist.js';
import { valueKeys } from './codes.js';
import type { ReportDocument } from './document.js';
import type { Labels, Locale } from './language.js';
import type { Measurement, MeasurementValues } from './measurement.js';
import { breastFieldKeys } from './templates/breast.js';

/** Human-readable lines shared by the FHIR narrative, the SR and the PDF, in one locale. */

const valueLabels: Record<(typeof valueKeys)[number], Labels> = {
  length_mm: { 'zh-CN': '长度', en: 'Length' },
  long_axis_mm: { 'zh-CN': '长径', en: 'Long axis' },
  short_axis_mm: { 'zh-CN': '短径', en: 'Short axis' },
  angle_deg: { 'zh-CN': '角度', en: 'Angle' },
  area_mm2: { 'zh-CN': '面积', en: 'Area' },
  mean: { 'zh-CN': '均值', en: 'Mean' },
  stdDev: { 'zh-CN': '标准差', en: 'SD' },
  min: { 'zh-CN': '最小值', en: 'Min' },
  max: { 'zh-CN': '最大值', en: 'Max' },
};

/** "Long axis 12.4 mm, Short axis 8.0 mm" in `locale`. */
export function measurementSummary(measurement: Measurement, locale: Locale): string {
  const parts = valueKeys.flatMap((key) => {
    const value = measurement.values[key];
    return value === undefined ? [] : [`${valueLabels[key][locale]} ${formatNumber(value)} ${displayUnit(key, measurement.values)}`.trim()];
  });
  return parts.join(locale === 'zh-CN' ? '，' : ', ');
}

function displayUnit(key: (typeof valueKeys)[number], values: MeasurementValues): string {
  if (key === 'length_mm' || key === 'long_axis_mm' || key === 'short_axis_mm') return 'mm';
  if (key === 'area_mm2') return 'mm²';
  if (key === 'angle_deg') return '°';
  return values.unit ?? '';
}

/** A number with at most one decimal, as measurements are reported. */
export function formatNumber(value: number): string {
  return (Math.round(value * 10) / 10).toFixed(Number.isInteger(Math.round(value * 10) / 10) ? 0 : 1);
}

/** Choice fields whose value `assessmentLines` already shows, so renderings do not repeat them. */
export const assessedFieldKeys: ReadonlySet<string> = new Set([breastFieldKeys.composition, breastFieldKeys.biRads]);

/** The computed or chosen assessment of the report (Lung-RADS, BI-RADS, RECIST), one line each, in `locale`. */
export function assessmentLines(doc: ReportDocument, locale: Locale): string[] {
  const lines: string[] = [];
  const lungRads = doc.assessment?.lungRads;
  if (lungRads) {
    const text = lungRadsCategoryText[lungRads.category];
    lines.push(`Lung-RADS v2022 ${text.label[locale]}${lungRads.sModifier ? ' S' : ''}`);
    lines.push(`${locale === 'zh-CN' ? '处理建议' : 'Management'}: ${text.management[locale]}`);
  }
  const composition = breastCompositions.find((c) => c.code === doc.values[breastFieldKeys.composition]);
  if (composition) lines.push(`${locale === 'zh-CN' ? '乳腺构成' : 'Breast composition'} ${composition.label[locale]}`);
  const biRads = biRadsCategories.find((c) => c.code === doc.values[breastFieldKeys.biRads]);
  if (biRads) {
    lines.push(`BI-RADS ${biRads.label[locale]}`);
    if (biRads.detail) lines.push(`${locale === 'zh-CN' ? '处理建议' : 'Management'}: ${biRads.detail[locale]}`);
  }
  const recist = doc.assessment?.recist;
  if (recist) {
    const zh = locale === 'zh-CN';
    if (recist.overallResponse) lines.push(`RECIST 1.1 ${zh ? '总体疗效' : 'overall response'}: ${recistResponseLabels[recist.overallResponse][locale]}`);
    else lines.push(`RECIST 1.1 ${zh ? '基线评估' : 'baseline assessment'}`);
    const sums = [`${zh ? '靶病灶径线总和' : 'Sum of diameters'} ${formatNumber(recist.sumMm)} mm`];
    if (recist.timepoint === 'follow-up' && recist.baselineSumMm !== null) {
      sums.push(`${zh ? '基线' : 'baseline'} ${formatNumber(recist.baselineSumMm)} mm (${signed(recist.changeFromBaselinePercent)}%)`);
    }
    if (recist.timepoint === 'follow-up' && recist.nadirMm !== null) {
      sums.push(`${zh ? '最低值' : 'nadir'} ${formatNumber(recist.nadirMm)} mm (${signed(recist.changeFromNadirPercent)}%)`);
    }
    lines.push(sums.join(zh ? '；' : '; '));
    if (recist.newLesions) lines.push(zh ? '出现明确的新病灶。' : 'Unequivocal new lesion(s).');
  }
  return lines;
}

function signed(value: number | null): string {
  if (value === null) return '–';
  return value > 0 ? `+${formatNumber(value)}` : formatNumber(value);
}
