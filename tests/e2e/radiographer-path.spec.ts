import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { demoToken, readSample, rewriteInstances, textPdf } from '@yunzhen/server/testing';

import { expect, login, logout, test, watchPageErrors } from './fixtures.js';

/**
 * A district hospital's radiographer on a slow, flaky link, start to end: uploads a folder
 * (the connection drops halfway), sends the consult from the form at the top of the page, and
 * sees the signed report come back. The real study date (2023-07-30) must be on every page she
 * passes; the reading centre only ever gets the shifted one.
 */
const REAL_DATE = '2023-07-30';

test('the radiographer’s whole path over a throttled link, with the real study date on every page', async ({ page }) => {
  test.setTimeout(240_000);
  const base = process.env.YUNZHEN_URL!;
  const patientId = `PATH-${Date.now()}`;
  const folder = mkdtempSync(join(tmpdir(), 'yunzhen-path-'));
  const problems = watchPageErrors(page);
  try {
    const slices = Array.from({ length: 16 }, (_, i) => readSample(`studies/mr-16slice/MR${String(i + 1).padStart(2, '0')}.dcm`));
    const study = rewriteInstances(slices, { freshUids: true, replace: { 0x00100010: 'WANG^XIAOMING', 0x00100020: patientId, 0x00080020: '20230730' } });
    mkdirSync(join(folder, 'MR'));
    study.forEach((bytes, i) => writeFileSync(join(folder, 'MR', `IM${i + 1}`), bytes));

    // About 2 Mbit/s up with 150 ms latency: a district hospital's shared line.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, uploadThroughput: 256 * 1024, downloadThroughput: 1024 * 1024 });

    await login(page, 'rad@xuhui.demo', 'zh-CN');
    await page.getByTestId('go-upload').click();
    await page.getByTestId('folder-input').setInputFiles(join(folder, 'MR'));
    await expect(page.getByTestId('summary-instances')).toHaveText('16');
    await expect(page.getByTestId('upload-summary')).toContainText('1 个检查');
    await page.getByTestId('start-upload').click();

    // While it runs: bytes, speed and time left, and leaving the page asks first.
    await expect(page.getByTestId('upload-figures')).toContainText('MB/s', { timeout: 30_000 });
    await expect(page.getByTestId('upload-figures')).toContainText('剩余');
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByTestId('go-account').click();
    await expect(page.getByTestId('upload-page')).toBeVisible();

    // She leaves anyway; on return the page says the upload did not finish, and the same folder resumes it.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('go-account').click();
    await expect(page.getByTestId('upload-page')).toHaveCount(0);
    await page.goto('/upload');
    await expect(page.getByTestId('unfinished-upload')).toContainText('未完成');
    await page.getByTestId('folder-input').setInputFiles(join(folder, 'MR'));
    await expect(page.getByTestId('unfinished-upload')).toHaveCount(0);
    await page.getByTestId('start-upload').click();

    // The connection drops: a banner says so, and the upload carries on once it is back.
    await page.context().setOffline(true);
    await expect(page.getByTestId('offline-banner')).toBeVisible();
    await page.waitForTimeout(2_000);
    await page.context().setOffline(false);
    await expect(page.getByTestId('offline-banner')).toBeHidden();
    await expect(page.getByTestId('upload-done')).toContainText('上传完成', { timeout: 120_000 });
    await expect(page.getByTestId('upload-progress')).toContainText('16/16');
    await expect(page.getByTestId('file-problems')).toHaveCount(0);

    // The consult form comes first once files are in, above the drop zone and the file list.
    const form = page.getByTestId('consult-form');
    const formTop = (await form.boundingBox())!.y;
    expect(formTop).toBeLessThan((await page.getByTestId('drop-zone').boundingBox())!.y);
    expect(formTop).toBeLessThan((await page.getByTestId('file-results-details').boundingBox())!.y);
    await expect(form).toContainText(REAL_DATE);
    await expect(form).toContainText('WANG XIAOMING');
    await page.screenshot({ path: test.info().outputPath('upload-done-zh-CN.png'), fullPage: true });
    await form.locator('textarea[name=question]').fill('头痛两周，请排除占位');
    await form.locator('textarea[name=history]').fill('头痛两周，晨起加重，无发热。');
    const referral = await textPdf(['会诊申请单 Referral letter', `患者 Patient: Wang Xiaoming, ${patientId}`]);
    await form.getByTestId('attachment-input').setInputFiles({ name: 'referral-WANG.pdf', mimeType: 'application/pdf', buffer: Buffer.from(referral) });
    await expect(form.getByTestId('attachment-picked')).toHaveCount(1);
    await page.getByTestId('create-consult').click();

    // The consult page.
    await expect(page.getByTestId('consult-page')).toBeVisible();
    const consultId = /\/consults\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    await expect(page.getByTestId('consult-studies')).toContainText(REAL_DATE);
    await expect(page.getByTestId('consult-studies')).toContainText('WANG XIAOMING');
    await expect(page.getByTestId('held-warning')).toHaveCount(0);
    await expect(page.getByTestId('clinical-history')).toContainText('晨起加重');
    // The attachment is named by its kind, never by its file name (which carries the patient's name).
    await expect(page.getByTestId('attachment-list')).toContainText('会诊申请单.pdf');
    await expect(page.getByTestId('attachment-list')).not.toContainText('WANG');
    // The letter names the patient on page 2: it waits until she says why it may go as it is.
    const document = page.getByTestId('attachment');
    await expect(document.getByTestId('attachment-check')).toContainText('第 2 页发现患者姓名');
    await expect(document.getByTestId('attachment-release')).toBeDisabled();
    await document.getByTestId('attachment-reason').fill('阅片中心需要申请单原件');
    await document.getByTestId('attachment-release').click();
    await expect(document).toHaveAttribute('data-review', 'released');

    // The viewer, as the sending hospital sees it.
    await page.getByTestId('open-viewer').click();
    const viewport = page.getByTestId('viewport').first();
    await expect(viewport).toHaveAttribute('data-loading', 'false', { timeout: 60_000 });
    await expect(viewport.getByTestId('overlay-study-date')).toHaveText(REAL_DATE);
    await logout(page);

    // The reading centre sees a shifted date, and signs (through the API: the report UI has its own test).
    const specialist = await demoToken(base, 'specialist@scc.demo');
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(new URL(path, base), {
        method,
        headers: { Authorization: `Bearer ${specialist}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(response.ok, `${method} ${path}: ${response.status}`).toBe(true);
      return response.json() as Promise<any>;
    };
    const seen = (await call('GET', `/api/consults/${consultId}`)).consult;
    expect(seen.studies[0].studyDate).not.toBe(REAL_DATE);
    expect(JSON.stringify(seen)).not.toContain('XIAOMING');
    expect(seen.clinicalHistory).toContain('晨起加重');
    expect(seen.attachments).toHaveLength(1);
    await call('POST', `/api/consults/${consultId}/report`, { templateId: 'general', language: 'zh-CN' });
    await call('PUT', `/api/consults/${consultId}/report`, {
      version: 1,
      changes: { values: { technique: { 'zh-CN': '头颅 MR 平扫。' }, findings: { 'zh-CN': '脑实质未见异常信号。' }, impression: { 'zh-CN': '头颅 MR 平扫未见异常。' } } },
    });
    await call('POST', `/api/consults/${consultId}/report/sign`, { version: 2, kind: 'final' });

    // The report comes back to the radiographer, with the real date and name.
    await login(page, 'rad@xuhui.demo', 'zh-CN');
    await page.goto(`/consults/${consultId}`);
    const report = page.getByTestId('sender-report');
    await expect(report.getByTestId('report-patient')).toContainText('WANG XIAOMING', { timeout: 30_000 });
    await expect(report).toContainText(REAL_DATE);
    await expect(page.getByTestId('consult-studies')).toContainText(REAL_DATE);
    await page.screenshot({ path: test.info().outputPath('report-returned-zh-CN.png'), fullPage: true });
    expect(problems.filter((p) => !/net::ERR_INTERNET_DISCONNECTED|Failed to fetch|NetworkError/.test(p))).toEqual([]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
