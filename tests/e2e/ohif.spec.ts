import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect, test, type Browser, type Page } from '@playwright/test';

import { dragAcross } from './fixtures.js';

import { DEMO_PASSWORD, demoToken, readSample, rewriteInstances, seedConsult, spawnServer, type SpawnedServer } from '@yunzhen/server/testing';

/**
 * OHIF Viewer 3.13.2, its prebuilt `dist/` from the npm registry (`npm pack @ohif/app`), served
 * on its own origin with the repository's `ohif/app-config.js`, signing in through Yunzhen's
 * OpenID Connect provider: no proxy injects a token.
 */
const OHIF_VERSION = '3.13.2';
const repo = fileURLToPath(new URL('../../', import.meta.url));
const cache = join(repo, 'tests/.cache', `ohif-${OHIF_VERSION}`);

/** OHIF's prebuilt viewer, fetched once with npm from the registry and kept in tests/.cache. */
function ohifDist(): string {
  const dist = join(cache, 'package/dist');
  if (existsSync(join(dist, 'index.html'))) return dist;
  mkdirSync(cache, { recursive: true });
  const tarball = execFileSync('npm', ['pack', `@ohif/app@${OHIF_VERSION}`, '--pack-destination', cache, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  execFileSync('tar', ['xzf', join(cache, tarball), '-C', cache]);
  return dist;
}

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff' };

let ohif: { server: Server; url: string };
let yunzhen: SpawnedServer;
let appConfig = '';
let consult: { id: string; studyInstanceUids: string[] };

/** A static server for OHIF's single-page app: its files as they are, index.html for its routes, our app-config. */
function serveOhif(dist: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    if (path === '/app-config.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(appConfig);
      return;
    }
    const file = join(dist, path);
    const found = file.startsWith(dist) && existsSync(file) && statSync(file).isFile() ? file : join(dist, 'index.html');
    res.writeHead(200, { 'Content-Type': types[extname(found)] ?? 'application/octet-stream' }).end(readFileSync(found));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(600_000);
  // OHIF's origin first: Yunzhen's configuration names it (CORS, the client's redirect URI).
  ohif = await serveOhif(ohifDist());
  const client = { clientId: 'ohif', name: 'OHIF Viewer', redirectUris: [`${ohif.url}/callback`], postLogoutRedirectUris: [`${ohif.url}/logout-redirect.html`], firstParty: true };
  yunzhen = await spawnServer({ env: { CORS_ORIGINS: ohif.url, OIDC_CLIENTS: JSON.stringify([client]) } });
  appConfig = readFileSync(join(repo, 'ohif/app-config.js'), 'utf8').replace("const YUNZHEN = 'https://yunzhen.example.org';", `const YUNZHEN = '${yunzhen.url}';`);
  expect(appConfig).toContain(yunzhen.url);
  consult = await seedConsult(yunzhen.url, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }), { clinicalQuestion: 'Nodule?' });
});

test.afterAll(async () => {
  await new Promise((resolve) => ohif?.server.close(resolve));
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
