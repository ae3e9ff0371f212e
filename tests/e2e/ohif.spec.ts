import { expect, test, type Browser, type Page } from '@playwright/test';

import { dragAcross } from './fixtures.js';

import { DEMO_PASSWORD, demoToken, ohifAppConfig, ohifDist, readSample, rewriteInstances, seedConsult, serveOhif, serverEnvForOhif, spawnServer, type SpawnedServer } from '@yunzhen/server/testing';

/**
 * OHIF Viewer 3.13.2, its prebuilt `dist/` from the npm registry (`npm pack @ohif/app`), served
 * on its own origin with the repository's `ohif/app-config.js`, signing in through Yunzhen's
 * OpenID Connect provider: no proxy injects a token.
 */
let ohif: Awaited<ReturnType<typeof serveOhif>>;
let yunzhen: SpawnedServer;
let appConfig = '';
let consult: { id: string; studyInstanceUids: string[] };

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(600_000);
  // OHIF's origin first: Yunzhen's configuration names it (CORS, the client's redirect URI).
  ohif = await serveOhif(ohifDist(), () => appConfig);
  yunzhen = await spawnServer({ env: serverEnvForOhif(ohif.url) });
  appConfig = ohifAppConfig(yunzhen.url);
  expect(appConfig).toContain(yunzhen.url);
  consult = await seedConsult(yunzhen.url, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }), { clinicalQuestion: 'Nodule?' });
});

test.afterAll(async () => {
  await ohif?.close();
  await yunzhen?.stop();
});

async function signInThroughOhif(page: Page, email: string) {
  await page.goto(ohif.url);
  // OHIF sends the browser to Yunzhen's sign-in page (authorization code with PKCE).
  await page.waitForURL((url) => url.href.startsWith(`${yunzhen.url}/oidc/interaction/`), { timeout: 60_000 });
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.href.startsWith(ohif.url), { timeout: 60_000 });
}

/** The specialist opens the consult study in OHIF's basic viewer (past its notice and its tour). */
async function openInOhif(page: Page) {
  await signInThroughOhif(page, 'specialist@scc.demo');
  await page.getByRole('button', { name: 'Confirm and hide' }).click();
  await page.getByText(/ANONYMOUS/).first().click();
  await page.getByRole('button', { name: 'Basic Viewer' }).click();
  await page.getByText('Skip all').click({ timeout: 60_000 });
}

/** The specialist opens the consult in Yunzhen's own viewer, in a browser context of its own. */
async function openInYunzhen(browser: Browser) {
  const context = await browser.newContext();
  const reader = await context.newPage();
  await reader.goto(`${yunzhen.url}/`);
  await reader.locator('[data-language="en"]').click();
  await reader.locator('input[name="email"]').fill('specialist@scc.demo');
  await reader.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await reader.locator('button[type="submit"]').click();
  await reader.getByTestId('who').waitFor();
  await reader.goto(`${yunzhen.url}/consults/${consult.id}/read`);
  const viewport = reader.getByTestId('viewport').first();
  await expect(viewport).toHaveAttribute('data-loading', 'false', { timeout: 30_000 });
  return { context, reader, viewport };
}

test('OHIF signs the specialist in through Yunzhen and lists the consult study, pseudonymised', async ({ page }) => {
  await signInThroughOhif(page, 'specialist@scc.demo');
  await expect(page.getByText(/ANONYMOUS/).first()).toBeVisible({ timeout: 60_000 });
});

test('OHIF as a Minhang radiographer lists no Xuhui study', async ({ page }) => {
  const studyList = page.waitForResponse((response) => response.url().startsWith(`${yunzhen.url}/dicomweb/studies`) && response.request().method() === 'GET', { timeout: 90_000 });
  await signInThroughOhif(page, 'rad@minhang.demo');
  const answer = await studyList;
  expect(answer.status()).toBe(200);
  expect(await answer.json()).toEqual([]);
  await expect(page.getByText(/ANONYMOUS/)).toHaveCount(0);
});

test('the specialist measures a length in OHIF and saves the SR into the study; Yunzhen’s viewer shows the measurement', async ({ page, browser }) => {
  test.setTimeout(300_000);
  await openInOhif(page);
  await page.locator('[data-cy="Length"]').click();
  await dragAcross(page, (await page.locator('[data-cy="viewport-pane"]').boundingBox())!, [0.4, 0.5], [0.6, 0.6]);
  // OHIF's basic viewer asks whether to track measurements of the series before it lists them.
  await page.getByRole('button', { name: 'Yes', exact: true }).click();
  await page.locator('[data-cy="trackedMeasurements-btn"]').click();
  const row = page.locator('[data-cy="measurement-table-row-0"]');
  await expect(row).toContainText('mm');
  const drawn = Number(/([\d.]+) mm/.exec(await row.innerText())![1]);
  await page.getByRole('button', { name: 'Create SR' }).click();
  await page.getByPlaceholder('Report name').fill('OHIF length');
  // OHIF stores with STOW-RS to {wadoRoot}/studies, without a study UID.
  const stow = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${yunzhen.url}/dicomweb/studies`, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  expect((await stow).status()).toBe(200);

  // The same specialist in Yunzhen's own viewer: the consult opens with OHIF's length on it.
  const { context, reader, viewport } = await openInYunzhen(browser);
  const restored = reader.getByTestId('measurement');
  await expect(restored).toHaveCount(1, { timeout: 30_000 });
  await expect(restored).toHaveAttribute('data-source', 'sr');
  await expect(restored).toHaveAttribute('data-tool', 'Length');
  const shown = Number(/([\d.]+)/.exec(await restored.getByTestId('measurement-value').innerText())![1]);
  expect(Math.abs(shown - drawn)).toBeLessThanOrEqual(0.1);
  await context.close();
});

test('an SR exported from Yunzhen’s viewer opens in OHIF with its lengths', async ({ page, browser }) => {
  test.setTimeout(300_000);
  const { context, reader, viewport } = await openInYunzhen(browser);
  await reader.getByTestId('tool-Length').click();
  await dragAcross(reader, (await viewport.getByTestId('viewport-element').boundingBox())!, [0.3, 0.3], [0.7, 0.4]);
  await reader.getByTestId('export-sr').click();
  await expect(reader.getByTestId('sr-status')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await context.close();
  // The lengths the SR holds (NumericValue of its NUM items), read back over WADO-RS.
  const token = await demoToken(yunzhen.url, 'specialist@scc.demo');
  const metadata = (await (await fetch(`${yunzhen.url}/dicomweb/studies/${consult.studyInstanceUids[0]}/metadata`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, { Value?: unknown[] }>[];
  const report = metadata.find((m) => m['0008103E']?.Value?.[0] === 'Measurements (Yunzhen)');
  const lengths = [...JSON.stringify(report).matchAll(/"0040A30A":\{"vr":"DS","Value":\[([\d.]+)\]/g)].map((match) => Number(match[1]));
  expect(lengths.length).toBeGreaterThan(0);

  await openInOhif(page);
  // Yunzhen's SR is a series of the study in OHIF's study browser; opened, it draws its lengths on the image.
  await page.getByText('Measurements (Yunzhen)').dblclick();
  const labels = page.locator('[data-cy="viewport-pane"] svg text', { hasText: / mm$/ });
  const shown = async () => (await labels.allTextContents()).map((text) => Number(/([\d.]+) mm/.exec(text)?.[1]));
  await expect
    .poll(async () => {
      const values = await shown();
      return lengths.every((length) => values.some((value) => Math.abs(value - length) < 0.01));
    }, { timeout: 60_000 })
    .toBe(true);
});

/**
 * One sample of each modality the repository ships, filed into one study, so one consult and one
 * OHIF sign-in cover them all. The 4-slice CT and the SEG made from it keep their own UIDs: the
 * SEG names its source images inside sequences, which a fresh top-level UID would break.
 */
const MODALITY_SAMPLES: { path: string; freshUids: boolean }[] = [
  ...[
    'modalities/CT_small.dcm',
    'transfer-syntaxes/MR_small.dcm',
    'modalities/US-PAL-8-10x-echo',
    'modalities/US-RGB-8-esopecho',
    'modalities/CR-MONO1-10-chest',
    'modalities/dx_image.dcm',
    'modalities/OutOfBoundsOverlay.dcm',
    'modalities/PT_acrin_flt_breast_1.dcm',
    'modalities/NM-MONO2-16-13x-heart',
    'modalities/XA1_JPLY',
    'transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm',
    'rt/rtdose.dcm',
    'modalities/waveform_ecg.dcm',
    'sr-seg-pdf/test-SR.dcm',
  ].map((path) => ({ path, freshUids: true })),
  ...['17106', '17136', '17166', '17196', 'seg_image_ct_binary.dcm'].map((name) => ({ path: `studies/ct-4slice-with-seg/${name}`, freshUids: false })),
];

/**
 * What the viewport's canvas holds, read back from the page: the share of pixels that are not
 * black, the share tinted red (a segment's colour over grey images), how many grey levels
 * there are, and a fingerprint to tell one image from the next. Null while there is no canvas.
 */
function canvasPixels(page: Page) {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-cy="viewport-pane"] canvas');
    const context = canvas?.getContext('2d');
    if (!canvas || !context || !canvas.width || !canvas.height) return null;
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let lit = 0;
    let tinted = 0;
    let fingerprint = 0;
    const levels = new Set<number>();
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      const luma = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      if (luma > 8) lit++;
      if (r > g + 40 && r > b + 40) tinted++;
      levels.add(luma);
      fingerprint = (fingerprint * 31 + luma) | 0;
    }
    const pixels = data.length / 4;
    return { litShare: lit / pixels, tintedShare: tinted / pixels, levels: levels.size, fingerprint };
  });
}

test('OHIF opens a series of every sample modality with pixels on screen; it lists the ones it cannot show', async ({ page }) => {
  test.setTimeout(300_000);
  const Tags = { StudyInstanceUID: 0x0020000d, PatientID: 0x00100020, PatientName: 0x00100010, PatientBirthDate: 0x00100030 };
  const study = `2.25.${BigInt(`0x${crypto.randomUUID().replaceAll('-', '')}`).toString()}`;
  // One patient and one study for all (the archive refuses a study naming two patients).
  const replace = { [Tags.StudyInstanceUID]: study, [Tags.PatientID]: 'MOD-1', [Tags.PatientName]: 'Modalities^Test', [Tags.PatientBirthDate]: '19700101' };
  const instances = MODALITY_SAMPLES.flatMap(({ path, freshUids }) => rewriteInstances([readSample(path)], { freshUids, replace }));
  const seeded = await seedConsult(yunzhen.url, instances, { clinicalQuestion: 'Every modality' });
  expect(seeded.studyInstanceUids).toHaveLength(1);

  await signInThroughOhif(page, 'specialist@scc.demo');
  await page.getByRole('button', { name: 'Confirm and hide' }).click();
  await page.goto(`${ohif.url}/viewer?StudyInstanceUIDs=${seeded.studyInstanceUids[0]}`);
  await page.getByText('Skip all').click({ timeout: 60_000 });
  const thumbnails = page.locator('[data-cy^="study-browser-thumbnail"]');
  await expect(thumbnails).toHaveCount(16, { timeout: 60_000 });

  let previous: number | undefined;
  /** Pixels on screen: most of a grey-level range, not a blank or flat viewport, and another image than the last. */
  const expectNewImage = async (what: string, also: (pixels: NonNullable<Awaited<ReturnType<typeof canvasPixels>>>) => boolean = () => true) => {
    await expect
      .poll(async () => {
        const pixels = await canvasPixels(page);
        return pixels !== null && pixels.litShare > 0.01 && pixels.levels >= 10 && pixels.fingerprint !== previous && also(pixels);
      }, { timeout: 30_000, message: `${what} on screen` })
      .toBe(true);
    previous = (await canvasPixels(page))!.fingerprint;
  };

  const shown: string[] = [];
  const withoutThumbnailImage = new Map<string, number>();
  for (let i = 0; i < 16; i++) {
    const thumbnail = thumbnails.nth(i);
    const modality = (await thumbnail.locator('[data-cy="series-modality-label"]').innerText()).trim();
    if ((await thumbnail.getAttribute('data-cy')) === 'study-browser-thumbnail-no-image') {
      withoutThumbnailImage.set(modality, i);
      continue;
    }
    await thumbnail.dblclick();
    await expectNewImage(modality);
    shown.push(modality);
  }
  expect(shown.sort()).toEqual(['CR', 'CT', 'CT', 'DX', 'MG', 'MR', 'NM', 'OT', 'PT', 'US', 'XA']);
  expect([...withoutThumbnailImage.keys()].sort()).toEqual(['ECG', 'RTDOSE', 'SEG', 'SR', 'US']);

  // No thumbnail, yet OHIF draws the dose grid as an image…
  await thumbnails.nth(withoutThumbnailImage.get('RTDOSE')!).dblclick();
  await expectNewImage('RTDOSE');
  // …and the SEG over the CT it was made from, in the segment's colour, once asked to load it.
  await thumbnails.nth(withoutThumbnailImage.get('SEG')!).dblclick();
  await page.getByText('Do you want to open this Segmentation?').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Yes', exact: true }).click();
  await expectNewImage('SEG over its CT', (pixels) => pixels.tintedShare > 0.01);
  // OHIF has no viewport for waveforms: the ECG series opens as an empty viewport.
  await thumbnails.nth(withoutThumbnailImage.get('ECG')!).dblclick();
  await expect.poll(async () => (await canvasPixels(page))?.litShare ?? 0, { timeout: 30_000 }).toBe(0);
  // The US image of the retired SOP class and the SR that is not a measurement report are
  // listed only; opening the SR would take OHIF's page down (see the README).
});
