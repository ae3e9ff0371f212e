/**
 * `pnpm bench:viewer`: the reading page in headless Chromium against a fresh server on loopback,
 * with a 300-slice 512×512 CT consult (generated in memory, sent with STOW-RS). Measures, from
 * the click on the consult in the specialist's worklist: the first image on screen and every
 * slice fetched and decoded into the cache; then the scroll rate (slices shown per second while
 * the wheel turns one slice per animation frame); and the first image when the reading page is
 * opened by its address (a whole page load). The viewer is built first if its sources changed.
 */
import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';
import { DEMO_PASSWORD, seedConsult, spawnServer } from '@yunzhen/server/testing';
import { chromium } from 'playwright-core';

import { buildViewerIfStale } from '../lib.js';
import { report, round } from './harness.js';

await buildViewerIfStale();
const SLICES = 300;
const server = await spawnServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});
try {
  const consult = await seedConsult(server.url, buildCtSeries({ slices: SLICES, rows: 512, columns: 512, seed: 21 }), { clinicalQuestion: 'bench: 300-slice CT', priority: 'stat' });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(server.url + '/');
  await page.locator('[data-language="en"]').click();
  await page.locator('input[name="email"]').fill('specialist@scc.demo');
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await page.locator('button[type="submit"]').click();
  await page.getByTestId('who').waitFor();

  const firstImage = () =>
    page.waitForFunction(() => {
      const viewport = document.querySelector('[data-testid=viewport]');
      return viewport?.getAttribute('data-loading') === 'false' && viewport.getAttribute('data-voi') !== '' ? performance.now() : false;
    }, null, { polling: 'raf', timeout: 60_000 });
  const runs = [];
  for (let run = 0; run < 3; run++) {
    // As a reader works: the worklist is open (a fresh page load), the reader picks the consult
    // a second later and clicks it.
    await page.goto(server.url + '/');
    const link = page.getByTestId('read-link').first();
    await link.waitFor();
    await page.waitForTimeout(1000);
    let frames = 0;
    let allFetched = 0;
    const onFinished = (request: { url(): string }) => {
      if (!/\/frames\/\d+$/.test(request.url())) return;
      frames++;
      if (frames === SLICES) allFetched = Date.now();
    };
    page.on('requestfinished', onFinished);
    const started = Date.now();
    const clickedAt = await link.evaluate((element: HTMLElement) => {
      const at = performance.now();
      element.click();
      return at;
    });
    const firstImageMs = ((await (await firstImage()).jsonValue()) as number) - clickedAt;
    while (frames < SLICES && Date.now() - started < 120_000) await page.waitForTimeout(50);
    const allCachedMs = allFetched ? allFetched - started : undefined;
    page.off('requestfinished', onFinished);
    // Scroll: one wheel notch per animation frame for 3 s over the cached stack.
    const scroll = await page.evaluate(async () => {
      const viewport = document.querySelector('[data-testid=viewport]')!;
      const element = viewport.querySelector('[data-testid=viewport-element]')!;
      const box = element.getBoundingClientRect();
      let shown = 0;
      let last = viewport.getAttribute('data-image-index');
      let direction = 1;
      const begin = performance.now();
      let ticks = 0;
      while (performance.now() - begin < 3000) {
        const index = Number(viewport.getAttribute('data-image-index'));
        if (index >= 295) direction = -1;
        if (index <= 5) direction = 1;
        element.dispatchEvent(new WheelEvent('wheel', { deltaY: 100 * direction, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2, bubbles: true, cancelable: true }));
        await new Promise((resolve) => requestAnimationFrame(resolve));
        ticks++;
        const now = viewport.getAttribute('data-image-index');
        if (now !== last) shown++;
        last = now;
      }
      const seconds = (performance.now() - begin) / 1000;
      return { slicesPerSecond: shown / seconds, framesPerSecond: ticks / seconds };
    });
    // The same consult opened by its address (a bookmark, a reload): a whole page load, timed
    // from the navigation.
    await page.goto(server.url + '/');
    await page.getByTestId('read-link').first().waitFor();
    await page.goto(`${server.url}/consults/${consult.id}/read`);
    const directLinkMs = (await (await firstImage()).jsonValue()) as number;
    runs.push({ firstImageMs, directLinkMs, allCachedMs, ...scroll });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const first = median(runs.map((r) => r.firstImageMs));
  const direct = median(runs.map((r) => r.directLinkMs));
  const cached = median(runs.map((r) => r.allCachedMs ?? Number.NaN));
  const slicesPerSecond = median(runs.map((r) => r.slicesPerSecond));
  const fps = median(runs.map((r) => r.framesPerSecond));
  report(
    {
      bench: 'viewer',
      set: 'ct-300x512',
      runs: runs.length,
      first_image_ms: round(first, 0),
      first_image_direct_link_ms: round(direct, 0),
      all_slices_cached_ms: round(cached, 0),
      scroll_slices_per_s: round(slicesPerSecond),
      scroll_frames_per_s: round(fps),
    },
    `viewer ct-300x512 (median of ${runs.length}): first image ${round(first, 0)} ms after the click on the worklist (${round(direct, 0)} ms by direct link), all ${SLICES} slices cached in ${round(cached / 1000, 1)} s, scrolling ${round(slicesPerSecond)} slices/s at ${round(fps)} frames/s`,
  );
} finally {
  await browser.close();
  await server.stop();
}
