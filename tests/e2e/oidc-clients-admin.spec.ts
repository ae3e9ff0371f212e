import { createServer, type Server } from 'node:http';

import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import * as client from 'openid-client';

import { DEMO_PASSWORD, spawnServer, startCodeFlow, type SpawnedServer } from '@yunzhen/server/testing';

/**
 * A reading centre's admin registers applications on the viewer's page, and an OpenID Connect
 * relying party (`openid-client`) then signs users in with them: the authorization code flow
 * with PKCE, driven in the browser, with the sign-in page or the viewer's own session.
 * Its own server: the suite's shared one has a PUBLIC_URL the issuer would name instead.
 */
let yunzhen: SpawnedServer;
/** The registered applications' redirect URI: a loopback server that keeps each callback URL it receives. */
let app: { server: Server; callbacks: URL[] };
let REDIRECT = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  yunzhen = await spawnServer({});
  const callbacks: URL[] = [];
  const server = createServer((req, res) => {
    callbacks.push(new URL(req.url!, REDIRECT));
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<p>signed in</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  app = { server, callbacks };
  REDIRECT = `http://127.0.0.1:${(server.address() as { port: number }).port}/callback`;
});

test.afterAll(async () => {
  await new Promise((resolve) => app?.server.close(resolve));
  await yunzhen?.stop();
});

async function signInToViewer(page: Page, email: string) {
  await page.goto(`${yunzhen.url}/`);
  await page.locator('[data-language="en"]').click();
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await page.locator('button[type="submit"]').click();
  await page.getByTestId('logout').waitFor();
}

/** Registers an application in the admin page; returns the secret the page shows once, if any. */
async function register(page: Page, fields: { clientId: string; name: string; firstParty: boolean; confidential: boolean }) {
  const form = page.getByTestId('oidc-client-form');
  await expect(form).toHaveAttribute('data-mode', 'register');
  await form.locator('input[name="clientId"]').fill(fields.clientId);
  await form.locator('input[name="name"]').fill(fields.name);
  await form.locator('textarea[name="redirectUris"]').fill(`${REDIRECT}\n`);
  await form.locator('input[name="firstParty"]').setChecked(fields.firstParty);
  await form.locator('input[name="confidential"]').setChecked(fields.confidential);
  await page.getByTestId('oidc-client-save').click();
  await expect(page.locator(`[data-testid="oidc-client"][data-client-id="${fields.clientId}"]`)).toBeVisible();
  if (!fields.confidential) {
    await expect(page.getByTestId('oidc-client-secret')).toHaveCount(0);
    return undefined;
  }
  return page.getByTestId('oidc-client-secret-value').inputValue();
}

/**
 * The code flow with PKCE as a browser app runs it: `openid-client` builds the request, the
 * browser follows it (typing the password when Yunzhen asks), the redirect to the client is
 * caught, and `openid-client` exchanges the code. Returns the tokens and whether a password was asked.
 */
async function codeFlow(context: BrowserContext, config: client.Configuration, password?: { email: string }) {
  const { authorizationUrl, state, finish } = await startCodeFlow(config, REDIRECT);
  const page = await context.newPage();
  const callback = () => app.callbacks.find((url) => url.searchParams.get('state') === state);
  await page.goto(authorizationUrl.href);
  let askedPassword = false;
  if (!callback() && (await page.locator('input[name="password"]').count())) {
    askedPassword = true;
    if (!password) throw new Error('Yunzhen asked for a password');
    await page.locator('input[name="email"]').fill(password.email);
    await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
    await page.locator('button[type="submit"]').click();
    // Back at the application, or (a client that is not first-party) asked to allow access.
    const allow = page.getByRole('button', { name: 'Allow' });
    await expect.poll(async () => callback() !== undefined || (await allow.count()) > 0).toBe(true);
    if (!callback()) await allow.click();
  }
  await expect.poll(() => callback() !== undefined).toBe(true);
  // Closed only once the callback page has loaded: Chromium can acknowledge closing a page whose
  // navigation is committing at that moment and never close it, and page.close() then waits forever.
  await page.waitForURL((url) => url.href.startsWith(REDIRECT), { waitUntil: 'load' });
  await page.close();
  return { askedPassword, tokens: await finish(callback()!) };
}

const discover = (clientId: string, secret?: string) =>
  client.discovery(new URL(`${yunzhen.url}/oidc`), clientId, undefined, secret ? client.ClientSecretBasic(secret) : client.None(), { execute: [client.allowInsecureRequests] });

async function me(accessToken: string) {
  const response = await fetch(`${yunzhen.url}/api/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  return { status: response.status, email: response.ok ? ((await response.json()) as { user: { email: string } }).user.email : undefined };
}

test('the admin registers a browser app (public, PKCE, first-party); a specialist signs in with it through openid-client', async ({ browser, page }) => {
  await signInToViewer(page, 'admin@scc.demo');
  await page.getByTestId('go-applications').click();
  await expect(page.getByTestId('oidc-clients-page')).toBeVisible();
  // No application yet (the server configures none); the page speaks Chinese as well.
  await expect(page.getByTestId('oidc-client')).toHaveCount(0);
  await page.locator('[data-language="zh-CN"]').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('使用云诊登录的应用');
  await page.locator('[data-language="en"]').click();
  await register(page, { clientId: 'ward-viewer', name: 'Ward viewer', firstParty: true, confidential: false });
  const row = page.locator('[data-testid="oidc-client"][data-client-id="ward-viewer"]');
  await expect(row).toHaveAttribute('data-first-party', 'true');
  await expect(row).toHaveAttribute('data-confidential', 'false');

  const stranger = await browser.newContext();
  const { askedPassword, tokens } = await codeFlow(stranger, await discover('ward-viewer'), { email: 'specialist@scc.demo' });
  expect(askedPassword).toBe(true);
  expect(await me(tokens.access_token)).toEqual({ status: 200, email: 'specialist@scc.demo' });
  await stranger.close();
});

test('signed in to the viewer, the OpenID Connect flow needs no password; signed out of it, the password is asked again', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInToViewer(page, 'specialist@scc.demo');
  const config = await discover('ward-viewer');
  const single = await codeFlow(context, config);
  expect(single.askedPassword).toBe(false);
  expect(await me(single.tokens.access_token)).toEqual({ status: 200, email: 'specialist@scc.demo' });

  await page.getByTestId('logout').click();
  await page.locator('input[name="email"]').waitFor();
  const again = await codeFlow(context, config, { email: 'rad@minhang.demo' });
  expect(again.askedPassword).toBe(true);
  expect(await me(again.tokens.access_token)).toEqual({ status: 200, email: 'rad@minhang.demo' });
  await context.close();
});

test('a confidential app’s secret is shown once; the admin edits it, and removing it ends the tokens it got', async ({ browser, page }) => {
  await signInToViewer(page, 'admin@scc.demo');
  await page.goto(`${yunzhen.url}/admin/applications`);
  const secret = await register(page, { clientId: 'pacs-portal', name: 'PACS portal', firstParty: false, confidential: true });
  expect(secret).toMatch(/^[\w-]{43}$/);
  await page.reload();
  await expect(page.getByTestId('oidc-client-list')).toBeVisible();
  await expect(page.getByTestId('oidc-client-secret')).toHaveCount(0);
  expect(await page.content()).not.toContain(secret!);

  // Not first-party yet: the specialist is asked to allow access.
  const stranger = await browser.newContext();
  const config = await discover('pacs-portal', secret);
  const { tokens } = await codeFlow(stranger, config, { email: 'specialist@scc.demo' });
  expect(await me(tokens.access_token)).toEqual({ status: 200, email: 'specialist@scc.demo' });
  await stranger.close();

  const row = page.locator('[data-testid="oidc-client"][data-client-id="pacs-portal"]');
  await row.getByTestId('oidc-client-edit').click();
  const form = page.getByTestId('oidc-client-form');
  await expect(form).toHaveAttribute('data-mode', 'edit');
  await form.locator('input[name="name"]').fill('PACS portal (SCC)');
  await form.locator('input[name="firstParty"]').check();
  await page.getByTestId('oidc-client-save').click();
  await expect(row).toContainText('PACS portal (SCC)');
  await expect(row).toHaveAttribute('data-first-party', 'true');
  await expect(row).toHaveAttribute('data-confidential', 'true');

  page.once('dialog', (dialog) => void dialog.accept());
  await row.getByTestId('oidc-client-remove').click();
  await expect(row).toHaveCount(0);
  expect((await me(tokens.access_token)).status).toBe(401);
  await expect(discover('pacs-portal', secret).then((c) => client.refreshTokenGrant(c, tokens.refresh_token!))).rejects.toThrow();
});
