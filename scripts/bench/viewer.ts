/**
 * `pnpm bench:viewer`: Yunzhen's reading page and OHIF Viewer 3.13.2, in headless Chromium,
 * opening the same 300-slice 512×512 CT consult (generated in memory, sent with STOW-RS) from
 * the same Yunzhen server on loopback. For each viewer, from the click that opens the study in
 * its list (Yunzhen: the consult's "Read" link in the specialist's worklist; OHIF: "Basic
 * Viewer" under the study in its study list):
 *
 * - first image: the first animation frame in which the viewport's canvas, read back in the page
 *   (drawn onto a 128×128 canvas and `getImageData`), holds a pixel that is not black. No DOM
 *   flag: what is timed is what a person would see.
 * - all slices: the last of the 300 distinct `/frames/N` requests finished (as Chromium reports
 *   them to Playwright).
 * - scroll: with every slice loaded, one wheel event per animation frame on the viewport's canvas
 *   for 3 s (90 down, 90 back up), counting the frames in which the canvas shows another image
 *   (each slice carries its number as a pattern of blocks, see `markSliceNumbers`).
 *
 * Cold and warm. A cold round is a freshly started server (its object cache empty), the study
 * uploaded and never opened before, and a new browser context (Chromium's HTTP cache empty): so
 * there are two servers per run, one whose first reader is Yunzhen's viewer and one whose first
 * reader is OHIF. On each server the other viewer then opens the study warm, and the first one
 * again warm (order: Yunzhen cold, OHIF warm, Yunzhen warm; then OHIF cold, Yunzhen warm, OHIF
 * warm). Every round, cold or warm, is a new browser context that signs in first (Yunzhen's own
 * sign-in; OHIF through Yunzhen's OpenID Connect provider), so each viewer's code is in the
 * HTTP cache and its list on screen when the click is made, and no image is.
 *
 * Prints a JSON line per figure and the ratios Yunzhen ÷ OHIF against the goals of issue 15:
 * cold first image ≤ 0.25×, all slices ≤ 0.33×, scroll ≥ 1.5×.
 */
import { buildCtSeries } from '@yunzhen/dicom/testing/synthetic';
import { DEMO_PASSWORD, seedConsult, spawnServer, type SpawnedServer } from '@yunzhen/server/testing';
import { chromium, type Browser, type Page } from 'playwright-core';

import { buildViewerIfStale } from '../lib.js';
import { median, report, round } from './harness.js';
import { OHIF_VERSION, ohifBenchConfig, ohifDist, serveOhif, serverEnvForOhif } from './ohif.js';

type Viewer = 'yunzhen' | 'ohif';
type Cache = 'cold' | 'warm';

/** 300 in the recorded runs; BENCH_VIEWER_SLICES makes a quick trial of the bench itself. */
const SLICES = Number(process.env.BENCH_VIEWER_SLICES ?? 300);
const VIEWPORT_CANVAS: Record<Viewer, string> = {
  yunzhen: '[data-testid="viewport-element"] canvas',
  ohif: '[data-cy="viewport-pane"] canvas',
};
/** A WADO-RS frame request (both viewers fetch one frame of one instance per request). */
const FRAME_REQUEST = /\/frames\/\d+(\?.*)?$/;

/**
 * The synthetic series has the same noise in every slice, so a viewer scrolling through it would
 * show the same picture over and over. This writes each slice's number into its bottom 64 rows
 * as a row of blocks, one per bit (white for 1, dark for 0), so consecutive slices always look
 * different on screen. Pixel Data is the last element of each file (uncompressed, 16 bits
 * stored in 12), so the marker is written over the file's last bytes.
 */
function markSliceNumbers(files: Uint8Array[], rows: number, columns: number): Uint8Array[] {
  const markerRows = 64;
  const bits = Math.max(1, Math.ceil(Math.log2(files.length + 1)));
  const blockWidth = Math.floor(columns / bits);
  return files.map((file, index) => {
    const pixelBytes = rows * columns * 2;
    const header = new DataView(file.buffer, file.byteOffset + file.length - pixelBytes - 12, 12);
    if (header.getUint16(0, true) !== 0x7fe0 || header.getUint16(2, true) !== 0x0010 || header.getUint32(8, true) !== pixelBytes) {
      throw new Error('the synthetic CT no longer ends with its uncompressed Pixel Data');
    }
    const marked = file.slice();
    const pixels = new DataView(marked.buffer, marked.length - pixelBytes, pixelBytes);
    for (let row = rows - markerRows; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        const bit = Math.min(bits - 1, Math.floor(column / blockWidth));
        pixels.setUint16((row * columns + column) * 2, (index + 1) & (1 << bit) ? 4095 : 0, true);
      }
    }
    return marked;
  });
}

interface Round {
  viewer: Viewer;
  cache: Cache;
  firstImageMs: number;
  allSlicesMs: number | undefined;
  slicesPerSecond: number;
  framesPerSecond: number;
}

/**
 * Runs in every document of a round's browser context, from its start: each animation frame it
 * reads the viewport's canvas back, until one holds a pixel that is not black, and keeps that
 * moment (ms since the epoch, so a navigation between click and image cannot shift it) in
 * `window.__firstNonBlackAt`.
 */
function watchForFirstNonBlackPixel(selector: string) {
  const target = window as unknown as { __firstNonBlackAt?: number };
  let sampler: CanvasRenderingContext2D | null = null;
  const tick = () => {
    const canvas = document.querySelector<HTMLCanvasElement>(selector);
    if (canvas && canvas.width > 0 && canvas.height > 0) {
      if (!sampler) {
        const scratch = document.createElement('canvas');
        scratch.width = scratch.height = 128;
        sampler = scratch.getContext('2d', { willReadFrequently: true });
      }
      if (sampler) {
        sampler.clearRect(0, 0, 128, 128);
        sampler.drawImage(canvas, 0, 0, 128, 128);
        const { data } = sampler.getImageData(0, 0, 128, 128);
        for (let i = 0; i < data.length; i += 4) {
          // Luma above 8 of 255: not black (a black canvas and an unpainted, transparent one read 0).
          if (0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]! > 8) {
            target.__firstNonBlackAt = performance.timeOrigin + performance.now();
            return;
          }
        }
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/**
 * One wheel event per animation frame on the viewport's canvas for 3 s, 90 down then 90 back up;
 * counts the frames after which the canvas (read back at 64×64) shows another image than the
 * frame before.
 */
function scrollOneSlicePerFrame(selector: string) {
  return (async () => {
    const canvas = document.querySelector<HTMLCanvasElement>(selector)!;
    const box = canvas.getBoundingClientRect();
    const scratch = document.createElement('canvas');
    scratch.width = scratch.height = 64;
    const sampler = scratch.getContext('2d', { willReadFrequently: true })!;
    /** The canvas read back at 64×64: a hash of its pixels, or null while it is black (a viewer may clear it between two images). */
    const fingerprint = () => {
      sampler.clearRect(0, 0, 64, 64);
      sampler.drawImage(canvas, 0, 0, 64, 64);
      const { data } = sampler.getImageData(0, 0, 64, 64);
      let hash = 0;
      let lit = false;
      for (let i = 0; i < data.length; i += 4) {
        if (0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]! > 8) lit = true;
        hash = (((hash * 31 + data[i]!) | 0) * 31 + data[i + 1]! + data[i + 2]! * 7) | 0;
      }
      return lit ? hash : null;
    };
    let last = fingerprint();
    let changed = 0;
    let frames = 0;
    const begin = performance.now();
    while (performance.now() - begin < 3000) {
      // Down (to the next slice) for 90 frames, then back up: both viewers open a stack at its first slice.
      const down = Math.floor(frames / 90) % 2 === 0;
      const wheel = new WheelEvent('wheel', { deltaY: down ? 100 : -100, deltaMode: 0, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2, bubbles: true, cancelable: true });
      // What Chromium also sets on a real wheel notch (the legacy wheelDelta, 120 a notch, the
      // other sign); Cornerstone's wheel normalisation in OHIF reads it first, and without it
      // takes a synthetic turn down for a turn up.
      Object.defineProperty(wheel, 'wheelDelta', { value: down ? -120 : 120 });
      Object.defineProperty(wheel, 'wheelDeltaY', { value: down ? -120 : 120 });
      canvas.dispatchEvent(wheel);
      await new Promise((resolve) => requestAnimationFrame(resolve));
      // Read back once the frame's own animation callbacks (where Cornerstone draws) have run.
      await new Promise((resolve) => setTimeout(resolve, 0));
      frames++;
      const now = fingerprint();
      if (now === null) continue;
      if (now !== last) changed++;
      last = now;
    }
    const seconds = (performance.now() - begin) / 1000;
    return { slicesPerSecond: changed / seconds, framesPerSecond: frames / seconds };
  })();
}

/** The specialist signs in to Yunzhen's viewer and has the worklist on screen; resolves to the consult's "Read" link. */
async function openYunzhenWorklist(page: Page, server: SpawnedServer) {
  await page.goto(server.url + '/');
  await page.locator('[data-language="en"]').click();
  await page.locator('input[name="email"]').fill('specialist@scc.demo');
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await page.locator('button[type="submit"]').click();
  await page.getByTestId('who').waitFor();
  const link = page.getByTestId('read-link').first();
  await link.waitFor();
  return link;
}

/** The specialist signs in to OHIF through Yunzhen's OpenID Connect provider and expands the study in OHIF's list; resolves to its "Basic Viewer" button. */
async function openOhifStudyList(page: Page, ohifUrl: string, server: SpawnedServer) {
  await page.goto(ohifUrl);
  await page.waitForURL((url) => url.href.startsWith(`${server.url}/oidc/interaction/`), { timeout: 60_000 });
  await page.locator('input[name="email"]').fill('specialist@scc.demo');
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.href.startsWith(ohifUrl), { timeout: 60_000 });
  // OHIF's investigational-use notice, then the study list (the study's patient is pseudonymised).
  await page.getByRole('button', { name: 'Confirm and hide' }).click({ timeout: 60_000 });
  await page.getByText(/ANONYMOUS/).first().click({ timeout: 60_000 });
  const button = page.getByRole('button', { name: 'Basic Viewer' });
  await button.waitFor({ timeout: 60_000 });
  return button;
}

async function measure(browser: Browser, viewer: Viewer, cache: Cache, server: SpawnedServer, ohifUrl: string): Promise<Round> {
  // A new context per round: Chromium's HTTP cache and storage start empty.
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  try {
    // tsx compiles this file keeping function names (`__name(fn, "name")`); the functions sent
    // into the page carry those calls, so the page needs the helper too.
    await context.addInitScript({ content: 'window.__name = (fn) => fn;' });
    await context.addInitScript(watchForFirstNonBlackPixel, VIEWPORT_CANVAS[viewer]);
    const page = await context.newPage();
    const frameFinishedAt = new Map<string, number>();
    page.on('requestfinished', (request) => {
      if (FRAME_REQUEST.test(request.url()) && !frameFinishedAt.has(request.url())) frameFinishedAt.set(request.url(), Date.now());
    });
    const opener = viewer === 'yunzhen' ? await openYunzhenWorklist(page, server) : await openOhifStudyList(page, ohifUrl, server);
    // As a reader works: the list is on screen, the reader picks the study a second later.
    await page.waitForTimeout(1000);
    const before = frameFinishedAt.size;
    const clickedAt = await opener.evaluate((element: HTMLElement) => {
      const at = performance.timeOrigin + performance.now();
      element.click();
      return at;
    });
    const firstNonBlackAt = (await (
      await page.waitForFunction(() => (window as unknown as { __firstNonBlackAt?: number }).__firstNonBlackAt, null, { polling: 100, timeout: 120_000 })
    ).jsonValue()) as number;
    for (const started = Date.now(); frameFinishedAt.size < SLICES && Date.now() - started < 180_000; ) await page.waitForTimeout(100);
    const allSlicesMs = frameFinishedAt.size >= SLICES ? Math.max(...frameFinishedAt.values()) - clickedAt : undefined;
    const scroll = await page.evaluate(scrollOneSlicePerFrame, VIEWPORT_CANVAS[viewer]);
    const result: Round = { viewer, cache, firstImageMs: firstNonBlackAt - clickedAt, allSlicesMs, ...scroll };
    process.stdout.write(
      `#   ${viewer} ${cache}: first non-black pixel ${Math.round(result.firstImageMs)} ms, ` +
        `${frameFinishedAt.size} frames fetched${before ? ` (${before} before the click)` : ''}` +
        `${allSlicesMs === undefined ? '' : `, all ${SLICES} after ${(allSlicesMs / 1000).toFixed(1)} s`}, ` +
        `scroll ${scroll.slicesPerSecond.toFixed(1)} slices/s at ${scroll.framesPerSecond.toFixed(1)} frames/s\n`,
    );
    return result;
  } finally {
    await context.close();
  }
}

await buildViewerIfStale();
const series = markSliceNumbers(buildCtSeries({ slices: SLICES, rows: 512, columns: 512, seed: 21 }), 512, 512);
let appConfig = '';
const ohif = await serveOhif(ohifDist(), () => appConfig);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});
const rounds: Round[] = [];
try {
  for (const coldViewer of ['yunzhen', 'ohif'] as const) {
    // A fresh server process for each cold round: its caches empty, the study uploaded and never opened.
    const server = await spawnServer({ env: serverEnvForOhif(ohif.url) });
    appConfig = ohifBenchConfig(server.url);
    try {
      await seedConsult(server.url, series, { clinicalQuestion: 'bench: 300-slice CT', priority: 'stat' });
      const warmViewer: Viewer = coldViewer === 'yunzhen' ? 'ohif' : 'yunzhen';
      rounds.push(await measure(browser, coldViewer, 'cold', server, ohif.url));
      rounds.push(await measure(browser, warmViewer, 'warm', server, ohif.url));
      rounds.push(await measure(browser, coldViewer, 'warm', server, ohif.url));
    } finally {
      await server.stop();
    }
  }
} finally {
  await browser.close();
  await ohif.close();
}

const set = { bench: 'viewer', set: `ct-${SLICES}x512`, method: 'canvas-readback' };
const of = (viewer: Viewer, cache?: Cache) => rounds.filter((r) => r.viewer === viewer && (!cache || r.cache === cache));
const allSlices = (selected: Round[]) => (selected.every((r) => r.allSlicesMs !== undefined) ? median(selected.map((r) => r.allSlicesMs!)) : Number.NaN);
const figures: Record<Viewer, Record<Cache, { first: number; all: number }> & { scroll: number; framesPerSecond: number }> = {} as never;
for (const viewer of ['yunzhen', 'ohif'] as const) {
  const name = viewer === 'yunzhen' ? 'Yunzhen' : `OHIF ${OHIF_VERSION}`;
  const byCache = {} as Record<Cache, { first: number; all: number }>;
  for (const cache of ['cold', 'warm'] as const) {
    const selected = of(viewer, cache);
    const line = {
      ...set,
      viewer,
      measure: 'open-from-list',
      cache,
      source: cache === 'cold' ? 'object-store' : 'server-memory',
      rounds: selected.length,
      first_image_ms: round(median(selected.map((r) => r.firstImageMs)), 0),
      all_slices_ms: round(allSlices(selected), 0),
    };
    byCache[cache] = { first: line.first_image_ms, all: line.all_slices_ms };
    report(
      line,
      `${name} ${cache} (${selected.length === 1 ? 'one round' : `median of ${selected.length}`}): first non-black pixel ${line.first_image_ms} ms after the click, ` +
        `all ${SLICES} slices ${Number.isFinite(line.all_slices_ms) ? `in ${round(line.all_slices_ms / 1000, 1)} s` : 'not loaded within 3 min'}`,
    );
  }
  const all = of(viewer);
  const scroll = { slices_per_s: round(median(all.map((r) => r.slicesPerSecond))), frames_per_s: round(median(all.map((r) => r.framesPerSecond))) };
  report({ ...set, viewer, measure: 'scroll', cache: 'warm', source: 'browser-memory', rounds: all.length, ...scroll }, `${name} scrolling, every slice loaded (median of ${all.length}): ${scroll.slices_per_s} slices/s at ${scroll.frames_per_s} frames/s`);
  figures[viewer] = { ...byCache, scroll: scroll.slices_per_s, framesPerSecond: scroll.frames_per_s };
}

const y = figures.yunzhen;
const o = figures.ohif;
/** Yunzhen ÷ OHIF; null when either is missing or OHIF's is 0 (no ratio to speak of). */
const ratio = (ours: number, theirs: number) => (Number.isFinite(ours) && Number.isFinite(theirs) && theirs > 0 ? round(ours / theirs, 2) : null);
const ratios = {
  cold_first_image: ratio(y.cold.first, o.cold.first),
  warm_first_image: ratio(y.warm.first, o.warm.first),
  cold_all_slices: ratio(y.cold.all, o.cold.all),
  warm_all_slices: ratio(y.warm.all, o.warm.all),
  scroll: ratio(y.scroll, o.scroll),
};
const goals = { cold_first_image_max: 0.25, all_slices_max: 0.33, scroll_min: 1.5 };
const atMost = (value: number | null, limit: number) => value !== null && value <= limit;
const met = {
  cold_first_image: atMost(ratios.cold_first_image, goals.cold_first_image_max),
  all_slices: atMost(ratios.cold_all_slices, goals.all_slices_max) && atMost(ratios.warm_all_slices, goals.all_slices_max),
  scroll: ratios.scroll !== null && ratios.scroll >= goals.scroll_min,
};
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
report(
  { ...set, measure: 'ratio-yunzhen-to-ohif', ohif_version: OHIF_VERSION, ...ratios, goals, goals_met: met },
  `Yunzhen ÷ OHIF ${OHIF_VERSION}: first image cold ${ratios.cold_first_image}× (goal ≤ ${goals.cold_first_image_max}×: ${verdict(met.cold_first_image)}), warm ${ratios.warm_first_image}×; ` +
    `all slices cold ${ratios.cold_all_slices}×, warm ${ratios.warm_all_slices}× (goal ≤ ${goals.all_slices_max}×: ${verdict(met.all_slices)}); ` +
    `scroll ${ratios.scroll}× (goal ≥ ${goals.scroll_min}×: ${verdict(met.scroll)})`,
);
