import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { ReportContext } from '../context.js';
import type { ReportDocument } from '../document.js';
import { draftReport, pseudonymousContext, realContext, signedReport } from '../testing/fixtures.js';
import { samplePng } from '../testing/png.js';
import { renderReportPdf } from './render-pdf.js';

// Poppler (Debian poppler-utils) is the independent reader: pdftoppm rasterizes the pages,
// pdftotext extracts the text, pdffonts lists the embedded fonts. The test setup installs it;
// when it is missing these tests fail rather than skip.
const workDir = mkdtempSync(join(tmpdir(), 'yunzhen-report-pdf-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function poppler(tool: string, args: string[]): string {
  const result = spawnSync(tool, args, { encoding: 'utf8' });
  if (result.error) throw new Error(`${tool} could not run (install Debian poppler-utils): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${tool} exited with ${result.status}: ${result.stderr}`);
  return result.stdout;
}

async function render(name: string, doc: ReportDocument, context: ReportContext) {
  const keyImages = Object.fromEntries(doc.keyImages.map((k) => [k.id, samplePng()]));
  const bytes = await renderReportPdf(doc, context, { keyImages });
  const file = join(workDir, `${name}.pdf`);
  writeFileSync(file, bytes);
  return { bytes, file, text: poppler('pdftotext', ['-enc', 'UTF-8', file, '-']) };
}

/** Rasterizes every page to 8-bit grayscale and returns each page's share of dark pixels. */
function inkPerPage(file: string, name: string): number[] {
  const prefix = join(workDir, `${name}-page`);
  poppler('pdftoppm', ['-gray', '-r', '30', file, prefix]);
  const pages = readdirSync(workDir).filter((f) => f.startsWith(`${name}-page`) && f.endsWith('.pgm')).sort();
  return pages.map((page) => {
    const pgm = readFileSync(join(workDir, page));
    // Binary PGM: "P5\n<width> <height>\n<maxval>\n" then one byte per pixel.
    const match = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 40).toString('latin1'));
    if (!match) throw new Error(`${page} is not a binary PGM`);
    const pixels = pgm.subarray(match[0].length);
    let dark = 0;
    for (const value of pixels) if (value < 128) dark++;
    return dark / pixels.length;
  });
}

describe('PDF rendering', () => {
  it('renders a bilingual lung nodule report with embedded, subset Chinese fonts', async () => {
    const { bytes, file, text } = await render('lung', await signedReport('lung-nodule'), realContext());
    const ink = inkPerPage(file, 'lung');
    expect(ink.length).toBeGreaterThanOrEqual(1);
    for (const share of ink) expect(share).toBeGreaterThan(0.002);
    for (const expected of ['上海肿瘤中心', '胸部 CT 肺结节报告', 'Chest CT Lung Nodule Report', '张伟', '3301020001', 'XH20261120001', '右肺上叶', 'Right upper lobe', '诊断意见', 'Impression', 'Lung-RADS v2022', '4A', '李明', '内容哈希']) {
      expect(text).toContain(expected);
    }
    const fonts = poppler('pdffonts', [file]);
    expect(fonts).toMatch(/NotoSansSC-Regular.*CID TrueType.*yes\s+yes\s+yes/);
    expect(fonts).toMatch(/NotoSansSC-Bold/);
    // Subset: the 10 MB font files shrink to a few tens of kilobytes.
    expect(bytes.length).toBeLessThan(400_000);
  });

  it('numbers nodules N1, N2… whatever their ids (the viewer gives them UUIDs)', async () => {
    const signed = await signedReport('lung-nodule');
    const uuid = '0f3f5c7b-ab13-46b4-8646-d1ae2d65e182';
    const nodules = signed.nodules!.map((n, i) => ({ ...n, id: i === 0 ? uuid : n.id }));
    const { text } = await render('lung-uuid', { ...signed, nodules }, realContext());
    expect(text).not.toContain('0f3f5c7b');
    expect(text).toMatch(/\bN1\b/);
  });

  it('renders every template, with key images, addenda and second opinions', async () => {
    for (const templateId of ['general', 'breast', 'recist'] as const) {
      const { file, text } = await render(templateId, await signedReport(templateId), realContext(templateId === 'breast' ? 'MG' : 'CT'));
      expect(inkPerPage(file, templateId).every((share) => share > 0.002)).toBe(true);
      expect(text).toContain('张伟');
      if (templateId === 'general') for (const s of ['影像诊断报告', '补充报告', '第二意见', '王芳', '左侧肾上腺结节', '关键图像']) expect(text).toContain(s);
      if (templateId === 'breast') for (const s of ['BI-RADS', '4B: Moderate suspicion for malignancy', 'Tissue diagnosis', 'heterogeneously dense']) expect(text).toContain(s);
      if (templateId === 'recist') for (const s of ['RECIST 1.1', '疾病稳定（SD）', 'Stable disease (SD)', '靶病灶']) expect(text).toContain(s);
    }
  });

  it('shows only pseudonyms in the reading centre view and marks drafts', async () => {
    const { text } = await render('draft', draftReport('lung-nodule'), pseudonymousContext());
    expect(text).toContain('P-7F3A2C');
    expect(text).not.toContain('张伟');
    expect(text).toContain('草稿');
    expect(text).toContain('DRAFT');
  });
});
