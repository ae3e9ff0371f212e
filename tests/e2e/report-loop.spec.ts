import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readSample, rewriteInstances } from '@yunzhen/server/testing';

import { dragAcross, expect, login, logout, test, watchPageErrors } from './fixtures.js';

/**
 * The whole consult loop on the embedded defaults, as the three people do it: a radiographer
 * uploads a CT series and opens a consult; a specialist measures a nodule, fills the lung
 * nodule template, inserts the measurement and signs; the referring doctor reads the report
 * with the real patient name, opens the PDF and acknowledges; another hospital sees nothing.
 */
const REAL_NAME = 'CompressedSamples^CT1';

test('a consult from upload to signed, re-identified, acknowledged report', async ({ page, browser }) => {
  const tag = `loop-${Date.now()}`;
  const folder = mkdtempSync(join(tmpdir(), 'yunzhen-loop-'));
  try {
    // A CT image with new UIDs, so the study is this test's own.
    mkdirSync(join(folder, 'CT'));
    const study = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true });
    writeFileSync(join(folder, 'CT', 'IM1'), study[0]!);

    await login(page, 'rad@xuhui.demo');
    await page.getByTestId('go-upload').click();
    await page.getByTestId('folder-input').setInputFiles(join(folder, 'CT'));
    await expect(page.getByTestId('summary-instances')).toHaveText('1');
    await page.getByTestId('start-upload').click();
    await expect(page.getByTestId('upload-done')).toBeVisible({ timeout: 30_000 });
    const form = page.getByTestId('consult-form');
    await form.locator('textarea[name=question]').fill(`Lung nodule follow-up ${tag}`);
    await form.locator('select[name=priority]').selectOption('urgent');
    await page.getByTestId('create-consult').click();
    await expect(page.getByTestId('consult-page')).toBeVisible();
    const consultId = /\/consults\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    // The image is checked for burned-in text before the reading centre sees it (OCR at ingest):
    // the consult page counts it as being checked until then.
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId('consult-studies')).toBeVisible();
      await expect(page.getByTestId('study-scanning')).toHaveCount(0, { timeout: 1_000 });
    }).toPass({ timeout: 120_000 });
    await logout(page);

    // The specialist reads, measures and reports.
    await login(page, 'specialist@scc.demo');
    await page.getByTestId('worklist-search').fill(tag);
    await page.getByTestId('consult-row').first().getByTestId('consult-link').click();
    await page.goto(`/consults/${consultId}/read`);
    const viewport = page.getByTestId('viewport').first();
    await expect(viewport).toHaveAttribute('data-loading', 'false', { timeout: 20_000 });
    await page.getByTestId('tool-Bidirectional').click();
    await dragAcross(page, (await viewport.getByTestId('viewport-element').boundingBox())!, [0.42, 0.45], [0.52, 0.49]);
    await expect(page.getByTestId('measurement')).toHaveCount(1);

    const panel = page.getByTestId('report-panel');
    await panel.locator('select[name=template]').selectOption('lung-nodule');
    await panel.locator('select[name=report-language]').selectOption('zh-CN');
    await panel.getByTestId('create-report').click();
    await expect(panel.getByTestId('report-status')).toHaveText('Draft');
    await panel.getByTestId('field-technique-zh-CN').fill('胸部 CT 平扫。');
    await panel.getByTestId('field-findings-zh-CN').fill('右肺上叶见一实性结节。');
    await panel.getByTestId('field-impression-zh-CN').fill('右肺上叶实性小结节。');
    await panel.getByTestId('insert-measurement').first().click();
    await expect(panel.getByTestId('finding')).toHaveCount(1);
    await panel.getByTestId('add-nodule').click();
    await expect(panel.getByTestId('report-assessment')).toContainText('Lung-RADS');
    await expect(panel.getByTestId('report-save-state')).toHaveAttribute('data-state', 'saved', { timeout: 10_000 });
    await panel.getByTestId('sign-final').click();
    await expect(panel.getByTestId('report-status')).toHaveText('Final', { timeout: 20_000 });
    await expect(panel.getByTestId('signature')).toContainText('Dr. Chen Wei');
    await logout(page);

    // The referring doctor of the sending hospital gets it back with the real patient.
    await login(page, 'doctor@xuhui.demo');
    await page.goto(`/consults/${consultId}`);
    const report = page.getByTestId('sender-report');
    await expect(report.getByTestId('report-patient')).toContainText(REAL_NAME.replace('^', ' '));
    await expect(report.getByTestId('report-assessment')).toContainText('Lung-RADS');
    const pdf = await page.request.get(await report.getByTestId('download-pdf').getAttribute('href').then((h) => h!));
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
    await report.getByTestId('acknowledge').click();
    await expect(report.getByTestId('acknowledged')).toBeVisible();
    await expect(page.getByTestId('turnaround-acknowledgedAt')).not.toHaveText('—');

    // Another hospital's doctor: nothing.
    const other = await browser.newPage();
    const problems = watchPageErrors(other);
    await login(other, 'doctor@minhang.demo');
    await expect(other.getByTestId('landing-referring_doctor')).toBeVisible();
    expect(problems, 'the page logged errors').toEqual([]); // the 404 below is the expected answer, so not after it
    await other.goto(`/consults/${consultId}`);
    await expect(other.getByTestId('not-found')).toBeVisible();
    const api = await other.request.get(`/api/consults/${consultId}/report`);
    expect(api.status()).toBe(404);
    await other.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
