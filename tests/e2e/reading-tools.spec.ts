import { readSample, rewriteInstances, seedConsult } from '@yunzhen/server/testing';

import { expect, login, test } from './fixtures.js';
import { colourOf, openReader } from './reading.js';
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
