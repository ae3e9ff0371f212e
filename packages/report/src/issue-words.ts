import type { Labels, Locale } from './language.js';
import type { ReportTemplate } from './templates/template.js';
import type { ValidationCode, ValidationIssue } from './validate.js';

const languageNames: Record<Locale, Labels> = {
  'zh-CN': { 'zh-CN': '中文', en: 'Chinese' },
  en: { 'zh-CN': '英文', en: 'English' },
};

const parts: Record<string, Labels> = {
  findings: { 'zh-CN': '所见', en: 'Finding' },
  nodules: { 'zh-CN': '结节', en: 'Nodule' },
  measurements: { 'zh-CN': '测量', en: 'Measurement' },
  keyImages: { 'zh-CN': '关键图像', en: 'Key image' },
  targetLesions: { 'zh-CN': '靶病灶', en: 'Target lesion' },
  nonTargetLesions: { 'zh-CN': '非靶病灶', en: 'Non-target lesion' },
  newLesions: { 'zh-CN': '新病灶', en: 'New lesion' },
  recist: { 'zh-CN': 'RECIST 1.1', en: 'RECIST 1.1' },
  assessment: { 'zh-CN': '评估', en: 'Assessment' },
  text: { 'zh-CN': '文字', en: 'text' },
};

const problems: Partial<Record<ValidationCode, Labels>> = {
  Required: { 'zh-CN': '未填写', en: 'missing' },
  UnknownMeasurement: { 'zh-CN': '测量已不存在', en: 'measurement no longer exists' },
  UnknownKeyImage: { 'zh-CN': '关键图像已不存在', en: 'key image no longer exists' },
  MeasurementUnsuitable: { 'zh-CN': '测量不适用', en: 'measurement not suitable' },
  ForeignStudy: { 'zh-CN': '属于另一检查', en: 'from another study' },
  TooManyTargetLesions: { 'zh-CN': '靶病灶多于 5 个', en: 'more than 5 target lesions' },
  TooManyTargetLesionsInOrgan: { 'zh-CN': '同一器官靶病灶多于 2 个', en: 'more than 2 target lesions in one organ' },
  TargetLesionNotMeasurable: { 'zh-CN': '不可测量（RECIST 1.1 §3.2）', en: 'not measurable (RECIST 1.1 §3.2)' },
  StaleAssessment: { 'zh-CN': '评估已过期', en: 'assessment out of date' },
};

/**
 * A validation issue in words a reader acts on, e.g. `Impression (English): missing` for
 * `values.impression.en`, `Target lesion: missing` for `recist.targetLesions`: the sign error
 * names what to fill in instead of "the report is not complete".
 */
export function describeIssue(issue: ValidationIssue, template: ReportTemplate, locale: Locale): string {
  const steps = issue.path.split('.');
  const names: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const indexed = /^(\w+)\[(\d+)\]$/.exec(step);
    const key = indexed ? indexed[1]! : step;
    const number = indexed ? ` ${Number(indexed[2]) + 1}` : '';
    if (key === 'values' && steps[i + 1]) {
      const field = template.fields.find((f) => f.key === steps[i + 1]);
      names.push(field ? field.label[locale] : steps[i + 1]!);
      i++;
    } else if (key === 'zh-CN' || key === 'en') {
      names.push(`(${languageNames[key][locale]})`);
    } else if (parts[key]) {
      names.push(`${parts[key][locale]}${number}`);
    }
  }
  const what = names.join(' ') || issue.path;
  return `${what}${locale === 'zh-CN' ? '：' : ': '}${problems[issue.code]?.[locale] ?? issue.code}`;
}
