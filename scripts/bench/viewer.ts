/**
 * `pnpm bench:viewer`: the reading page in headless Chromium against a fresh server on loopback,
 * with a 300-slice 512×512 CT consult (generated in memory, sent with STOW-RS). Measures, from
 * the click on the consult in the specialist's worklist: the first image on screen and every
 * slice fetched and decoded into the cache; then the scroll rate (slices shown per second while
 * the wheel turns one slice per animation frame); and the first image when the reading page is
 * opened by its address (a whole page load). The viewer is built first if its sources changed.
 *
 * Four rounds on one server. In the first the server's object cache is empty, so every frame is
 * read from the object store (cache: cold); in the next three the instances are in the server's
 * memory (warm), and the figure is their median. Every round loads the page afresh, so the
 * viewer's own slice cache starts empty each time; the browser's HTTP cache keeps the viewer's
 * code (immutable assets) from the first page load on. Scrolling reads slices from the viewer's
 * memory (source: browser-memory).
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
  const runs: { firstImageMs: number; directLinkMs: number; allCachedMs: number | undefined; slicesPerSecond: number; framesPerSecond: number }[] = [];
  for (let run = 0; run < 4; run++) {
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
  const [cold, ...warm] = runs;
  const set = { bench: 'viewer', set: 'ct-300x512' };
  const reportClick = (cache: 'cold' | 'warm', source: string, rounds: typeof runs) => {
    const line = {
      ...set,
      measure: 'worklist-click',
      cache,
      source,
      rounds: rounds.length,
      first_image_ms: round(median(rounds.map((r) => r.firstImageMs)), 0),
      all_slices_cached_ms: round(median(rounds.map((r) => r.allCachedMs ?? Number.NaN)), 0),
    };
    report(line, `viewer ${cache} (${source}, median of ${rounds.length}): first image ${line.first_image_ms} ms after the click on the worklist, all ${SLICES} slices cached in ${round(line.all_slices_cached_ms / 1000, 1)} s`);
  };
  reportClick('cold', 'object-store', [cold!]);
  reportClick('warm', 'server-memory', warm);
  // Opened by address after the slices were read: the server's cache is warm in every round.
  const direct = round(median(runs.map((r) => r.directLinkMs)), 0);
  report({ ...set, measure: 'direct-link', cache: 'warm', source: 'server-memory', rounds: runs.length, first_image_ms: direct }, `viewer warm, opened by address (median of ${runs.length}): first image ${direct} ms`);
  const scroll = { slices_per_s: round(median(runs.map((r) => r.slicesPerSecond))), frames_per_s: round(median(runs.map((r) => r.framesPerSecond))) };
  report({ ...set, measure: 'scroll', cache: 'warm', source: 'browser-memory', rounds: runs.length, ...scroll }, `viewer scrolling through cached slices (median of ${runs.length}): ${scroll.slices_per_s} slices/s at ${scroll.frames_per_s} frames/s`);
} finally {
  await browser.close();
  await server.stop();
}
