import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { buildCtSeries, DEMO_PASSWORD, demoToken, readSample, rewriteInstances, samplesDir, seedConsult, type SeededConsult } from '@yunzhen/server/testing';

import { expect, login, logout, test, watchPageErrors } from './fixtures.js';
import { canvasStats, clearSavedAnnotations, drag, openReader, openReaderToDraw } from './reading.js';
import { displayName } from '../../viewer/src/person-name.js';
import type { Locator, Page } from '@playwright/test';

const baseUrl = () => process.env.YUNZHEN_URL!;
/** The 16-slice MR as a new study each time (the samples are shared with other specs). */
const mrSlices = () => rewriteInstances(Array.from({ length: 16 }, (_, i) => readSample(`studies/mr-16slice/MR${String(i + 1).padStart(2, '0')}.dcm`)), { freshUids: true });
const ctSmall = () => rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true });

async function signIn(page: Page, email: string) {
  await login(page, email);
  await expect(page.getByTestId('who')).toBeVisible();
}

/**
 * Compares the viewport with the server's own rendering of the same instance and window
 * (WADO-RS /rendered): both are reduced to the image's pixel grid and correlated.
 */
async function compareWithRendered(page: Page, viewport: Locator) {
  const imageId = (await viewport.getAttribute('data-image-id'))!;
  const [center, width] = (await viewport.getAttribute('data-voi'))!.split(',').map(Number);
  const instanceUrl = new URL(imageId.replace(/^wadors:/, '').replace(/\/frames\/\d+$/, '')).pathname;
  const shot = (await viewport.locator('canvas').screenshot()).toString('base64');
  return page.evaluate(
    async ({ png, reference }) => {
      const load = async (src: string) => {
        const image = new Image();
        image.src = src;
        await image.decode();
        return image;
      };
      const ref = await load(URL.createObjectURL(await (await fetch(reference, { credentials: 'same-origin' })).blob()));
      const shown = await load(`data:image/png;base64,${png}`);
      // The viewport fits the image: a centred square for a square image.
      const side = Math.min(shown.width, shown.height);
      const grid = (source: CanvasImageSource, sx: number, sy: number, sw: number, sh: number) => {
        const canvas = document.createElement('canvas');
        canvas.width = ref.width;
        canvas.height = ref.height;
        const context = canvas.getContext('2d')!;
        context.imageSmoothingQuality = 'high';
        context.drawImage(source, sx, sy, sw, sh, 0, 0, ref.width, ref.height);
        const { data } = context.getImageData(0, 0, ref.width, ref.height);
        const grey: number[] = [];
        for (let i = 0; i < data.length; i += 4) grey.push((data[i]! + data[i + 1]! + data[i + 2]!) / 3);
        return grey;
      };
      const a = grid(shown, (shown.width - side) / 2, (shown.height - side) / 2, side, side);
      const b = grid(ref, 0, 0, ref.width, ref.height);
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      const ma = mean(a);
      const mb = mean(b);
      let cov = 0;
      let va = 0;
      let vb = 0;
      let diff = 0;
      for (let i = 0; i < a.length; i++) {
        cov += (a[i]! - ma) * (b[i]! - mb);
        va += (a[i]! - ma) ** 2;
        vb += (b[i]! - mb) ** 2;
        diff += Math.abs(a[i]! - b[i]!);
      }
      return { correlation: cov / Math.sqrt(va * vb), meanAbsDiff: diff / a.length };
    },
    { png: shot, reference: `${instanceUrl}/rendered?window=${center},${width}` },
  );
}

async function drawLength(page: Page, viewport: Locator, from: [number, number], to: [number, number]) {
  await page.getByTestId('tool-Length').click();
  await drag(page, viewport, from, to);
}

test.describe.serial('reading CT_small: render, measure, persist, SR round trip', () => {
  let consult: SeededConsult;
  const question = `Pulmonary nodule? viewer-${Date.now()}`;

  test.beforeAll(async () => {
    consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: question, priority: 'stat' });
  });

  test('a specialist opens the consult from the worklist and sees the image the server renders', async ({ page }) => {
    await signIn(page, 'specialist@scc.demo');
    const row = page.getByTestId('consult-row').filter({ hasText: question });
    await row.getByTestId('read-link').click();
    await expect(page).toHaveURL(new RegExp(`/consults/${consult.id}/read$`));
    const viewport = page.getByTestId('viewport').first();
    await expect(viewport).toHaveAttribute('data-loading', 'false', { timeout: 20_000 });
    await expect(viewport).toHaveAttribute('data-voi', /,/);
    const stats = await canvasStats(page, viewport);
    expect(stats.distinct).toBeGreaterThan(50);
    const match = await compareWithRendered(page, viewport);
    expect(match.correlation).toBeGreaterThan(0.95);
    expect(match.meanAbsDiff).toBeLessThan(20);
    // Overlay: pseudonym and position, as text.
    await expect(viewport.getByTestId('overlay-top-left')).toContainText('ANONYMOUS YZ');
    await expect(viewport.getByTestId('slice-position')).toHaveText('Image 1 / 1');
    // Window presets change the window.
    await page.getByTestId('preset-lung').click();
    await expect(viewport).toHaveAttribute('data-voi', '-600,1500');
    await page.keyboard.press('4');
    await expect(viewport).toHaveAttribute('data-voi', '400,1800');
  });

  test('a length measurement shows millimetres from the pixel spacing and is still there after a reload', async ({ page }) => {
    await signIn(page, 'specialist@scc.demo');
    const viewport = await openReaderToDraw(page, consult.id);
    await drawLength(page, viewport, [0.3, 0.5], [0.7, 0.5]);
    const measurement = page.getByTestId('measurement');
    await expect(measurement).toHaveCount(1);
    // CT_small: 128 columns at 0.661468 mm; the line spans 40 % of a square viewport showing the whole image.
    const box = (await viewport.getByTestId('viewport-element').boundingBox())!;
    const side = Math.min(box.width, box.height);
    const expected = ((0.4 * box.width) / side) * 128 * 0.661468;
    // The panel shows the length Cornerstone last computed: at mouse-down, at each render of the
    // drag, and the whole line's one render after the mouse is released (ANNOTATION_MODIFIED,
    // StatsUpdated). Under load the renders lag the mouse, so wait for the final value; a value
    // from the drag is shorter (the line only grows), never within 3 %.
    const value = measurement.getByTestId('measurement-value');
    const millimetres = (text: string) => Number(/([\d.]+) mm/.exec(text)?.[1]);
    await expect.poll(async () => millimetres(await value.innerText()), { message: `the whole line, ${expected.toFixed(1)} mm ± 3 %` }).toBeGreaterThan(expected * 0.97);
    const text = await value.innerText();
    expect(millimetres(text)).toBeLessThan(expected * 1.03);
    // Autosave then stores that value, not one from the drag.
    const token = await demoToken(baseUrl(), 'specialist@scc.demo');
    const savedValues = async () => {
      const response = await fetch(`${baseUrl()}api/consults/${consult.id}/annotations`, { headers: { Authorization: `Bearer ${token}` } });
      const body = (await response.json()) as { mine: { data: { measurements?: { value: string }[] } | null } | null };
      return body.mine?.data?.measurements?.map((m) => m.value);
    };
    await expect.poll(savedValues, { message: 'the measurements saved on the server' }).toEqual([text]);
    await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
    await page.reload();
    await expect(page.getByTestId('measurement')).toHaveCount(1);
    await expect(page.getByTestId('measurement-value')).toHaveText(text);
    // Undo removes nothing that was not done here; delete and Ctrl+Z bring it back.
    await page.getByTestId('measurement-delete').click();
    await expect(page.getByTestId('measurement')).toHaveCount(0);
    await page.keyboard.press('Control+z');
    await expect(page.getByTestId('measurement')).toHaveCount(1);
    await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  });

  test('an SR export is stored in the same study and restores the measurement in a fresh session', async ({ page, browser }) => {
    await signIn(page, 'specialist@scc.demo');
    await openReader(page, consult.id);
    await expect(page.getByTestId('measurement')).toHaveCount(1);
    const value = await page.getByTestId('measurement-value').innerText();
    await page.getByTestId('export-sr').click();
    await expect(page.getByTestId('sr-status')).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
    await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
    await page.goto('/');

    // The SR is a new series of the same study, visible over QIDO-RS (OHIF#1679), with the study's pseudonym as a valid PN (OHIF#3648).
    const token = await demoToken(baseUrl(), 'specialist@scc.demo');
    const study = consult.studyInstanceUids[0]!;
    const series = (await (await fetch(`${baseUrl()}dicomweb/studies/${study}/series?includefield=all`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, { Value?: unknown[] }>[];
    const sr = series.find((s) => s['00080060']?.Value?.[0] === 'SR');
    expect(sr, 'an SR series in the study').toBeDefined();
    const srSeries = sr!['0020000E']!.Value![0] as string;
    const [srInstance] = (await (await fetch(`${baseUrl()}dicomweb/studies/${study}/series/${srSeries}/metadata`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, { Value?: unknown[] }>[];
    const name = (srInstance!['00100010']!.Value![0] as { Alphabetic: string }).Alphabetic;
    expect(name).toMatch(/^ANONYMOUS\^YZ[A-Z0-9]+$/);
    expect(srInstance!['0040A504']).toBeDefined();

    // Another machine that has only the SR: the autosaved copy is emptied, then a fresh browser session opens the study.
    await clearSavedAnnotations(page, baseUrl(), consult.id, token);

    const context = await browser.newContext();
    const fresh = await context.newPage();
    const problems = watchPageErrors(fresh);
    await signIn(fresh, 'specialist@scc.demo');
    await openReader(fresh, consult.id);
    const restored = fresh.getByTestId('measurement');
    await expect(restored).toHaveCount(1);
    await expect(restored).toHaveAttribute('data-source', 'sr');
    await expect(restored).toHaveAttribute('data-tool', 'Length');
    await expect(restored.getByTestId('measurement-value')).toHaveText(value);
    // Restored measurements are editable and saved as the reader's own.
    await expect(restored.getByTestId('measurement-delete')).toBeVisible();
    await expect(fresh.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
    await context.close();
    expect(problems).toEqual([]);
  });
});

test('a reading link opened while signed out opens the consult once the reader signs in', async ({ browser }) => {
  const consult = await seedConsult(baseUrl(), mrSlices(), { clinicalQuestion: `MR link ${Date.now()}` });
  // Its own page: signed out, the page's early reads are refused (401), which Chromium logs.
  const page = await browser.newPage({ baseURL: baseUrl() });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`/consults/${consult.id}/read`);
  await page.locator('[data-language="en"]').click();
  await page.locator('input[name="email"]').fill('specialist@scc.demo');
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await page.locator('button[type="submit"]').click();
  const viewport = page.getByTestId('viewport').first();
  await expect(viewport).toHaveAttribute('data-loading', 'false', { timeout: 20_000 });
  await expect(viewport.getByTestId('slice-position')).toHaveText('Image 9 / 16');
  expect(errors).toEqual([]);
  await page.close();
});

test('a line drawn before the saved annotations arrive is saved once they do', async ({ page }) => {
  const consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `early line ${Date.now()}` });
  await signIn(page, 'specialist@scc.demo');
  // Hold the first read of the saved annotations until the line is drawn.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(`**/api/consults/${consult.id}/annotations`, async (route) => {
    if (route.request().method() === 'GET') await held;
    await route.continue();
  });
  const viewport = await openReader(page, consult.id);
  await drawLength(page, viewport, [0.3, 0.5], [0.7, 0.5]);
  await expect(page.getByTestId('measurement')).toHaveCount(1);
  release();
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  const token = await demoToken(baseUrl(), 'specialist@scc.demo');
  await expect
    .poll(async () => {
      const saved = (await (await fetch(`${baseUrl()}api/consults/${consult.id}/annotations`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { mine: { data: { annotations?: unknown[] } | null } | null };
      return saved.mine?.data?.annotations?.length ?? 0;
    })
    .toBe(1);
});

test('signing out right after drawing saves the line first, and nothing is refused halfway', async ({ page }) => {
  const consult = await seedConsult(baseUrl(), ctSmall(), { clinicalQuestion: `sign out ${Date.now()}` });
  await signIn(page, 'specialist@scc.demo');
  const viewport = await openReaderToDraw(page, consult.id);
  await drawLength(page, viewport, [0.3, 0.5], [0.7, 0.5]);
  await expect(page.getByTestId('measurement')).toHaveCount(1);
  // Within the autosave delay: the save is still waiting for its timer.
  await logout(page);
  await expect(page.locator('input[name="email"]')).toBeVisible();
  const token = await demoToken(baseUrl(), 'specialist@scc.demo');
  const saved = (await (await fetch(`${baseUrl()}api/consults/${consult.id}/annotations`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { mine: { data: { annotations?: unknown[] } | null } | null };
  expect(saved.mine?.data?.annotations ?? []).toHaveLength(1);
});

test('scrolling by wheel, keys and scrollbar changes the slice', async ({ page }) => {
  const consult = await seedConsult(baseUrl(), mrSlices(), { clinicalQuestion: `MR scroll ${Date.now()}` });
  await signIn(page, 'specialist@scc.demo');
  const viewport = await openReader(page, consult.id);
  const position = viewport.getByTestId('slice-position');
  await expect(position).toHaveText('Image 9 / 16');
  const before = await canvasStats(page, viewport);
  await page.keyboard.press('ArrowDown');
  await expect(position).toHaveText('Image 10 / 16');
  await expect.poll(async () => (await canvasStats(page, viewport)).hash).not.toBe(before.hash);
  await viewport.getByTestId('viewport-element').hover();
  await page.mouse.wheel(0, 120);
  await expect(position).toHaveText('Image 11 / 16');
  await viewport.getByTestId('scrollbar').fill('0');
  await expect(position).toHaveText('Image 1 / 16');
  await page.keyboard.press('End');
  await expect(position).toHaveText('Image 16 / 16');
  // Layouts, tag browser and help.
  await page.getByTestId('layout-2x2').click();
  await expect(page.getByTestId('viewport')).toHaveCount(4);
  await page.keyboard.press('Shift+Digit1');
  await expect(page.getByTestId('viewport')).toHaveCount(1);
  await page.keyboard.press('t');
  await expect(page.getByTestId('tag-browser')).toContainText('PatientName');
  await page.keyboard.press('Escape');
  await page.keyboard.press('?');
  await expect(page.getByTestId('help-panel')).toContainText('Ctrl+Z');
});

test('every transfer syntax sample renders non-blank', async ({ page }) => {
  const files = readdirSync(join(samplesDir, 'transfer-syntaxes')).sort();
  // Several samples are one image in several syntaxes with the same UIDs: each becomes its own
  // study here. A consult is about one patient, so every sample is given the same one, and its
  // own Study ID: three samples have no Study Instance UID, and ingest derives one from the
  // patient and study attributes, which would put them in one series.
  const patientId = `TS-${Date.now()}`;
  const instances = files.map((f, i) => rewriteInstances([readSample(`transfer-syntaxes/${f}`)], { freshUids: true, replace: { 0x00100010: 'TRANSFER^SYNTAXES', 0x00100020: patientId, 0x00100030: '19700101', 0x00100021: '', 0x00200010: `TS${i}` } })[0]!);
  const consult = await seedConsult(baseUrl(), instances, { clinicalQuestion: `Transfer syntaxes ${Date.now()}` });
  await signIn(page, 'specialist@scc.demo');
  const viewport = await openReader(page, consult.id);
  const thumbs = page.getByTestId('series-thumb');
  // Every image sample is a display set (report_dfl is an SR and is listed as such).
  await expect(thumbs).toHaveCount(files.length - 1, { timeout: 30_000 });
  await expect(page.getByTestId('sr-series')).toHaveCount(1);
  const count = await thumbs.count();
  const blank: string[] = [];
  for (let i = 0; i < count; i++) {
    await thumbs.nth(i).click();
    await expect(viewport).toHaveAttribute('data-loading', 'false', { timeout: 20_000 });
    await expect(viewport).toHaveAttribute('data-voi', /,/, { timeout: 20_000 });
    await expect(viewport).toHaveAttribute('data-error', 'false');
    const stats = await canvasStats(page, viewport);
    if (stats.distinct < 3 || stats.nonBlackFraction < 0.01) blank.push(await thumbs.nth(i).innerText());
  }
  expect(blank).toEqual([]);
});

test('a hostile PatientName is shown as text everywhere the viewer shows text, and no script runs', async ({ page }) => {
  const payload = '<img src=x onerror=alert(1)>';
  const hostile = rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true, replace: { 0x00100010: payload, 0x00100020: `XSS-${Date.now()}`, 0x0008103e: '<svg onload=alert(2)>' } });
  const consult = await seedConsult(baseUrl(), hostile, { clinicalQuestion: `<script>alert(3)</script> xss-${Date.now()}` });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });

  // The sending hospital's referring doctor sees the real (hostile) name, as the vault returns it, in the list and the viewer.
  const doctor = await demoToken(baseUrl(), 'doctor@xuhui.demo');
  const { consult: view } = (await (await fetch(`${baseUrl()}api/consults/${consult.id}`, { headers: { Authorization: `Bearer ${doctor}` } })).json()) as { consult: { studies: { identity: { name: string } }[] } };
  const realName = view.studies[0]!.identity.name;
  expect(realName).toContain('<img src=x');
  await signIn(page, 'doctor@xuhui.demo');
  // Shown as a DICOM name reads (`=` starts the ideographic group), and as text.
  const shownName = displayName(realName);
  await expect(page.getByTestId('consult-list')).toContainText(shownName);
  const viewport = await openReader(page, consult.id);
  await expect(viewport.getByTestId('overlay-top-left')).toContainText(shownName);
  await expect(page.getByTestId('reading-patient')).toHaveText(shownName);
  await expect(viewport.getByTestId('overlay-top-right')).toContainText('<svg onload=alert(2)>');
  await expect(page.getByTestId('series-panel')).toContainText('<svg onload=alert(2)>');
  await logout(page);

  // The reading centre gets pseudonyms from the server; here the DICOM answers are made hostile on the way in.
  await page.route('**/dicomweb/**', async (route) => {
    const response = await route.fetch();
    const type = response.headers()['content-type'] ?? '';
    if (!type.includes('json')) return route.fulfill({ response });
    const body = (await response.text()).replace(/"Alphabetic":"ANONYMOUS\^[A-Z0-9]+"/g, `"Alphabetic":${JSON.stringify(payload)}`);
    return route.fulfill({ response, body });
  });
  await page.route('**/api/consults**', async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace(/"pseudonymName":"ANONYMOUS\^[A-Z0-9]+"/g, `"pseudonymName":${JSON.stringify(payload)}`);
    return route.fulfill({ response, body });
  });
  await signIn(page, 'specialist@scc.demo');
  await expect(page.getByTestId('consult-list')).toContainText(displayName(payload));
  await page.goto(`/consults/${consult.id}`);
  await expect(page.getByTestId('consult-studies')).toContainText(displayName(payload));
  const reader = await openReader(page, consult.id);
  await expect(reader.getByTestId('overlay-top-left')).toContainText(displayName(payload));
  await expect(page.getByTestId('reading-patient')).toHaveText(displayName(payload));
  await page.getByTestId('open-tags').click();
  await expect(page.getByTestId('tag-browser')).toContainText(payload);
  await page.keyboard.press('Escape');
  await drawLength(page, reader, [0.3, 0.3], [0.6, 0.3]);
  await page.getByTestId('measurement-label-edit').click();
  await page.getByTestId('text-dialog-input').fill(payload);
  await page.getByTestId('text-dialog-ok').click();
  await expect(page.getByTestId('measurement-label')).toHaveText(payload);

  expect(dialogs).toEqual([]);
  expect(await page.locator('img[src="x"], svg[onload], script:not([src])').count()).toBe(0);
});

/**
 * The stack's other slices are fetched a dozen at a time, not all at once: 80 requests opened
 * in one task held the page's main thread before the first image showed, and a slice the
 * reader jumped to waited behind all of them in the browser's six connections.
 */
test('the slices of a long series are fetched a few at a time, and a slice jumped to comes meanwhile', async ({ page }) => {
  const slices = 80;
  const ct = rewriteInstances(buildCtSeries({ slices, rows: 64, columns: 64, seed: Date.now() % 100_000 }), { freshUids: true });
  const consult = await seedConsult(baseUrl(), ct, { clinicalQuestion: `prefetch ${Date.now()}` });
  await signIn(page, 'specialist@scc.demo');
  let inFlight = 0;
  let mostInFlight = 0;
  let framesFinished = 0;
  const isFrame = (url: string) => /\/frames\/\d+$/.test(new URL(url).pathname);
  page.on('request', (request) => isFrame(request.url()) && (mostInFlight = Math.max(mostInFlight, ++inFlight)));
  const settle = (request: { url(): string }) => isFrame(request.url()) && (inFlight--, framesFinished++);
  page.on('requestfinished', settle);
  page.on('requestfailed', settle);
  const viewport = await openReader(page, consult.id);
  await viewport.getByTestId('scrollbar').fill(String(slices - 1));
  await expect(viewport).toHaveAttribute('data-image-index', String(slices - 1));
  await expect(viewport).toHaveAttribute('data-loading', 'false');
  await expect.poll(() => framesFinished, { timeout: 60_000 }).toBeGreaterThanOrEqual(slices);
  // The prefetch's dozen, the slice on screen and the one jumped to.
  expect(mostInFlight).toBeLessThanOrEqual(14);
});
