import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { zipSync } from 'fflate';

import { demoToken, readSample, rewriteInstances, samplesDir } from '@yunzhen/server/testing';

import { expect, login, logout, test, watchPageErrors } from './fixtures.js';

let folder: string;
test.beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'yunzhen-upload-'));
  const mr = join(folder, 'export', 'MR');
  mkdirSync(mr, { recursive: true });
  for (let i = 1; i <= 16; i++) copyFileSync(join(samplesDir, 'studies/mr-16slice', `MR${String(i).padStart(2, '0')}.dcm`), join(mr, `IM${i}`));
  copyFileSync(join(samplesDir, 'modalities/US-RGB-8-esopecho'), join(folder, 'export', 'US1'));
  writeFileSync(join(folder, 'export', 'readme.txt'), 'exported from the PACS');
});
test.afterAll(() => rmSync(folder, { recursive: true, force: true }));

test('a radiographer uploads a folder and creates a consult; the centre sees pseudonyms, the referring doctor the real name', async ({ page }) => {
  await login(page, 'rad@xuhui.demo');
  await page.getByTestId('go-upload').click();
  await page.getByTestId('folder-input').setInputFiles(join(folder, 'export'));

  // The pre-scan summary, before anything is sent.
  await expect(page.getByTestId('summary-instances')).toHaveText('17');
  await expect(page.getByTestId('summary-patients')).toHaveText('2');
  await expect(page.getByTestId('summary-modalities')).toHaveText('MR, US');
  await expect(page.getByTestId('summary-pixel-review')).toContainText('(1)');
  await expect(page.getByTestId('summary-invalid')).toContainText('readme.txt');

  await page.getByTestId('start-upload').click();
  await expect(page.getByTestId('upload-done')).toContainText('17', { timeout: 30_000 });
  await expect(page.getByTestId('total-progress')).toHaveAttribute('aria-valuenow', '100');
  await expect(page.locator('[data-testid=file-results] tr[data-state=stored]')).toHaveCount(17);

  // The ultrasound image is held back until reviewed; its preview renders.
  const held = page.getByTestId('review-item');
  await expect(held).toHaveCount(1);
  await expect(held.locator('img')).toHaveJSProperty('complete', true);
  expect(await held.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await held.getByTestId('review-release').click();
  await expect(page.getByTestId('review-none')).toBeVisible();

  // Two patients in one folder: the form offers each apart, checks neither, and lets only one be chosen.
  const form = page.getByTestId('consult-form');
  await expect(form.getByTestId('consult-one-patient')).toBeVisible();
  const patients = form.getByTestId('consult-patient');
  await expect(patients).toHaveCount(2);
  await expect(form.getByTestId('consult-study').and(page.locator(':checked'))).toHaveCount(0);
  const doe = patients.filter({ hasText: 'DOE J1' });
  const other = patients.filter({ hasNotText: 'DOE J1' });
  await doe.getByTestId('consult-study').check();
  await expect(other.getByTestId('consult-study')).toBeDisabled();
  await page.screenshot({ path: test.info().outputPath('consult-form-two-patients.png'), fullPage: true });
  await form.locator('textarea[name=question]').fill('Brain lesion? Please compare with the prior study.');
  await form.locator('select[name=priority]').selectOption('urgent');
  await page.getByTestId('create-consult').click();
  await expect(page.getByTestId('consult-page')).toBeVisible();
  await expect(page.getByTestId('consult-studies')).toContainText('DOE J1');

  await logout(page);
  await login(page, 'specialist@scc.demo');
  const row = page.getByTestId('consult-row').filter({ hasText: 'Xuhui District Hospital (demo)' }).first();
  await expect(row).toContainText(/ANONYMOUS YZ/);
  await expect(page.getByTestId('consult-list')).not.toContainText('DOE');
  await row.getByTestId('consult-link').click();
  await expect(page.getByTestId('consult-studies')).toContainText('ANONYMOUS YZ');
  await expect(page.getByTestId('consult-studies')).not.toContainText('DOE');

  await logout(page);
  await login(page, 'doctor@xuhui.demo');
  await expect(page.getByTestId('consult-list')).toContainText('DOE J1');
});

test('the upload page resumes: files already stored are skipped', async ({ page }) => {
  await login(page, 'rad@xuhui.demo');
  await page.goto('/upload');
  await page.getByTestId('folder-input').setInputFiles(join(folder, 'export', 'MR'));
  await expect(page.getByTestId('summary-instances')).toHaveText('16');
  await page.getByTestId('start-upload').click();
  await expect(page.locator('[data-testid=file-results] tr[data-state=skipped]')).toHaveCount(16, { timeout: 30_000 });
  // Its study is in a consult already: nothing to offer, and a way to that consult.
  await expect(page.getByTestId('consult-nothing-offered')).toBeVisible();
  await expect(page.getByTestId('consult-already-sent').locator('a')).toHaveAttribute('href', /^\/consults\/[0-9a-f-]{36}$/);
});

for (const language of ['zh-CN', 'en'] as const) {
  test(`re-choosing a sent folder offers only that folder's unsent patient, never the inbox (${language})`, async ({ page }) => {
    await login(page, 'rad@xuhui.demo', language);
    await page.goto('/upload');
    // The whole folder again: the MR patient is in a consult, the ultrasound patient is not.
    await page.getByTestId('folder-input').setInputFiles(join(folder, 'export'));
    await expect(page.getByTestId('summary-instances')).toHaveText('17');
    await page.getByTestId('start-upload').click();
    await expect(page.locator('[data-testid=file-results] tr[data-state=skipped]')).toHaveCount(17, { timeout: 30_000 });
    const form = page.getByTestId('consult-form');
    await expect(form.getByTestId('consult-patient')).toHaveCount(1);
    await expect(form.getByTestId('consult-patient')).not.toContainText('DOE');
    await expect(form.getByTestId('consult-study')).toHaveCount(1);
    await expect(form.getByTestId('consult-study')).toBeChecked();
    await expect(form.getByTestId('consult-one-patient')).toHaveCount(0);
    await expect(form.getByTestId('consult-already-sent')).toBeVisible();
    await page.screenshot({ path: test.info().outputPath(`consult-form-resent-${language}.png`), fullPage: true });
  });
}

test('a zip goes up in parts of a resumable upload, one part sent again after a cut connection', async ({ browser }) => {
  // Its own page: the cut part makes the browser log a network error, which the shared page would count.
  const page = await browser.newPage({ baseURL: process.env.YUNZHEN_URL });
  const dir = mkdtempSync(join(tmpdir(), 'yunzhen-zip-'));
  try {
    const slices = rewriteInstances(
      [1, 2, 3, 4].map((i) => readSample(`studies/mr-16slice/MR0${i}.dcm`)),
      { freshUids: true },
    );
    const archive = join(dir, 'exam.zip');
    // Stored, not deflated: the archive is as large as its slices, several 64 KiB parts (UPLOAD_PART_BYTES in global-setup.ts).
    writeFileSync(archive, zipSync(Object.fromEntries(slices.map((bytes, i) => [`MR/IM${i + 1}`, bytes] as const)), { level: 0 }));
    const partCount = Math.ceil(statSync(archive).size / (64 * 1024));
    expect(partCount).toBeGreaterThanOrEqual(4);
    const parts: string[] = [];
    const stow: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PUT' && /\/api\/uploads\/sessions\/[0-9a-f-]{36}\/parts\/\d+$/.test(request.url())) parts.push(new URL(request.url()).pathname);
      if (request.method() === 'POST' && request.url().endsWith('/dicomweb/studies')) stow.push(request.url());
    });
    // The second part's first attempt loses its connection; the page sends it again.
    let cut = false;
    await page.route('**/api/uploads/sessions/*/parts/1', async (route) => {
      if (cut) return route.continue();
      cut = true;
      await route.abort('connectionreset');
    });
    await login(page, 'rad@xuhui.demo');
    await page.goto('/upload');
    await page.getByTestId('file-input').setInputFiles(archive);
    await expect(page.getByTestId('summary-instances')).toHaveText('4');
    await page.getByTestId('start-upload').click();
    await expect(page.locator('[data-testid=file-results] tr[data-state=stored]')).toHaveCount(4, { timeout: 60_000 });
    await expect(page.getByTestId('total-progress')).toHaveAttribute('aria-valuenow', '100');
    expect(cut).toBe(true);
    // Every part once, the cut one twice; no entry went by STOW-RS.
    expect(new Set(parts).size).toBe(partCount);
    expect(parts.filter((p) => p.endsWith('/parts/1'))).toHaveLength(2);
    expect(stow).toEqual([]);
    // The stored study is offered for a consult, as after a folder upload.
    await expect(page.getByTestId('consult-form').getByTestId('consult-study')).toHaveCount(1);
  } finally {
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a zip whose upload was interrupted resumes from the parts the server has', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: process.env.YUNZHEN_URL });
  const dir = mkdtempSync(join(tmpdir(), 'yunzhen-zip-resume-'));
  try {
    const slices = rewriteInstances([5, 6, 7, 8].map((i) => readSample(`studies/mr-16slice/MR0${i}.dcm`)), { freshUids: true });
    const archive = join(dir, 'exam.zip');
    writeFileSync(archive, zipSync(Object.fromEntries(slices.map((bytes, i) => [`MR/IM${i + 1}`, bytes] as const)), { level: 0 }));
    const partCount = Math.ceil(statSync(archive).size / (64 * 1024));
    const partIndex = (url: string) => Number(/\/parts\/(\d+)$/.exec(url)?.[1] ?? -1);

    // The first page gets parts 0 and 1 through; the others lose their connection (and are retried) until the tab is closed.
    const first = await context.newPage();
    const acknowledged: number[] = [];
    first.on('response', (response) => {
      if (response.request().method() === 'PUT' && response.status() === 200) acknowledged.push(partIndex(response.url()));
    });
    let cut = 0;
    await first.route('**/api/uploads/sessions/*/parts/*', (route) => (partIndex(route.request().url()) < 2 ? route.continue() : (cut++, route.abort('connectionreset'))));
    await login(first, 'rad@xuhui.demo');
    await first.goto('/upload');
    await first.getByTestId('file-input').setInputFiles(archive);
    await expect(first.getByTestId('summary-instances')).toHaveText('4');
    await first.getByTestId('start-upload').click();
    await expect.poll(() => `${acknowledged.sort().join(',')} ${cut >= 3}`, { timeout: 30_000 }).toBe('0,1 true');
    await first.close({ runBeforeUnload: false });

    // Back in the same browser: the same zip sends only the parts the server lacks.
    const second = await context.newPage();
    const sent: number[] = [];
    second.on('request', (request) => {
      if (request.method() === 'PUT' && request.url().includes('/parts/')) sent.push(partIndex(request.url()));
    });
    await second.goto('/upload');
    await second.getByTestId('file-input').setInputFiles(archive);
    await expect(second.getByTestId('summary-instances')).toHaveText('4');
    await second.getByTestId('start-upload').click();
    await expect(second.locator('[data-testid=file-results] tr[data-state=stored]')).toHaveCount(4, { timeout: 60_000 });
    expect(sent.sort((a, b) => a - b)).toEqual(Array.from({ length: partCount - 2 }, (_, i) => i + 2));
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the API refuses a consult of two patients: the form is not the only guard', async () => {
  const base = process.env.YUNZHEN_URL!;
  const token = await demoToken(base, 'rad@xuhui.demo');
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const { studies } = (await (await fetch(`${base}api/studies`, { headers })).json()) as { studies: { id: string; patient: { pseudonymId: string } }[] };
  const onePerPatient = [...new Map(studies.map((s) => [s.patient.pseudonymId, s.id])).values()];
  expect(onePerPatient.length).toBeGreaterThanOrEqual(2);
  const { readingCentres } = (await (await fetch(`${base}api/me`, { headers })).json()) as { readingCentres: { id: string }[] };
  const response = await fetch(`${base}api/consults`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ readingCentreId: readingCentres[0]!.id, studyIds: onePerPatient.slice(0, 2), clinicalQuestion: 'x', priority: 'routine' }),
  });
  expect(response.status).toBe(422);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ConsultSpansPatients');
});

test('a consult of an upload with refused files needs a deliberate yes, in the user’s language', async ({ browser }) => {
  // Its own page: the refusal below is a 409 the browser logs, which the shared page would count as an error.
  const page = await browser.newPage({ baseURL: process.env.YUNZHEN_URL });
  const problems = watchPageErrors(page);
  const dir = mkdtempSync(join(tmpdir(), 'yunzhen-partial-'));
  try {
    const slices = rewriteInstances([readSample('studies/mr-16slice/MR01.dcm'), readSample('studies/mr-16slice/MR02.dcm')], { freshUids: true });
    slices.forEach((bytes, i) => writeFileSync(join(dir, `IM${i + 1}`), bytes));
    // The second STOW-RS request is refused, as the server refuses an instance it cannot keep.
    let sent = 0;
    await page.route('**/dicomweb/studies', async (route) => {
      if (route.request().method() !== 'POST' || ++sent !== 2) return route.continue();
      await route.fulfill({
        status: 409,
        contentType: 'application/dicom+json',
        body: JSON.stringify({ '00081198': { vr: 'SQ', Value: [{ '00081197': { vr: 'US', Value: [0x0111] }, '00091001': { vr: 'LO', Value: ['InstanceConflict'] } }] } }),
      });
    });
    await login(page, 'rad@xuhui.demo', 'zh-CN');
    await page.goto('/upload');
    await page.getByTestId('folder-input').setInputFiles(dir);
    await page.getByTestId('start-upload').click();
    await expect(page.locator('[data-testid=file-problems] tr[data-state=rejected]')).toHaveCount(1, { timeout: 30_000 });
    const form = page.getByTestId('consult-form');
    await expect(form.getByTestId('consult-missing-files')).toContainText('1 个文件未能保存');
    await form.locator('textarea[name=question]').fill('MR brain');
    await expect(page.getByTestId('create-consult')).toBeDisabled();
    await form.getByTestId('consult-send-incomplete').check();
    await expect(page.getByTestId('create-consult')).toBeEnabled();
    await page.screenshot({ path: test.info().outputPath('consult-form-missing-files-zh-CN.png'), fullPage: true });
    expect(problems.filter((p) => !p.includes('409'))).toEqual([]);
  } finally {
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('from the inbox: review a held image, release it and send a consult without uploading again', async ({ browser }) => {
  // Its own page: the colleague's consult makes the browser log a 409, which the shared page would count as an error.
  const page = await browser.newPage({ baseURL: process.env.YUNZHEN_URL });
  const problems = watchPageErrors(page);
  // Sent earlier (as the command line does), held for pixel review.
  const base = process.env.YUNZHEN_URL!;
  const name = `INBOX^PATIENT${Date.now()}`;
  const patientId = `INBOX-${Date.now()}`;
  const [us] = rewriteInstances([readSample('modalities/US-RGB-8-esopecho')], { freshUids: true, replace: { 0x00100010: name, 0x00100020: patientId } });
  const token = await demoToken(base, 'rad@xuhui.demo');
  const boundary = 'inbox-test';
  const body = new Blob([`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, us!, `\r\n--${boundary}--\r\n`] as BlobPart[]);
  const stored = await fetch(`${base}dicomweb/studies`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` }, body });
  expect(stored.status).toBe(200);
  const { studies } = (await (await fetch(`${base}api/studies?inbox=true`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { studies: { id: string; identity: { name: string } }[] };
  const study = studies.find((s) => s.identity.name === name)!;

  await login(page, 'rad@xuhui.demo', 'zh-CN');
  // From the study's row in the inbox: review its held images, then release them.
  const row = page.locator(`[data-testid=inbox] tr[data-study="${study.id}"]`);
  await expect(row).toContainText(name.replace('^', ' '));
  await row.getByTestId('inbox-review').click();
  const held = page.locator(`[data-testid=review-item][data-study="${study.id}"]`);
  await expect(held).toContainText(name.replace('^', ' '));
  await expect(held).toContainText('超声');
  await held.getByTestId('review-release').click();
  await expect(held).toHaveCount(0);

  // "Create consult" on the row chooses that study in the form.
  await row.getByTestId('inbox-create-consult').click();
  const form = page.getByTestId('consult-form');
  const patient = form.getByTestId('consult-patient').filter({ hasText: name.replace('^', ' ') });
  await expect(patient.getByTestId('consult-study')).toBeChecked();
  await form.locator('textarea[name=question]').fill('Echo: please read');
  await page.screenshot({ path: test.info().outputPath('inbox-consult-zh-CN.png'), fullPage: true });

  // A colleague sent the study a moment ago: the server's refusal is shown in Chinese, not as a code.
  const centreId = ((await (await fetch(`${base}api/me`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { readingCentres: { id: string }[] }).readingCentres[0]!.id;
  const colleague = await fetch(`${base}api/consults`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ readingCentreId: centreId, studyIds: [study.id], clinicalQuestion: 'sent by a colleague', priority: 'routine' }),
  });
  expect(colleague.status).toBe(201);
  await page.getByTestId('create-consult').click();
  await expect(page.getByTestId('consult-error')).toContainText('所选检查已在一个进行中的会诊里');
  await expect(page.getByTestId('consult-error')).not.toContainText('StudyInConsult');
  await page.screenshot({ path: test.info().outputPath('server-error-zh-CN.png'), fullPage: true });

  // A later study of the same patient goes into that open consult from the inbox.
  const [later] = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00100010: name, 0x00100020: patientId } });
  const laterBody = new Blob([`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, later!, `\r\n--${boundary}--\r\n`] as BlobPart[]);
  expect((await fetch(`${base}dicomweb/studies`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` }, body: laterBody })).status).toBe(200);
  await page.reload();
  const laterRow = page.locator('[data-testid=inbox] tr').filter({ hasText: name.replace('^', ' ') });
  await expect(laterRow).toHaveCount(1);
  await laterRow.getByTestId('inbox-add-to-consult').click();
  await expect(page.getByTestId('consult-page')).toBeVisible();
  await expect(page.getByTestId('consult-studies').locator('tbody tr')).toHaveCount(2);
  expect(problems.filter((p) => !p.includes('409'))).toEqual([]);
  await page.close();
});
