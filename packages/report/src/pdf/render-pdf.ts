import { displayName } from '@yunzhen/dicom';
import PDFDocument from 'pdfkit';

import { lungLobeLabels, noduleTypeLabels, lungRadsCategoryText } from '../assessments/lung-rads.js';
import type { ReportContext } from '../context.js';
import type { ReportDocument, Signer } from '../document.js';
import { localesOf, textIn, type Labels, type Locale, type LocalizedText } from '../language.js';
import { assessedFieldKeys, assessmentLines, formatNumber, measurementSummary } from '../summaries.js';
import { getTemplate } from '../templates/index.js';
import { narrativeKeys, type ReportTemplate } from '../templates/template.js';
import { finalSignature } from '../workflow.js';
import { loadNotoSansSc, type ReportFonts } from './fonts.js';

export interface RenderPdfOptions {
  /** Fonts to embed; Noto Sans SC from the npm package by default. */
  fonts?: ReportFonts;
  /** PNG or JPEG bytes of the key images (the captured viewports), by key image id. */
  keyImages?: Record<string, Uint8Array>;
  /** IANA time zone the signing times are shown in; `Asia/Shanghai` by default. */
  timeZone?: string;
  /**
   * A summary for the patient in this language instead of the full report: the impression and
   * recommendation in plain order, no measurement tables or images (an international patient
   * before arrival reads it; the full report goes to their doctors).
   */
  patientSummary?: Locale;
}

type Pdf = PDFKit.PDFDocument;

const PAGE = { width: 595.28, height: 841.89, margin: 48 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const BOTTOM = PAGE.height - PAGE.margin - 18;
const INK = '#111111';
const MUTED = '#555555';
const ACCENT = '#1d4e89';

/** Fixed words of the layout, in both locales. */
const words = {
  reportTitle: { 'zh-CN': '影像诊断报告', en: 'Diagnostic Imaging Report' },
  patientName: { 'zh-CN': '姓名', en: 'Name' },
  sex: { 'zh-CN': '性别', en: 'Sex' },
  age: { 'zh-CN': '年龄', en: 'Age' },
  patientId: { 'zh-CN': '患者 ID', en: 'Patient ID' },
  accession: { 'zh-CN': '检查号', en: 'Accession No.' },
  studyDate: { 'zh-CN': '检查日期', en: 'Study date' },
  modality: { 'zh-CN': '检查类型', en: 'Modality' },
  study: { 'zh-CN': '检查项目', en: 'Study' },
  sendingHospital: { 'zh-CN': '送检医院', en: 'Sending hospital' },
  referringDoctor: { 'zh-CN': '申请医生', en: 'Referring doctor' },
  studyUid: { 'zh-CN': '检查实例 UID', en: 'Study Instance UID' },
  findingsList: { 'zh-CN': '重点所见', en: 'Key findings' },
  nodules: { 'zh-CN': '肺结节', en: 'Lung nodules' },
  assessment: { 'zh-CN': '分类评估', en: 'Assessment' },
  recistTargets: { 'zh-CN': 'RECIST 1.1 靶病灶', en: 'RECIST 1.1 target lesions' },
  recistNonTargets: { 'zh-CN': '非靶病灶', en: 'Non-target lesions' },
  measurements: { 'zh-CN': '测量', en: 'Measurements' },
  keyImages: { 'zh-CN': '关键图像', en: 'Key images' },
  signature: { 'zh-CN': '签名', en: 'Signature' },
  status: { 'zh-CN': '报告状态', en: 'Status' },
  signedBy: { 'zh-CN': '签发医师', en: 'Signed by' },
  signedAt: { 'zh-CN': '签发时间', en: 'Signed at' },
  contentHash: { 'zh-CN': '内容哈希 (SHA-256)', en: 'Content hash (SHA-256)' },
  licensed: { 'zh-CN': '执业医师', en: 'licensed' },
  addendum: { 'zh-CN': '补充报告', en: 'Addendum' },
  secondOpinion: { 'zh-CN': '第二意见', en: 'Second opinion' },
  tumourBoard: { 'zh-CN': '多学科会诊', en: 'Tumour board' },
  boardConsensus: { 'zh-CN': '多学科会诊共识', en: 'Tumour board consensus' },
  boardMeeting: { 'zh-CN': '会诊时间', en: 'Board date' },
  attendance: { 'zh-CN': '出席', en: 'Attendance' },
  recommendation: { 'zh-CN': '共识建议', en: 'Recommendation' },
  referral: { 'zh-CN': '转诊阅片', en: 'Referred reading' },
  readBy: { 'zh-CN': '阅片医师', en: 'Read by' },
  countersignedBy: { 'zh-CN': '复核签发', en: 'Countersigned by' },
  notSigned: { 'zh-CN': '未签发', en: 'Not signed' },
  page: { 'zh-CN': '页', en: 'page' },
  patientSummary: { 'zh-CN': '影像会诊结果摘要（患者版）', en: 'Summary of your imaging consultation' },
  patientSummaryNote: {
    'zh-CN': '本摘要供您本人阅读。完整的诊断报告已发送给您的医生，请与医生讨论结果。',
    en: 'This summary is for you. The full diagnostic report has been sent to your doctors; please discuss the results with them.',
  },
} satisfies Record<string, Labels>;

const statusWords: Record<ReportDocument['status'], Labels> = {
  draft: { 'zh-CN': '草稿（未签发，不作临床依据）', en: 'DRAFT (not signed, not for clinical use)' },
  preliminary: { 'zh-CN': '初步报告', en: 'Preliminary report' },
  final: { 'zh-CN': '正式报告', en: 'Final report' },
  amended: { 'zh-CN': '正式报告（含补充）', en: 'Final report with addenda' },
};

const signatureKindWords: Record<'preliminary' | 'final', Labels> = {
  preliminary: { 'zh-CN': '初步', en: 'preliminary' },
  final: { 'zh-CN': '正式', en: 'final' },
};

const nonTargetStatusWords: Record<'present' | 'absent' | 'unequivocal-progression' | 'not-evaluated', Labels> = {
  present: { 'zh-CN': '存在', en: 'present' },
  absent: { 'zh-CN': '消失', en: 'absent' },
  'unequivocal-progression': { 'zh-CN': '明确进展', en: 'unequivocal progression' },
  'not-evaluated': { 'zh-CN': '未评估', en: 'not evaluated' },
};

const verdictWords: Record<'agree' | 'disagree' | 'partial', Labels> = {
  agree: { 'zh-CN': '同意', en: 'Agrees' },
  disagree: { 'zh-CN': '不同意', en: 'Disagrees' },
  partial: { 'zh-CN': '部分同意', en: 'Partly agrees' },
};

const sexWords: Record<ReportContext['patient']['sex'], Labels> = {
  M: { 'zh-CN': '男', en: 'Male' },
  F: { 'zh-CN': '女', en: 'Female' },
  O: { 'zh-CN': '其他', en: 'Other' },
  U: { 'zh-CN': '未知', en: 'Unknown' },
};

/**
 * Renders the report as an A4 PDF: header with both centres and the patient/study block,
 * the template's fields, structured tables (nodules, RECIST lesions), measurements, key images
 * and the signature block with addenda and second opinions. A bilingual report shows Chinese and
 * English stacked under bilingual headings. The fonts are embedded and subset. Pass the real
 * `context` to render for the sending hospital. Node only (PDFKit).
 */
export async function renderReportPdf(doc: ReportDocument, context: ReportContext, options: RenderPdfOptions = {}): Promise<Uint8Array> {
  const fonts = options.fonts ?? (await loadNotoSansSc());
  const template = getTemplate(doc.template.id, doc.template.version);
  const locales = options.patientSummary ? [options.patientSummary] : localesOf(doc.language);
  const pdf = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    bufferPages: true,
    autoFirstPage: true,
    lang: locales[0] ?? 'zh-CN',
    info: {
      Title: `${template.title[locales[0] ?? 'zh-CN']} ${context.study.accessionNumber}`,
      Author: finalSignature(doc)?.signer.displayName ?? textIn(context.readingCentre.name, 'en'),
      Creator: 'Yunzhen',
      CreationDate: new Date(doc.updatedAt),
    },
  });
  // Views of the cached font files, not copies: the two faces are about 20 MB together.
  const view = (font: Uint8Array) => Buffer.from(font.buffer, font.byteOffset, font.byteLength);
  pdf.registerFont('regular', view(fonts.regular));
  pdf.registerFont('bold', view(fonts.bold));
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    pdf.on('end', resolve);
    pdf.on('error', reject);
  });

  const layout = new Layout(pdf, locales, options.timeZone ?? 'Asia/Shanghai');
  header(layout, doc, options.patientSummary ? words.patientSummary : template.title, context);
  if (options.patientSummary) {
    patientSummaryBody(layout, doc, template);
  } else {
    body(layout, doc, template);
    measurementTable(layout, doc);
    keyImages(layout, doc, options.keyImages ?? {});
  }
  signatureBlock(layout, doc);
  referralBlock(layout, context);
  footers(pdf, doc, locales);
  pdf.end();
  await finished;
  return new Uint8Array(Buffer.concat(chunks));
}

/** Text flow helpers over PDFKit that keep blocks from running into the footer. */
class Layout {
  constructor(
    readonly pdf: Pdf,
    readonly locales: Locale[],
    readonly timeZone: string,
  ) {}

  /** An ISO instant as `YYYY-MM-DD HH:mm` in the layout's time zone, named. */
  time(instant: string): string {
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: this.timeZone, dateStyle: 'short', timeStyle: 'short' }).format(new Date(instant));
    return `${local} (${this.timeZone})`;
  }

  /** A label in the report's locales: "影像所见 Findings" for a bilingual report. */
  label(labels: Labels): string {
    return this.locales.map((locale) => labels[locale]).join(' ');
  }

  ensureSpace(height: number): void {
    if (this.pdf.y + height > BOTTOM) this.pdf.addPage();
  }

  heading(labels: Labels): void {
    this.ensureSpace(40);
    this.pdf.moveDown(0.6).font('bold').fontSize(11.5).fillColor(ACCENT).text(this.label(labels), PAGE.margin, this.pdf.y, { width: CONTENT_WIDTH });
    this.pdf.moveDown(0.2).fillColor(INK);
  }

  paragraph(text: string, options: { size?: number; color?: string; indent?: number } = {}): void {
    if (!text) return;
    const size = options.size ?? 10.5;
    const width = CONTENT_WIDTH - (options.indent ?? 0);
    this.pdf.font('regular').fontSize(size);
    this.ensureSpace(Math.min(this.pdf.heightOfString(text, { width }), 60));
    this.pdf.fillColor(options.color ?? INK).text(text, PAGE.margin + (options.indent ?? 0), this.pdf.y, { width, lineGap: 2 });
    this.pdf.fillColor(INK);
  }

  /** Text in every locale of the report, stacked, the second one muted. */
  localized(text: LocalizedText | undefined, indent = 0): void {
    this.locales.forEach((locale, i) => this.paragraph(textIn(text, locale), { indent, ...(i > 0 ? { color: MUTED } : {}) }));
  }

  /** A table with a bold header row; rows break across pages. */
  table(columns: { title: string; width: number }[], rows: string[][]): void {
    const total = columns.reduce((sum, c) => sum + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * CONTENT_WIDTH);
    const drawRow = (cells: string[], bold: boolean) => {
      this.pdf.font(bold ? 'bold' : 'regular').fontSize(9);
      const height = Math.max(...cells.map((cell, i) => this.pdf.heightOfString(cell || ' ', { width: (widths[i] ?? 40) - 6 }))) + 6;
      this.ensureSpace(height);
      const top = this.pdf.y;
      let x = PAGE.margin;
      cells.forEach((cell, i) => {
        this.pdf.text(cell, x + 3, top + 3, { width: (widths[i] ?? 40) - 6 });
        x += widths[i] ?? 40;
      });
      this.pdf.moveTo(PAGE.margin, top + height).lineTo(PAGE.margin + CONTENT_WIDTH, top + height).lineWidth(0.4).strokeColor('#bbbbbb').stroke();
      this.pdf.y = top + height;
    };
    drawRow(columns.map((c) => c.title), true);
    for (const row of rows) drawRow(row, false);
    this.pdf.x = PAGE.margin;
  }

  rule(): void {
    this.pdf.moveDown(0.4).moveTo(PAGE.margin, this.pdf.y).lineTo(PAGE.margin + CONTENT_WIDTH, this.pdf.y).lineWidth(0.8).strokeColor(ACCENT).stroke();
    this.pdf.moveDown(0.4);
  }
}

/** A localized name in each of the report's languages, each distinct name once. */
function namesIn(name: LocalizedText, locales: Locale[]): string[] {
  return [...new Set(locales.map((locale) => textIn(name, locale)).filter(Boolean))];
}

function header(layout: Layout, doc: ReportDocument, title: Labels, context: ReportContext): void {
  const { pdf, locales } = layout;
  // A name the same in both languages (a hospital has one registered name) is printed once.
  const centre = namesIn(context.readingCentre.name, locales).join('  ');
  pdf.font('bold').fontSize(15).fillColor(ACCENT).text(centre, { width: CONTENT_WIDTH, align: 'center' });
  pdf.font('bold').fontSize(13).fillColor(INK).text(layout.label(title), { width: CONTENT_WIDTH, align: 'center' });
  pdf.font('regular').fontSize(9.5).fillColor(doc.status === 'draft' ? '#b00020' : MUTED).text(layout.label(statusWords[doc.status]), { width: CONTENT_WIDTH, align: 'center' });
  pdf.fillColor(INK);
  layout.rule();

  const { patient, study } = context;
  const age = patient.age ? ageText(patient.age, locales) : '';
  const hospital = namesIn(context.sendingHospital.name, locales).join(' / ');
  const pairs: [Labels, string][] = [
    [words.patientName, displayName(patient.name)],
    [words.sex, layout.label(sexWords[patient.sex])],
    [words.age, age],
    [words.patientId, patient.id],
    [words.accession, study.accessionNumber],
    [words.studyDate, study.studyDate],
    [words.modality, study.modalities.join(', ')],
    [words.study, study.studyDescription],
    [words.sendingHospital, hospital],
    [words.referringDoctor, context.referringDoctor ?? ''],
  ];
  const columnWidth = CONTENT_WIDTH / 2;
  for (let i = 0; i < pairs.length; i += 2) {
    const top = pdf.y;
    let bottom = top;
    for (const [column, pair] of [pairs[i], pairs[i + 1]].entries()) {
      if (!pair) continue;
      const x = PAGE.margin + column * columnWidth;
      pdf.font('bold').fontSize(9.5).text(`${layout.label(pair[0])}: `, x, top, { continued: true, width: columnWidth - 8 });
      pdf.font('regular').text(pair[1] || '–');
      bottom = Math.max(bottom, pdf.y);
    }
    pdf.y = bottom + 1;
  }
  pdf.font('regular').fontSize(8).fillColor(MUTED).text(`${layout.label(words.studyUid)}: ${study.studyInstanceUid}`, PAGE.margin, pdf.y, { width: CONTENT_WIDTH });
  pdf.fillColor(INK);
  layout.rule();
}

function ageText(age: string, locales: Locale[]): string {
  const match = /^(\d{3})([DWMY])$/.exec(age);
  if (!match) return age;
  const value = Number(match[1]);
  const unit = match[2] as 'D' | 'W' | 'M' | 'Y';
  const units: Record<typeof unit, Labels> = {
    D: { 'zh-CN': '天', en: 'days' },
    W: { 'zh-CN': '周', en: 'weeks' },
    M: { 'zh-CN': '月', en: 'months' },
    Y: { 'zh-CN': '岁', en: 'years' },
  };
  return locales.map((locale) => `${value} ${units[unit][locale]}`).join(' / ');
}

function body(layout: Layout, doc: ReportDocument, template: ReportTemplate): void {
  for (const field of template.fields) {
    const value = doc.values[field.key];
    if (field.key === narrativeKeys.impression) structuredBlocks(layout, doc);
    if (value === undefined || value === '' || assessedFieldKeys.has(field.key)) continue;
    if (field.kind === 'narrative') {
      if (typeof value !== 'object' || layout.locales.every((locale) => !textIn(value, locale))) continue;
      layout.heading(field.label);
      layout.localized(value);
    } else if (field.kind === 'choice') {
      const option = field.options.find((o) => o.code === value);
      if (!option) continue;
      layout.heading(field.label);
      layout.paragraph(layout.label(option.label));
      if (option.detail) layout.paragraph(layout.label(option.detail), { color: MUTED, size: 9.5 });
    } else if (value === true) {
      layout.heading(field.label);
      layout.paragraph(layout.locales.map((l) => (l === 'zh-CN' ? '是' : 'Yes')).join(' / '));
    }
    if (field.key === narrativeKeys.findings) findingsList(layout, doc);
  }
}

/** The conclusion for the patient: impression and recommendation in their language, and where the full report went. */
function patientSummaryBody(layout: Layout, doc: ReportDocument, template: ReportTemplate): void {
  for (const field of template.fields) {
    if (field.key !== narrativeKeys.impression && field.key !== narrativeKeys.recommendation) continue;
    const value = doc.values[field.key];
    if (field.kind !== 'narrative' || typeof value !== 'object' || !value || layout.locales.every((locale) => !textIn(value as LocalizedText, locale))) continue;
    layout.heading(field.label);
    layout.localized(value as LocalizedText);
  }
  for (const addendum of doc.addenda) {
    layout.heading(words.addendum);
    layout.localized(addendum.text);
  }
  layout.paragraph(layout.label(words.patientSummaryNote), { color: MUTED, size: 9.5 });
}

function findingsList(layout: Layout, doc: ReportDocument): void {
  if (doc.findings.length === 0) return;
  layout.heading(words.findingsList);
  const byId = new Map(doc.measurements.map((m) => [m.id, m]));
  doc.findings.forEach((finding, i) => {
    layout.locales.forEach((locale, j) => {
      const measured = finding.measurementIds.flatMap((id) => {
        const m = byId.get(id);
        return m ? [`${m.label ?? m.tool}: ${measurementSummary(m, locale)}`] : [];
      });
      const text = [`${i + 1}. ${textIn(finding.text, locale)}`, ...measured.map((line) => `   • ${line}`)].join('\n');
      layout.paragraph(text, j > 0 ? { color: MUTED } : {});
    });
  });
}

/** Nodule and RECIST tables and the assessment lines, placed before the impression. */
function structuredBlocks(layout: Layout, doc: ReportDocument): void {
  const primary = layout.locales[0] ?? 'zh-CN';
  const label = (labels: Labels) => layout.label(labels);
  const lungRads = doc.assessment?.lungRads;
  if (doc.nodules?.length) {
    layout.heading(words.nodules);
    layout.table(
      [
        { title: 'ID', width: 1 },
        { title: label({ 'zh-CN': '位置', en: 'Location' }), width: 3 },
        { title: label({ 'zh-CN': '类型', en: 'Type' }), width: 2.4 },
        { title: label({ 'zh-CN': '平均径 mm', en: 'Mean mm' }), width: 1.8 },
        { title: label({ 'zh-CN': '实性成分 mm', en: 'Solid mm' }), width: 1.8 },
        { title: 'Lung-RADS', width: 1.6 },
      ],
      doc.nodules.map((nodule, index) => {
        const result = lungRads?.nodules.find((n) => n.noduleId === nodule.id);
        return [
          // The nodule's id is a UUID for the software; on paper, nodules are counted.
          `N${index + 1}`,
          label(lungLobeLabels[nodule.lobe]),
          label(noduleTypeLabels[nodule.type]),
          result?.meanDiameterMm != null ? formatNumber(result.meanDiameterMm) : '–',
          result?.solidComponentMm != null ? formatNumber(result.solidComponentMm) : '–',
          result?.category ? lungRadsCategoryText[result.category].label.en.split(':')[0] ?? '' : '–',
        ];
      }),
    );
  }
  const recist = doc.assessment?.recist;
  if (doc.recist && doc.recist.targetLesions.length) {
    layout.heading(words.recistTargets);
    layout.table(
      [
        { title: 'ID', width: 1 },
        { title: label({ 'zh-CN': '部位', en: 'Site' }), width: 4 },
        { title: label({ 'zh-CN': '淋巴结', en: 'Node' }), width: 1.4 },
        { title: label({ 'zh-CN': '基线 mm', en: 'Baseline mm' }), width: 1.8 },
        { title: label({ 'zh-CN': '本次 mm', en: 'Current mm' }), width: 1.8 },
      ],
      doc.recist.targetLesions.map((lesion) => {
        const current = recist?.lesions.find((l) => l.lesionId === lesion.id)?.diameterMm;
        return [
          lesion.id,
          textIn(lesion.site, primary) || lesion.organ,
          lesion.nodal ? '✓' : '',
          lesion.baselineMm !== undefined ? formatNumber(lesion.baselineMm) : '–',
          current != null ? formatNumber(current) : '–',
        ];
      }),
    );
    if (doc.recist.nonTargetLesions.length) {
      layout.heading(words.recistNonTargets);
      for (const lesion of doc.recist.nonTargetLesions) {
        layout.paragraph(`${lesion.id}  ${textIn(lesion.site, primary) || lesion.organ}: ${label(nonTargetStatusWords[lesion.status])}`);
      }
    }
  }
  const lines = layout.locales.map((locale) => assessmentLines(doc, locale));
  if (lines.some((l) => l.length)) {
    layout.heading(words.assessment);
    lines.forEach((localeLines, i) => layout.paragraph(localeLines.join('\n'), i > 0 ? { color: MUTED } : {}));
  }
}

function measurementTable(layout: Layout, doc: ReportDocument): void {
  if (doc.measurements.length === 0) return;
  layout.heading(words.measurements);
  layout.table(
    [
      { title: layout.label({ 'zh-CN': '标注', en: 'Label' }), width: 2.2 },
      { title: layout.label({ 'zh-CN': '工具', en: 'Tool' }), width: 1.8 },
      { title: layout.label({ 'zh-CN': '数值', en: 'Values' }), width: 6 },
    ],
    doc.measurements.map((m) => [m.label ?? '', m.tool, layout.locales.map((locale) => measurementSummary(m, locale)).filter(Boolean).join('\n')]),
  );
}

function keyImages(layout: Layout, doc: ReportDocument, images: Record<string, Uint8Array>): void {
  const shown = doc.keyImages.filter((k) => images[k.id]);
  if (shown.length === 0) return;
  const size = (CONTENT_WIDTH - 16) / 2;
  // Keep the heading on the page of the first row of images.
  layout.ensureSpace(size + 70);
  layout.heading(words.keyImages);
  const { pdf } = layout;
  for (let i = 0; i < shown.length; i += 2) {
    layout.ensureSpace(size + 40);
    const top = pdf.y;
    let bottom = top;
    for (const [column, keyImage] of [shown[i], shown[i + 1]].entries()) {
      const bytes = keyImage ? images[keyImage.id] : undefined;
      if (!keyImage || !bytes) continue;
      const x = PAGE.margin + column * (size + 16);
      pdf.image(Buffer.from(bytes), x, top, { fit: [size, size], align: 'center', valign: 'center' });
      pdf.rect(x, top, size, size).lineWidth(0.4).strokeColor('#999999').stroke();
      const caption = layout.locales.map((locale) => textIn(keyImage.caption, locale)).filter(Boolean).join('\n');
      pdf.font('regular').fontSize(8.5).fillColor(MUTED).text(caption, x, top + size + 4, { width: size });
      bottom = Math.max(bottom, pdf.y);
    }
    pdf.fillColor(INK);
    pdf.y = bottom + 8;
    pdf.x = PAGE.margin;
  }
}

function signatureBlock(layout: Layout, doc: ReportDocument): void {
  layout.ensureSpace(110);
  layout.rule();
  layout.heading(words.signature);
  const signerText = (signer: Signer) => `${signer.displayName}${signer.licensed ? ` (${layout.label(words.licensed)})` : ''}`;
  layout.paragraph(`${layout.label(words.status)}: ${layout.label(statusWords[doc.status])}`);
  if (doc.signatures.length === 0) layout.paragraph(layout.label(words.notSigned), { color: '#b00020' });
  for (const signature of doc.signatures) {
    layout.paragraph(
      `${layout.label(words.signedBy)}: ${signerText(signature.signer)}    ${layout.label(words.signedAt)}: ${layout.time(signature.signedAt)}    [${layout.label(signatureKindWords[signature.kind])}]`,
    );
    layout.paragraph(`${layout.label(words.contentHash)}: ${signature.contentHash}`, { size: 8, color: MUTED });
  }
  for (const addendum of doc.addenda) {
    layout.heading(words.addendum);
    layout.localized(addendum.text);
    layout.paragraph(`${layout.label(words.signedBy)}: ${signerText(addendum.signer)}    ${layout.label(words.signedAt)}: ${layout.time(addendum.signedAt)}`, { size: 9.5 });
    layout.paragraph(`${layout.label(words.contentHash)}: ${addendum.contentHash}`, { size: 8, color: MUTED });
  }
  for (const opinion of doc.secondOpinions) {
    layout.heading(opinion.kind === 'tumour-board' ? words.tumourBoard : words.secondOpinion);
    layout.paragraph(`${signerText(opinion.reader)}: ${layout.label(verdictWords[opinion.verdict])}    ${layout.time(opinion.recordedAt)}`);
    layout.localized(opinion.comment);
  }
  for (const consensus of doc.boardConsensus ?? []) {
    layout.ensureSpace(90);
    layout.heading(words.boardConsensus);
    layout.paragraph(`${consensus.title}    ${layout.label(words.boardMeeting)}: ${layout.time(consensus.meetingAt)}`);
    layout.paragraph(`${layout.label(words.attendance)}: ${consensus.attendance.map((a) => `${a.displayName} (${a.organization})`).join('; ')}`, { size: 9.5 });
    layout.paragraph(`${layout.label(words.recommendation)}:`);
    // The board may have written in one language only: show what it wrote rather than nothing.
    const shown = layout.locales.some((locale) => textIn(consensus.recommendation, locale)) ? consensus.recommendation : { 'zh-CN': consensus.recommendation.en, en: consensus.recommendation['zh-CN'] };
    layout.localized(shown, 12);
    layout.paragraph(`${layout.label(words.signedBy)}: ${signerText(consensus.signer)}    ${layout.label(words.signedAt)}: ${layout.time(consensus.signedAt)}`, { size: 9.5 });
  }
}

/** Who read a referred consult at the partner centre, and who countersigned it here. */
function referralBlock(layout: Layout, context: ReportContext): void {
  if (!context.referral) return;
  const { centre, readBy, countersignedBy } = context.referral;
  layout.heading(words.referral);
  layout.paragraph(`${layout.label(words.readBy)}: ${readBy} (${namesIn(centre.name, layout.locales).join(' / ')})`);
  if (countersignedBy) layout.paragraph(`${layout.label(words.countersignedBy)}: ${countersignedBy} (${namesIn(context.readingCentre.name, layout.locales).join(' / ')})`);
}

function footers(pdf: Pdf, doc: ReportDocument, locales: Locale[]): void {
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    // Writing below the bottom margin would make PDFKit open a new page.
    const margin = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    const pageWord = locales.map((locale) => words.page[locale]).join(' ');
    pdf.font('regular').fontSize(7.5).fillColor(MUTED).text(
      `${doc.id} · v${doc.version} · ${pageWord} ${i + 1}/${range.count}`,
      PAGE.margin,
      PAGE.height - PAGE.margin + 14,
      { width: CONTENT_WIDTH, align: 'right', lineBreak: false },
    );
    pdf.page.margins.bottom = margin;
  }
}
