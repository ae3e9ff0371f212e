import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_PASSWORD } from '../demo-union.js';
import { readSample, rewriteInstances } from '../testing/dicom-fixtures.js';
import { startCodeFlow } from '../testing/oidc-code-flow.js';
import { createConsult, stowInstances } from '../testing/seed-consult.js';
import { createTestApp, TEST_OIDC_CLIENT, type TestApp } from '../testing/test-app.js';

const REDIRECT = TEST_OIDC_CLIENT.redirectUris[0]!;

/** A browser's cookie jar, enough for one origin: every cookie is sent back on every request. */
class Browser {
  private readonly cookies = new Map<string, string>();
  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return response;
  }
}

/**
 * Drives a browser through the authorization request: Yunzhen's sign-in page, the password
 * form, (consent when asked), until the redirect back to the client, which is returned.
 */
async function signIn(authorizationUrl: URL, email: string, options: { password?: string; consent?: 'allow' | 'deny'; browser?: Browser } = {}) {
  const browser = options.browser ?? new Browser();
  let response = await browser.fetch(authorizationUrl);
  const pages: { status: number; html: string }[] = [];
  for (let hops = 0; hops < 10; hops++) {
    const location = response.headers.get('Location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, response.url || authorizationUrl);
      if (next.href.startsWith(REDIRECT) || !next.pathname.startsWith('/oidc')) return { callback: next, pages };
      response = await browser.fetch(next);
      continue;
    }
    const html = await response.text();
    pages.push({ status: response.status, html });
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action || response.status !== 200) return { callback: undefined, pages };
    const target = new URL(action, authorizationUrl);
    const body = action.endsWith('/login')
      ? new URLSearchParams({ email, password: options.password ?? DEMO_PASSWORD })
      : new URLSearchParams({ decision: options.consent ?? 'allow' });
    response = await browser.fetch(target, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  }
  throw new Error('too many redirects');
}

describe('Yunzhen as an OpenID Connect provider, with openid-client as the relying party', () => {
  let t: TestApp;
  let url: string;
  let config: client.Configuration;
  let xuhuiStudy: string;

  const discover = (clientId = TEST_OIDC_CLIENT.clientId) =>
    client.discovery(new URL(`${url}/oidc`), clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });

  /** The code flow with PKCE (S256) as a browser app runs it, then the code exchanged by openid-client. */
  async function codeFlow(email: string, options: { clientConfig?: client.Configuration; consent?: 'allow' | 'deny'; browser?: Browser; parameters?: Record<string, string> } = {}) {
    const flow = await startCodeFlow(options.clientConfig ?? config, REDIRECT, options.parameters);
    const { callback, pages } = await signIn(flow.authorizationUrl, email, { consent: options.consent, browser: options.browser });
    if (!callback) throw new Error(`no redirect back: ${pages.at(-1)?.status}`);
    return { tokens: await flow.finish(callback), pages };
  }

  const qido = (token: string) => fetch(`${url}/dicomweb/studies`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/dicom+json' } });
  const studyUids = async (token: string) => ((await (await qido(token)).json()) as Record<string, { Value: string[] }>[]).map((s) => s['0020000D']!.Value[0]);

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    url = await t.listen();
    const rad = await t.token('rad@xuhui.demo');
    const studies = await stowInstances(url, rad, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }));
    xuhuiStudy = studies[0]!;
    await createConsult(url, rad, studies, { clinicalQuestion: 'Nodule?' });
    config = await discover();
  }, 60_000);
  afterAll(() => t.close());

  it('publishes discovery and JWKS that openid-client accepts: code flow with S256 PKCE, public clients, revocation', async () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(`${url}/oidc`);
    expect(metadata.code_challenge_methods_supported).toContain('S256');
    expect(metadata.token_endpoint_auth_methods_supported).toContain('none');
    expect(metadata.revocation_endpoint).toBe(`${url}/oidc/token/revocation`);
    const jwks = (await (await fetch(metadata.jwks_uri!)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('signs the specialist in with their Yunzhen account; the access token reads what a specialist may see, as a specialist', async () => {
    const { tokens, pages } = await codeFlow('specialist@scc.demo');
    // First-party client: a sign-in page, no consent page.
    expect(pages).toHaveLength(1);
    expect(pages[0]!.html).toContain('Test viewer');
    const specialist = (await t.repos.users.findByEmail('specialist@scc.demo'))!;
    expect(tokens.claims()).toMatchObject({ sub: specialist.id, iss: `${url}/oidc`, aud: TEST_OIDC_CLIENT.clientId });
    expect(tokens.access_token.split('.')).toHaveLength(3);
    expect(tokens.refresh_token).toBeTruthy();
    expect(await studyUids(tokens.access_token)).toEqual([xuhuiStudy]);
    const me: any = await (await fetch(`${url}/api/me`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).json();
    expect(me.user).toMatchObject({ email: 'specialist@scc.demo', role: 'specialist' });
    // A Bearer token needs no CSRF header for writes, as an API token.
    const logoutless = await fetch(`${url}/api/consults`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(logoutless.status).toBe(200);
  });

  it('refreshes, and a revoked refresh token ends the grant: its access tokens are refused at once', async () => {
    const { tokens } = await codeFlow('specialist@scc.demo');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect((await qido(refreshed.access_token)).status).toBe(200);
    await client.tokenRevocation(config, refreshed.refresh_token!);
    expect((await qido(refreshed.access_token)).status).toBe(401);
    expect((await qido(tokens.access_token)).status).toBe(401);
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toThrow();
  });

  it('gives a Minhang radiographer Minhang’s view: no Xuhui study', async () => {
    const { tokens } = await codeFlow('rad@minhang.demo');
    expect((await qido(tokens.access_token)).status).toBe(200);
    expect(await studyUids(tokens.access_token)).not.toContain(xuhuiStudy);
    expect(await studyUids(tokens.access_token)).toEqual([]);
    const xuhui = await fetch(`${url}/dicomweb/studies/${xuhuiStudy}/metadata`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(xuhui.status).toBe(404);
  });

  it('refuses a wrong password on its page (in the viewer’s words), an authorization request without PKCE, and a forged token', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const withPkce = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const wrong = await signIn(withPkce, 'specialist@scc.demo', { password: 'not-the-password' });
    expect(wrong.callback).toBeUndefined();
    expect(wrong.pages.at(-1)).toMatchObject({ status: 401, html: expect.stringContaining('wrong email or password') });
    const withoutPkce = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid' });
    const refused = await signIn(withoutPkce, 'specialist@scc.demo');
    expect(refused.callback?.searchParams.get('error')).toBe('invalid_request');
    const { tokens } = await codeFlow('rad@minhang.demo');
    const [header, payload, signature] = tokens.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, sub: (await t.repos.users.findByEmail('rad@xuhui.demo'))!.id })).toString('base64url'), signature].join('.');
    expect((await qido(forged)).status).toBe(401);
  });

  it('registers clients through the admin API; a client that is not first-party asks for consent', async () => {
    const sccAdmin = await t.token('admin@scc.demo');
    const body = { clientId: 'ohif-test', name: 'OHIF (test)', redirectUris: [REDIRECT], firstParty: false };
    const post = (token: string) => fetch(`${url}/api/oidc-clients`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(await t.token('admin@xuhui.demo'))).status).toBe(403);
    expect((await post(await t.token('specialist@scc.demo'))).status).toBe(403);
    expect((await post(sccAdmin)).status).toBe(201);
    expect((await post(sccAdmin)).status).toBe(409);
    const listed: any = await (await fetch(`${url}/api/oidc-clients`, { headers: { Authorization: `Bearer ${sccAdmin}` } })).json();
    expect(listed.clients.map((c: { clientId: string; source: string }) => [c.clientId, c.source])).toEqual([
      ['test-viewer', 'config'],
      ['ohif-test', 'admin'],
    ]);
    const ohif = await discover('ohif-test');
    const denied = codeFlow('specialist@scc.demo', { clientConfig: ohif, consent: 'deny' });
    await expect(denied).rejects.toMatchObject({ error: 'access_denied' });
    const { tokens, pages } = await codeFlow('specialist@scc.demo', { clientConfig: ohif });
    expect(pages.map((p) => /<h1>([^<]+)/.exec(p.html)?.[1])).toEqual(['Sign in to Yunzhen', 'Allow access']);
    expect(await studyUids(tokens.access_token)).toEqual([xuhuiStudy]);
    const removed = await fetch(`${url}/api/oidc-clients/ohif-test`, { method: 'DELETE', headers: { Authorization: `Bearer ${sccAdmin}` } });
    expect(removed.status).toBe(204);
    await expect(discover('ohif-test').then((c) => codeFlow('specialist@scc.demo', { clientConfig: c }))).rejects.toThrow();
  });

  /** A browser signed in to Yunzhen's own viewer: its session cookie, as the login answer set it. */
  async function viewerBrowser(email: string) {
    const browser = new Browser();
    const login = await browser.fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: DEMO_PASSWORD }) });
    expect(login.status).toBe(200);
    return { browser, csrfToken: ((await login.json()) as { csrfToken: string }).csrfToken };
  }
  const headings = (pages: { html: string }[]) => pages.map((p) => /<h1>([^<]+)/.exec(p.html)?.[1]);

  it('signs a user already in Yunzhen’s viewer in without a password (their own account, no consent for a first-party client)', async () => {
    const { browser } = await viewerBrowser('specialist@scc.demo');
    const { tokens, pages } = await codeFlow('nobody@example.org', { browser });
    expect(pages).toEqual([]);
    const specialist = (await t.repos.users.findByEmail('specialist@scc.demo'))!;
    expect(tokens.claims()).toMatchObject({ sub: specialist.id });
    expect(await studyUids(tokens.access_token)).toEqual([xuhuiStudy]);
    const minhang = await viewerBrowser('rad@minhang.demo');
    const asMinhang = await codeFlow('nobody@example.org', { browser: minhang.browser });
    expect(asMinhang.pages).toEqual([]);
    expect(await studyUids(asMinhang.tokens.access_token)).toEqual([]);
  });

  it('asks for the password when the viewer session is revoked or expired, or the client wants another account or a fresh sign-in', async () => {
    // Signed in once through the viewer's session, then out of the viewer: the provider's session ends with it.
    const revoked = await viewerBrowser('specialist@scc.demo');
    expect((await codeFlow('nobody@example.org', { browser: revoked.browser })).pages).toEqual([]);
    expect((await revoked.browser.fetch(`${url}/api/auth/logout`, { method: 'POST', headers: { 'X-CSRF-Token': revoked.csrfToken } })).status).toBeLessThan(300);
    expect(headings((await codeFlow('specialist@scc.demo', { browser: revoked.browser })).pages)).toEqual(['Sign in to Yunzhen']);

    const expired = await viewerBrowser('specialist@scc.demo');
    const specialist = (await t.repos.users.findByEmail('specialist@scc.demo'))!;
    await t.db.kysely.updateTable('user_session').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', specialist.id).execute();
    expect(headings((await codeFlow('specialist@scc.demo', { browser: expired.browser })).pages)).toEqual(['Sign in to Yunzhen']);

    // A Minhang radiographer in the viewer; the client asks for the SCC specialist's account: the password decides.
    const minhang = await viewerBrowser('rad@minhang.demo');
    const other = await codeFlow('specialist@scc.demo', { browser: minhang.browser, parameters: { login_hint: 'specialist@scc.demo' } });
    expect(headings(other.pages)).toEqual(['Sign in to Yunzhen']);
    expect(await studyUids(other.tokens.access_token)).toEqual([xuhuiStudy]);
    const fresh = await viewerBrowser('specialist@scc.demo');
    expect(headings((await codeFlow('specialist@scc.demo', { browser: fresh.browser, parameters: { prompt: 'login' } })).pages)).toEqual(['Sign in to Yunzhen']);
  });

  it('registers a confidential client whose secret is shown once; an edit makes it first-party; removing it ends its tokens at once', async () => {
    const admin = await t.token('admin@scc.demo');
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${url}/api/oidc-clients${path}`, { method, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const made = await call('POST', '', { clientId: 'pacs-portal', name: 'PACS portal', redirectUris: [REDIRECT], confidential: true });
    expect(made.status).toBe(201);
    const { client: registered, clientSecret } = (await made.json()) as { client: Record<string, unknown>; clientSecret: string };
    expect(registered).toMatchObject({ clientId: 'pacs-portal', confidential: true, firstParty: false, source: 'admin' });
    expect(clientSecret).toMatch(/^[\w-]{43}$/);
    const listed = JSON.stringify(await (await call('GET', '')).json());
    expect(listed).toContain('pacs-portal');
    expect(listed).not.toContain(clientSecret);

    const discoverConfidential = (secret: string) =>
      client.discovery(new URL(`${url}/oidc`), 'pacs-portal', undefined, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
    await expect(codeFlow('specialist@scc.demo', { clientConfig: await discoverConfidential('not-the-secret') })).rejects.toMatchObject({ status: 401, cause: [{ parameters: { error: 'invalid_client' } }] });
    const withConsent = await codeFlow('specialist@scc.demo', { clientConfig: await discoverConfidential(clientSecret) });
    expect(headings(withConsent.pages)).toEqual(['Sign in to Yunzhen', 'Allow access']);

    expect((await call('PATCH', '/pacs-portal', { name: 'PACS portal (SCC)', redirectUris: [REDIRECT], postLogoutRedirectUris: [], firstParty: true })).status).toBe(200);
    expect((await call('PATCH', '/test-viewer', { name: 'x', redirectUris: [REDIRECT], firstParty: true })).status).toBe(409);
    expect((await call('PATCH', '/nobody', { name: 'x', redirectUris: [REDIRECT], firstParty: true })).status).toBe(404);
    const nurse = await codeFlow('rad@minhang.demo', { clientConfig: await discoverConfidential(clientSecret) });
    expect(headings(nurse.pages)).toEqual(['Sign in to Yunzhen']);
    expect((await qido(nurse.tokens.access_token)).status).toBe(200);

    expect((await call('DELETE', '/pacs-portal')).status).toBe(204);
    expect((await qido(nurse.tokens.access_token)).status).toBe(401);
    expect((await qido(withConsent.tokens.access_token)).status).toBe(401);
    expect((await call('DELETE', '/pacs-portal')).status).toBe(404);
  });
});
