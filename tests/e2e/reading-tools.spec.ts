import { buildCtSeries, buildStructureSet, randomUid, readSample, rewriteInstances, seedConsult } from '@yunzhen/server/testing';

import { expect, login, test } from './fixtures.js';
import { canvasStats, colourOf, openReader } from './reading.js';
import type { Page, TestInfo } from '@playwright/test';

/** The reading room's overlays and views beyond a single stack: SEG labelmaps and MPR. */
const baseUrl = () => process.env.YUNZHEN_URL!;
const sampleDir = 'studies/ct-4slice-with-seg';

/** The four CT slices and the SEG that segments three of them, under fresh UIDs (the SEG's references follow). */
const ctWithSeg = () => rewriteInstances([...['17106', '17136', '17166', '17196'].map((n) => readSample(`${sampleDir}/${n}`)), readSample(`${sampleDir}/seg_image_ct_binary.dcm`)], { freshUids: true });

async function attachScreenshot(page: Page, testInfo: TestInfo, name: string) {
  await testInfo.attach(name, { body: await page.screenshot(), contentType: 'image/png' });
}

test('a SEG in the study shows as a coloured labelmap over its CT, with a switch and an opacity per segment, and not as grey images', async ({ page }, testInfo) => {
  // The viewer switches to WebGL for the overlay, which a software rasterizer draws slowly.
  test.setTimeout(180_000);
  const consult = await seedConsult(baseUrl(), ctWithSeg(), { clinicalQuestion: `seg overlay ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReader(page, consult.id);
  // The SEG is not offered as a series of images of its own.
  await expect(page.getByTestId('series-thumb')).toHaveCount(1);
  const seg = page.getByTestId('seg-series');
  await expect(seg).not.toHaveAttribute('data-state', 'loading', { timeout: 30_000 });
  const state = await seg.getAttribute('data-state');
  expect(state, state === 'failed' ? ((await seg.getByRole('alert').getAttribute('title')) ?? '') : '').toBe('shown');
  const segment = seg.getByTestId('segment');
  await expect(segment).toHaveCount(1);
  await expect(segment).toContainText('first segment');

  // Find a slice the segment covers: the SEG has frames for three of the four slices.
  let shown = { fraction: 0, spread: 0 };
  for (let slice = 0; slice < 4 && shown.fraction < 0.1; slice++) {
    await viewport.getByTestId('scrollbar').fill(String(slice));
    await expect(viewport).toHaveAttribute('data-image-index', String(slice));
    await expect(viewport).toHaveAttribute('data-loading', 'false');
    await page.waitForTimeout(300);
    shown = await colourOf(page, viewport);
  }
  testInfo.annotations.push({ type: 'coloured fraction, segment shown', description: shown.fraction.toFixed(3) });
  // The CT slice is a 16×16 square in the middle of the viewport, and the segment covers most of it.
  expect(shown.fraction, 'coloured fraction of the viewport with the segment shown').toBeGreaterThan(0.1);
  await attachScreenshot(page, testInfo, 'seg-overlay-shown.png');

  await segment.getByTestId('segment-opacity').fill('100');
  await expect.poll(async () => (await colourOf(page, viewport)).spread).toBeGreaterThan(shown.spread + 20);
  await attachScreenshot(page, testInfo, 'seg-overlay-opaque.png');

  // Hidden, only the scrollbar is in colour.
  await segment.getByTestId('segment-visible').uncheck();
  await expect.poll(async () => (await colourOf(page, viewport)).fraction).toBeLessThan(0.01);
  await attachScreenshot(page, testInfo, 'seg-overlay-hidden.png');

  await segment.getByTestId('segment-visible').check();
  await expect.poll(async () => (await colourOf(page, viewport)).fraction).toBeGreaterThan(0.1);
});

test('an RT structure set outlines its ROI over the CT slices of its frame of reference, with a switch', async ({ page }, testInfo) => {
  const ct = rewriteInstances(buildCtSeries({ slices: 5, rows: 64, columns: 64, seed: Date.now() % 100_000 }), { freshUids: true });
  // The slices span x and y from -250 to -205.9 mm: a 20 mm square about their middle.
  const structures = buildStructureSet(ct, { name: 'GTV', color: [255, 0, 0], centre: [-228, -228], halfSizeMm: 10 });
  const consult = await seedConsult(baseUrl(), [...ct, structures], { clinicalQuestion: `rt struct ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReader(page, consult.id);
  // Listed with its ROI, not offered as a series of images.
  await expect(page.getByTestId('series-thumb')).toHaveCount(1);
  await expect(page.getByTestId('structure-set')).toContainText('GTV');
  const overlay = viewport.getByTestId('structure-overlay');
  await expect(overlay).toHaveAttribute('data-contours', '1');
  const outline = overlay.locator('polygon[data-roi="GTV"]');
  await expect(outline).toHaveAttribute('stroke', 'rgb(255,0,0)');
  // Projected onto the image: a square of 20 / 0.7 pixels' side, about the image's middle.
  const box = async () => {
    const [square, image] = await Promise.all([outline.boundingBox(), viewport.getByTestId('viewport-element').boundingBox()]);
    return { ratio: square!.width / square!.height, centreX: (square!.x + square!.width / 2 - image!.x) / image!.width, side: square!.width };
  };
  const first = await box();
  expect(first.ratio).toBeCloseTo(1, 1);
  expect(first.side).toBeGreaterThan(50);
  await attachScreenshot(page, testInfo, 'rtstruct-outline.png');
  // Every slice has its contour; zooming scales the outline with the image.
  await viewport.getByTestId('scrollbar').fill('0');
  await expect(viewport).toHaveAttribute('data-image-index', '0');
  await expect(overlay).toHaveAttribute('data-contours', '1');
  await page.getByTestId('structure-roi').uncheck();
  await expect(viewport.getByTestId('structure-overlay')).toHaveCount(0);
  await page.getByTestId('structure-roi').check();
  await expect(viewport.getByTestId('structure-overlay')).toHaveAttribute('data-contours', '1');
});

/** A 40-slice CT of 128×128 noise (1.25 mm apart): any plane through it shows many grey levels. */
const ctVolume = () => rewriteInstances(buildCtSeries({ slices: 40, rows: 128, columns: 128, seed: Date.now() % 100_000 }), { freshUids: true });

test('MPR opens on the CT from the toolbar: axial, sagittal and coronal each show pixels, with crosshairs', async ({ page }, testInfo) => {
  // WebGL on a software rasterizer: the volume loads and renders slowly on a busy machine.
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1366, height: 768 });
  const consult = await seedConsult(baseUrl(), ctVolume(), { clinicalQuestion: `mpr ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  await openReader(page, consult.id);
  await page.getByTestId('view-mpr').click();
  const mpr = page.getByTestId('mpr');
  await expect(mpr).toHaveAttribute('data-state', 'shown', { timeout: 60_000 });
  const planes = mpr.getByTestId('mpr-viewport');
  await expect(planes).toHaveCount(3);
  for (const plane of ['axial', 'sagittal', 'coronal']) {
    const viewport = mpr.locator(`[data-testid=mpr-viewport][data-plane=${plane}]`);
    // What the canvas shows, read back from the screen: noise in many grey levels, not a black or flat picture.
    await expect.poll(async () => (await canvasStats(page, viewport)).distinct, { timeout: 60_000, message: `${plane} grey levels` }).toBeGreaterThan(20);
    const stats = await canvasStats(page, viewport);
    testInfo.annotations.push({ type: `${plane}: non-black fraction`, description: stats.nonBlackFraction.toFixed(3) });
    expect(stats.nonBlackFraction, `${plane} non-black fraction`).toBeGreaterThan(0.05);
    // The crosshairs are drawn in colour over the grey image.
    await expect.poll(async () => (await colourOf(page, viewport)).fraction, { message: `${plane} crosshairs` }).toBeGreaterThan(0);
  }
  await attachScreenshot(page, testInfo, 'mpr-ct.png');

  // Back to the stack: the grid returns with the CT.
  await page.getByTestId('view-mpr').click();
  await expect(page.getByTestId('viewport-grid')).toBeVisible();
  await expect(page.getByTestId('viewport').first()).toHaveAttribute('data-loading', 'false', { timeout: 30_000 });
});

test('where the browser has no WebGL, MPR says so instead of opening, and the stack still shows', async ({ page }, testInfo) => {
  // As on a machine where WebGL is turned off: no canvas hands out a WebGL context.
  await page.addInitScript(() => {
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, type: string, ...rest: unknown[]) {
      if (/webgl/i.test(type)) return null;
      return (original as (...args: unknown[]) => RenderingContext | null).call(this, type, ...rest);
    } as typeof original;
  });
  const consult = await seedConsult(baseUrl(), ctVolume(), { clinicalQuestion: `mpr fallback ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReader(page, consult.id);
  expect((await canvasStats(page, viewport)).distinct).toBeGreaterThan(20);
  await page.getByTestId('view-mpr').click();
  await expect(page.getByTestId('mpr-unavailable')).toHaveAttribute('data-reason', 'noWebGL');
  await expect(page.getByTestId('mpr-unavailable')).toContainText('WebGL');
  await attachScreenshot(page, testInfo, 'mpr-no-webgl.png');
  await page.getByTestId('mpr-unavailable').getByRole('button').click();
  await expect(page.getByTestId('viewport-grid')).toBeVisible();
});

test('orientation letters at the image edges follow the patient through flips and rotations', async ({ page }, testInfo) => {
  const ct = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true });
  const consult = await seedConsult(baseUrl(), ct, { clinicalQuestion: `orientation ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  const viewport = await openReader(page, consult.id);
  const letters = async () =>
    Object.fromEntries(await Promise.all(['top', 'bottom', 'left', 'right'].map(async (edge) => [edge, await viewport.getByTestId(`orientation-${edge}`).textContent()])));
  // An axial slice seen from the feet (radiological convention): the patient's right on the screen's left.
  await expect.poll(letters).toEqual({ top: 'A', bottom: 'P', left: 'R', right: 'L' });
  await attachScreenshot(page, testInfo, 'orientation-axial.png');
  await page.getByTestId('view-flip-h').click();
  await expect.poll(letters).toEqual({ top: 'A', bottom: 'P', left: 'L', right: 'R' });
  await page.getByTestId('view-reset').click();
  await page.getByTestId('view-rotate').click();
  // Turned a quarter clockwise: what was on the left is now at the top.
  await expect.poll(letters).toEqual({ top: 'R', bottom: 'L', left: 'P', right: 'A' });
  await attachScreenshot(page, testInfo, 'orientation-rotated.png');
});

test('with two viewports, the active one’s slice shows as a reference line on a crossing series of the same frame of reference', async ({ page }, testInfo) => {
  const axial = rewriteInstances(buildCtSeries({ slices: 12, rows: 64, columns: 64, seed: Date.now() % 100_000 }), { freshUids: true });
  // The same frame of reference seen from the side: a sagittal series whose slices stand across the axial ones.
  const sagittalSeries = randomUid();
  const sagittal = axial.slice(0, 6).flatMap((slice, i) =>
    rewriteInstances([slice], {
      replace: {
        0x0020000e: sagittalSeries,
        0x00080018: randomUid(),
        0x00200011: '3',
        0x00200013: String(i + 1),
        0x00200037: '0\\1\\0\\0\\0\\-1',
        // Inside the axial slices' square (x and y from -250 to -205 mm) and across their levels (z -200 to -186 mm).
        0x00200032: `${-245 + i * 7}\\-250\\-185`,
      },
    }),
  );
  const consult = await seedConsult(baseUrl(), [...axial, ...sagittal], { clinicalQuestion: `reference lines ${Date.now()}` });
  await login(page, 'specialist@scc.demo');
  await openReader(page, consult.id);
  await page.getByTestId('layout-1x2').click();
  const viewports = page.getByTestId('viewport');
  await expect(viewports).toHaveCount(2);
  for (const index of [0, 1]) await expect(viewports.nth(index)).toHaveAttribute('data-image-id', /frames/, { timeout: 20_000 });
  await expect(viewports.nth(1)).toHaveAttribute('data-loading', 'false');
  // Lines that cross the image, where the reader sees them (Cornerstone draws the source viewport's whole extent, so a line may run past the image).
  const lines = (index: number) => viewports.nth(index).locator('svg line');
  const lineCrossesImage = async (index: number) => {
    const image = (await viewports.nth(index).getByTestId('viewport-element').boundingBox())!;
    const line = (await lines(index).first().boundingBox())!;
    return line.x < image.x + image.width && line.x + line.width > image.x && line.y < image.y + image.height && line.y + line.height > image.y;
  };
  // The active viewport draws no line on itself; the other one shows where its slice lies.
  await viewports.nth(0).click();
  await expect(lines(1)).not.toHaveCount(0);
  expect(await lineCrossesImage(1)).toBe(true);
  await expect(lines(0)).toHaveCount(0);
  await attachScreenshot(page, testInfo, 'reference-lines.png');
  await viewports.nth(1).click();
  await expect(lines(0)).not.toHaveCount(0);
  expect(await lineCrossesImage(0)).toBe(true);
  await expect(lines(1)).toHaveCount(0);
});
