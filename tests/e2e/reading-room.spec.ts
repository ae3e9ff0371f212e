import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DEMO_PASSWORD, demoToken, readSample, rewriteInstances, seedConsult } from '@yunzhen/server/testing';

import { expect, login, logout, test, watchPageErrors } from './fixtures.js';
import { canvasStats, clearSavedAnnotations, drag, openReaderToDraw } from './reading.js';
import type { Page, TestInfo } from '@playwright/test';

/**
 * The reading room as a radiologist uses it: the layout at the screen sizes reading stations
 * have, and the tools' answers on the modalities that used to show nothing useful.
 */
const baseUrl = () => process.env.YUNZHEN_URL!;
const ctSmall = () => rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true });
/** Four CT slices (a stack: the viewer opens the middle one). */
const ctStack = () => rewriteInstances(['17106', '17136', '17166', '17196'].map((n) => readSample(`studies/ct-4slice-with-seg/${n}`)), { freshUids: true });

async function attachScreenshot(page: Page, testInfo: TestInfo, name: string) {
  await testInfo.attach(name, { body: await page.screenshot(), contentType: 'image/png' });
}

for (const size of [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
]) {
  test(`at ${size.width}×${size.height} with the report open the image takes most of the height and keeps its size as ten measurements are added`, async ({ page }, testInfo) => {
    await page.setViewportSize(size);
    const consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `layout ${size.width} ${Date.now()}` });
    await login(page, 'specialist@scc.demo');
    const viewport = await openReaderToDraw(page, consult.id);
    const report = page.getByTestId('report-panel');
    await report.getByTestId('create-report').click();
    await expect(report.getByTestId('report-status')).toBeVisible();

    const element = viewport.getByTestId('viewport-element');
    const before = (await element.boundingBox())!;
    testInfo.annotations.push({ type: 'image height / window height', description: (before.height / size.height).toFixed(3) });
    expect(before.height / size.height, 'image height / viewport height').toBeGreaterThanOrEqual(0.6);
    // The report sits beside the image, not under the other panels.
    const reportBox = (await report.boundingBox())!;
    expect(reportBox.x).toBeGreaterThanOrEqual(before.x + before.width);
    expect(reportBox.y).toBeLessThan(before.y + before.height / 2);
    expect(reportBox.y + reportBox.height).toBeLessThanOrEqual(size.height + 0.5);
    // Every series thumbnail shows whole: square, and inside its panel.
    const thumbs = page.getByTestId('series-thumb');
    const panel = (await page.getByTestId('series-panel').boundingBox())!;
    for (let i = 0; i < (await thumbs.count()); i++) {
      const picture = (await thumbs.nth(i).locator('canvas, .thumb-failed').boundingBox())!;
      expect(picture.x).toBeGreaterThanOrEqual(panel.x);
      expect(picture.x + picture.width).toBeLessThanOrEqual(panel.x + panel.width + 0.5);
      expect(Math.abs(picture.width - picture.height)).toBeLessThan(1);
    }
    await attachScreenshot(page, testInfo, `reading-${size.width}x${size.height}-report-open.png`);

    await page.getByTestId('tool-Length').click();
    for (let i = 0; i < 10; i++) {
      const y = 0.1 + i * 0.08;
      await drag(page, viewport, [0.3, y], [0.6, y]);
      await expect(page.getByTestId('measurement')).toHaveCount(i + 1);
    }
    // The list scrolls inside its panel, beside the report.
    await expect(page.getByTestId('measurement').first()).toBeInViewport();
    const after = (await element.boundingBox())!;
    expect(after).toEqual(before);
    await attachScreenshot(page, testInfo, `reading-${size.width}x${size.height}-ten-measurements.png`);
  });
}

test('docked panels collapse to give the image the room, and stay collapsed for that reader after a reload', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  const consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `dock ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  const element = viewport.getByTestId('viewport-element');
  const open = (await element.boundingBox())!;
  await page.getByTestId('dock-close-report').click();
  await page.getByTestId('dock-close-series').click();
  await expect(page.getByTestId('report-panel')).toHaveCount(0);
  await expect(page.getByTestId('series-panel')).toHaveCount(0);
  await expect.poll(async () => (await element.boundingBox())!.width).toBeGreaterThan(open.width + 200);
  await attachScreenshot(page, testInfo, 'reading-panels-collapsed.png');
  await page.reload();
  await expect(page.getByTestId('dock-open-report')).toBeVisible();
  await expect(page.getByTestId('dock-open-series')).toBeVisible();
  await page.getByTestId('dock-open-report').click();
  await expect(page.getByTestId('report-panel')).toBeVisible();
});

test('docked sides resize by dragging their edge, the image keeps its height, and the widths stay for that reader after a reload', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  const consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `dock resize ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  const element = viewport.getByTestId('viewport-element');
  const side = page.getByTestId('dock-side');
  const series = page.getByTestId('dock-series');
  const before = { image: (await element.boundingBox())!, side: (await side.boundingBox())!.width, series: (await series.boundingBox())!.width };

  const dragHandle = async (testId: string, dx: number) => {
    const handle = (await page.getByTestId(testId).boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + dx, handle.y + handle.height / 2, { steps: 6 });
    await page.mouse.up();
  };
  await dragHandle('dock-resize-side', -100);
  await expect.poll(async () => (await side.boundingBox())!.width).toBeCloseTo(before.side + 100, -1);
  await dragHandle('dock-resize-series', 60);
  await expect.poll(async () => (await series.boundingBox())!.width).toBeCloseTo(before.series + 60, -1);
  // The image gives up the width, never its height.
  await expect.poll(async () => (await element.boundingBox())!.width).toBeCloseTo(before.image.width - 160, -1);
  const resized = (await element.boundingBox())!;
  expect(resized.height).toBeCloseTo(before.image.height, 0);
  expect(resized.height / 768).toBeGreaterThanOrEqual(0.6);
  await attachScreenshot(page, testInfo, 'reading-panels-resized.png');

  // A side never takes more than about a third of the window, however far it is dragged.
  await dragHandle('dock-resize-side', -900);
  await expect.poll(async () => (await side.boundingBox())!.width).toBeLessThanOrEqual(1366 * 0.35 + 1);

  await page.reload();
  await expect(viewport.getByTestId('overlay-bottom-left')).toBeVisible({ timeout: 20_000 });
  expect((await series.boundingBox())!.width).toBeCloseTo(before.series + 60, -1);
  expect((await side.boundingBox())!.width).toBeCloseTo(1366 * 0.35, -1);
});

test('a second reader sees the first reader’s exported measurement once, locked, and saves nothing of it as their own', async ({ page }) => {
  const consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `second reader ${Date.now()}` });
  const email = `second.${Date.now()}@scc.demo`;
  const admin = await demoToken(baseUrl(), 'admin@scc.demo');
  const created = await fetch(`${baseUrl()}api/users`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, displayName: 'Second Reader', role: 'specialist', licensed: true, password: DEMO_PASSWORD }),
  });
  expect(created.status).toBe(201);

  // The first reader measures and exports the measurement as a DICOM SR.
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  await page.getByTestId('tool-Length').click();
  await drag(page, viewport, [0.3, 0.5], [0.7, 0.5]);
  await expect(page.getByTestId('measurement')).toHaveCount(1);
  await page.getByTestId('export-sr').click();
  await expect(page.getByTestId('sr-status')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await logout(page);

  // The second reader: one measurement, the first reader's, not editable.
  await login(page, email);
  await openReaderToDraw(page, consult.id);
  await expect(page.getByTestId('sr-series')).toHaveCount(1);
  const shown = page.getByTestId('measurement');
  await expect(shown).toHaveCount(1);
  await expect(shown.getByTestId('measurement-delete')).toHaveCount(0);
  // Saving now stores no measurement of theirs.
  await page.keyboard.press('Control+s');
  const token = await demoToken(baseUrl(), email);
  const saved = (await (await fetch(`${baseUrl()}api/consults/${consult.id}/annotations`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { mine: { data: { annotations?: unknown[] } | null } | null };
  expect(saved.mine?.data?.annotations ?? []).toEqual([]);
  await expect(shown).toHaveCount(1);
});

test('the probe shows the Hounsfield value under the point, in the list and on the image', async ({ page }, testInfo) => {
  const consult = await seedConsult(baseUrl(), ctStack(), { clinicalQuestion: `probe ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  await page.getByTestId('tool-Probe').click();
  const box = (await viewport.getByTestId('viewport-element').boundingBox())!;
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
  const value = page.getByTestId('measurement').getByTestId('measurement-value');
  await expect(value).toHaveText(/^-?\d+(\.\d)? HU$/);
  // Cornerstone draws the same value beside the point.
  await expect(viewport.locator('svg text')).toContainText([/-?\d+ HU/]);
  await attachScreenshot(page, testInfo, 'probe.png');
});

const visible = (stats: { distinct: number; nonBlackFraction: number }) => stats.distinct > 8 && stats.nonBlackFraction > 0.02;

test('reset undoes flips and rotation', async ({ page }) => {
  const consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `reset ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  const view = viewport.getByTestId('overlay-bottom-right');
  await page.getByTestId('view-flip-h').click();
  await page.getByTestId('view-flip-v').click();
  await page.getByTestId('view-rotate').click();
  await expect(view).toContainText('⇋');
  await expect(view).toContainText('⇵');
  await page.getByTestId('view-reset').click();
  await expect(view).not.toContainText('⇋');
  await expect(view).not.toContainText('⇵');
  await expect(view).not.toContainText('↻');
});

// On a workstation without a GPU (as in these tests) stacks are drawn on a 2D canvas through a
// lookup table indexed by pixel value, which cannot show fractional values: a PET or a dose grid
// is drawn with WebGL instead, so it shows in its grey levels rather than in two, or black.
test('an RT Dose grid opens visible with a computed window, not black', async ({ page }, testInfo) => {
  const consult = await seedConsult(baseUrl(), rewriteInstances([readSample('rt/rtdose.dcm')], { freshUids: true }), { clinicalQuestion: `dose ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  await expect(viewport).toHaveAttribute('data-voi', /,/);
  await expect.poll(async () => (await canvasStats(page, viewport)).nonBlackFraction, { message: 'the dose grid is visible' }).toBeGreaterThan(0.1);
  await attachScreenshot(page, testInfo, 'rtdose-opened.png');
});

test('a PET slice opens with a computed window, not the file’s black one, and Auto never gives an empty window', async ({ page }, testInfo) => {
  const consult = await seedConsult(baseUrl(), rewriteInstances([readSample('modalities/PT_acrin_flt_breast_1.dcm')], { freshUids: true }), { clinicalQuestion: `pet ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  await expect(viewport).toHaveAttribute('data-voi', /,/);
  await expect(viewport.getByTestId('overlay-voi')).not.toHaveText('W 54282 L 30157');
  await expect.poll(async () => visible(await canvasStats(page, viewport)), { message: 'the PET slice is visible' }).toBe(true);
  await attachScreenshot(page, testInfo, 'pet-opened.png');
  await page.getByTestId('preset-auto').click();
  const [, width] = (await viewport.getAttribute('data-voi'))!.split(',').map(Number);
  expect(width).toBeGreaterThan(0);
  await expect(viewport.getByTestId('overlay-voi')).not.toHaveText('W 0 L 0');
  expect(visible(await canvasStats(page, viewport))).toBe(true);
  await attachScreenshot(page, testInfo, 'pet-auto.png');
});

test('an enhanced CT takes its pixel spacing from the functional groups', async ({ page }) => {
  const consult = await seedConsult(baseUrl(), rewriteInstances([readSample('modalities/eCT_Supplemental.dcm')], { freshUids: true }), { clinicalQuestion: `enhanced ct ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  await expect(viewport.getByTestId('overlay-bottom-right')).toContainText('%');
  await expect(viewport.getByTestId('overlay-bottom-right')).not.toContainText('spacing');
  await page.getByTestId('tool-Length').click();
  await drag(page, viewport, [0.3, 0.5], [0.7, 0.5]);
  await expect(page.getByTestId('measurement-value')).toHaveText(/ mm$/);
  await expect(page.getByTestId('measurement-uncalibrated')).toHaveCount(0);
});

/** The one instance of a WADO-RS multipart answer (PS3.18 8.6.1.2), as bytes. */
function singlePart(body: Buffer, contentType: string): Buffer {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)![1]!;
  const start = body.indexOf('\r\n\r\n', body.indexOf(`--${boundary}`)) + 4;
  const end = body.indexOf(`\r\n--${boundary}`, start);
  return body.subarray(start, end);
}

/** Runs one of the DICOM oracles (DCMTK, dicom3tools) on a file; a missing one fails the test with what to install. */
function oracle(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error(`${command} is not installed: apt-get install dcmtk dicom3tools`);
  return `${result.stdout}${result.stderr}`;
}

test('the measurement SR codes a plain angle as an angle, an arrow as a point with its text, and a rectangle with its minimum', async ({ page }) => {
  const consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `sr coding ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  const box = (await viewport.getByTestId('viewport-element').boundingBox())!;
  const at = (x: number, y: number) => [box.x + box.width * x, box.y + box.height * y] as const;

  await page.getByTestId('tool-Angle').click();
  // The angle tool takes its first side as a drag and its third point as a click.
  await page.mouse.move(...at(0.3, 0.3));
  await page.mouse.down();
  await page.mouse.move(...at(0.4, 0.4), { steps: 4 });
  await page.mouse.up();
  await page.mouse.move(...at(0.5, 0.3), { steps: 4 });
  // Cornerstone holds a mouse-down for its double-click window before it tells the tools.
  await page.waitForTimeout(600);
  await page.mouse.down();
  await page.waitForTimeout(100);
  await page.mouse.up();
  await page.waitForTimeout(600);
  await expect(page.locator('[data-testid=measurement][data-tool=Angle]').getByTestId('measurement-value')).toHaveText(/^\d+\.\d°$/);
  await expect(page.locator('[data-testid=measurement][data-tool=Angle]')).toHaveCount(1);

  await page.getByTestId('tool-RectangleROI').click();
  await drag(page, viewport, [0.4, 0.5], [0.6, 0.7]);
  await expect(page.locator('[data-testid=measurement][data-tool=RectangleROI]')).toHaveCount(1);

  await page.getByTestId('tool-ArrowAnnotate').click();
  await drag(page, viewport, [0.7, 0.2], [0.6, 0.3]);
  await page.getByTestId('text-dialog-input').fill('vertebra');
  await page.getByTestId('text-dialog-ok').click();
  await expect(page.locator('[data-testid=measurement][data-tool=ArrowAnnotate]')).toHaveCount(1);

  await page.getByTestId('export-sr').click();
  await expect(page.getByTestId('sr-status')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await page.goto('/');

  const token = await demoToken(baseUrl(), 'specialist@scc.demo');
  const auth = { Authorization: `Bearer ${token}` };
  const study = consult.studyInstanceUids[0]!;
  const series = (await (await fetch(`${baseUrl()}dicomweb/studies/${study}/series?Modality=SR`, { headers: auth })).json()) as Record<string, { Value?: string[] }>[];
  const srSeries = series[0]!['0020000E']!.Value![0]!;
  const response = await fetch(`${baseUrl()}dicomweb/studies/${study}/series/${srSeries}`, { headers: { ...auth, Accept: 'multipart/related; type="application/dicom"' } });
  expect(response.status).toBe(200);
  const file = join(mkdtempSync(join(tmpdir(), 'yunzhen-sr-')), 'measurements.dcm');
  writeFileSync(file, singlePart(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!));

  const tree = oracle('dsrdump', ['+Pl', '+Pc', file]);
  const group = (tool: string) => tree.split(/\n(?=.*CONTAINER:\(125007,DCM,"Measurement Group"\))/).find((part) => part.includes(`:${tool}"`)) ?? '';
  // Angle: "Angle" (SCT 1483009) in degrees, never "Cobb angle" (SCT 285285000).
  expect(group('Angle')).toMatch(/NUM:\(1483009,SCT,"Angle"\)="[\d.]+" \(deg,UCUM/);
  expect(tree).not.toContain('285285000');
  // Arrow: its text and a point on the image, no number.
  expect(group('ArrowAnnotate')).toContain('="vertebra"');
  expect(group('ArrowAnnotate')).toMatch(/contains SCOORD:\(111030,DCM,"Image Region"\)=\((POINT|POLYLINE),/);
  expect(group('ArrowAnnotate')).not.toContain('NUM:');
  // Rectangle: minimum beside maximum and mean.
  expect(group('RectangleROI')).toMatch(/NUM:\(255605001,SCT,"Minimum"\)/);
  expect(group('RectangleROI')).toMatch(/NUM:\(56851009,SCT,"Maximum"\)/);
  // The IOD holds: dciodvfy finds no error.
  expect(oracle('dciodvfy', [file]).split('\n').filter((line) => /^Error/.test(line))).toEqual([]);

  // Read back in a session with no saved annotations: the three come back from the SR, the arrow with its text.
  await clearSavedAnnotations(page, baseUrl(), consult.id, token);
  await openReaderToDraw(page, consult.id);
  const restored = page.locator('[data-testid=measurement][data-source=sr]');
  await expect(restored).toHaveCount(3);
  await expect(restored.and(page.locator('[data-tool=ArrowAnnotate]')).getByTestId('measurement-value')).toHaveText('vertebra');
  await expect(restored.and(page.locator('[data-tool=Angle]')).getByTestId('measurement-value')).toHaveText(/^\d+\.\d°$/);
});

test('the referring doctor finds a newly signed report first, marked new until acknowledged, with names as people write them', async ({ page }, testInfo) => {
  const chineseName = () =>
    rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00080005: 'ISO_IR 192', 0x00100010: 'Zhang^XiaoDong=张^小东=', 0x00100020: `ZXD-${Date.now()}` } });
  const reported = await seedConsult(baseUrl(), chineseName(), { clinicalQuestion: `landing signed ${Date.now()}` });
  const waiting = await seedConsult(baseUrl(), chineseName(), { clinicalQuestion: `landing waiting ${Date.now()}` });
  const specialist = await demoToken(baseUrl(), 'specialist@scc.demo');
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl()}${path}`, { method, headers: { Authorization: `Bearer ${specialist}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    expect(response.ok, `${method} ${path}: ${response.status}`).toBe(true);
    return response.json() as Promise<unknown>;
  };
  await call('POST', `api/consults/${reported.id}/report`, { templateId: 'general', language: 'en' });
  await call('PUT', `api/consults/${reported.id}/report`, { version: 1, changes: { values: { technique: { en: 'CT.' }, findings: { en: 'Normal.' }, impression: { en: 'No abnormality.' } } } });
  await call('POST', `api/consults/${reported.id}/report/sign`, { version: 2, kind: 'final' });

  await login(page, 'doctor@xuhui.demo');
  const rows = page.getByTestId('consult-row');
  const row = (id: string) => rows.filter({ has: page.locator(`a[href="/consults/${id}"]`) });
  await expect(row(reported.id).getByTestId('report-new')).toBeVisible();
  await expect(row(waiting.id).getByTestId('report-new')).toHaveCount(0);
  // Consults with a new report come before all others, however old.
  const marks = await rows.evaluateAll((all) => all.map((r) => r.querySelector('[data-testid=report-new]') !== null));
  expect(marks.indexOf(false) === -1 || marks.lastIndexOf(true) < marks.indexOf(false), `new reports first: ${marks.join(',')}`).toBe(true);
  await expect(row(reported.id)).toContainText('张小东 (Zhang XiaoDong)');
  await expect(page.getByTestId('consult-list')).not.toContainText('^');
  await attachScreenshot(page, testInfo, 'doctor-landing-new-report.png');

  await row(reported.id).getByTestId('consult-link').click();
  await page.getByTestId('acknowledge').click();
  await expect(page.getByTestId('acknowledged')).toBeVisible();
  await page.goto('/');
  await expect(row(reported.id)).toBeVisible();
  await expect(row(reported.id).getByTestId('report-new')).toHaveCount(0);
});

test('report details: a bilingual report’s labels follow the English UI, the sign error names what is missing, RECIST needs a target, the consult page shows Findings once and counts images only', async ({ browser }, testInfo) => {
  // Its own page: the refused signature is a 422 the browser logs, which this test expects.
  const page = await browser.newPage({ baseURL: baseUrl() });
  const problems = watchPageErrors(page);
  const consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `report details ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  await page.getByTestId('tool-Length').click();
  await drag(page, viewport, [0.3, 0.5], [0.7, 0.5]);
  await expect(page.getByTestId('measurement')).toHaveCount(1);
  const panel = page.getByTestId('report-panel');
  await panel.locator('select[name=template]').selectOption('lung-nodule');
  await panel.locator('select[name=report-language]').selectOption('both');
  await panel.getByTestId('create-report').click();
  await panel.getByTestId('insert-measurement').click();
  await panel.getByTestId('add-nodule').click();
  const nodule = panel.getByTestId('nodule');
  await expect(nodule.locator('select[name=nodule-type] option:checked')).toHaveText('Solid');
  await expect(panel.getByTestId('report-assessment')).toContainText('Lung-RADS');
  await expect(panel.getByTestId('report-assessment')).not.toContainText(/[\u4e00-\u9fff]/);

  // Signing an empty report names the fields, in the UI's words.
  await panel.getByTestId('sign-final').click();
  await expect(panel.getByTestId('sign-issue').filter({ hasText: /^Impression: missing$/ })).toHaveCount(1);
  await expect(panel.getByTestId('sign-issue').filter({ hasText: /^Technique: missing$/ })).toHaveCount(1);
  await attachScreenshot(page, testInfo, 'sign-issues-en.png');

  // A RECIST report without a target lesion is refused, saying so.
  const other = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `recist no target ${Date.now()}` });
  const token = await demoToken(baseUrl(), 'specialist@scc.demo');
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${baseUrl()}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  expect((await call('POST', `api/consults/${other.id}/report`, { templateId: 'recist', language: 'en' })).status).toBe(201);
  const filled = { technique: { en: 'CT.' }, findings: { en: 'Stable.' }, impression: { en: 'Stable disease.' } };
  const recist = { timepoint: 'baseline', targetLesions: [], nonTargetLesions: [], newLesions: [], priorSumsMm: [] };
  expect((await call('PUT', `api/consults/${other.id}/report`, { version: 1, changes: { values: filled, recist } })).status).toBe(200);
  const refused = await call('POST', `api/consults/${other.id}/report/sign`, { version: 2, kind: 'final' });
  expect(refused.status).toBe(422);
  expect(((await refused.json()) as { error: { issues: unknown[] } }).error.issues).toContainEqual({ path: 'recist.targetLesions', code: 'Required' });

  // A signed general report on the consult page: "Findings" once, and the report's SR not counted as an image.
  const third = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `findings once ${Date.now()}` });
  expect((await call('POST', `api/consults/${third.id}/report`, { templateId: 'general', language: 'en' })).status).toBe(201);
  const finding = { id: 'f1', text: { en: 'A 4 mm nodule in the right upper lobe.' }, measurementIds: [], keyImageIds: [] };
  expect((await call('PUT', `api/consults/${third.id}/report`, { version: 1, changes: { values: filled, findings: [finding] } })).status).toBe(200);
  expect((await call('POST', `api/consults/${third.id}/report/sign`, { version: 2, kind: 'final' })).status).toBe(200);
  await logout(page);
  await login(page, 'doctor@xuhui.demo');
  await page.goto(`/consults/${third.id}`);
  const report = page.getByTestId('sender-report');
  await expect(report).toContainText('A 4 mm nodule');
  await expect(report.locator('h4', { hasText: /^Findings$/ })).toHaveCount(1);
  const images = await page.getByTestId('consult-studies').locator('tbody tr td').nth(4).innerText();
  expect(images.trim()).toBe('1');
  await attachScreenshot(page, testInfo, 'consult-page-signed.png');
  expect(problems.filter((problem) => !/status of 422/.test(problem))).toEqual([]);
  await page.close();
});

test('the Chinese worklist writes dates the Chinese way and keeps each badge on one line', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `这是一个很长的临床问题，用来检查工作列表在中文界面下的徽章不会逐字换行 ${Date.now()}`, priority: 'urgent' });
  await login(page, 'specialist@scc.demo', 'zh-CN');
  const row = page.getByTestId('consult-row').first();
  await expect(row).toBeVisible();
  await expect(row.locator('td').filter({ hasText: /\d{4}年\d{1,2}月\d{1,2}日/ }).first()).toBeVisible();
  await expect(row).not.toContainText(/\b\d{1,2}\/\d{1,2}\/\d{4}\b/);
  for (const badge of await row.locator('.badge').all()) {
    const box = (await badge.boundingBox())!;
    expect(box.width, `badge "${await badge.innerText()}" on one line`).toBeGreaterThan(box.height);
  }
  await attachScreenshot(page, testInfo, 'worklist-zh-CN.png');
});
