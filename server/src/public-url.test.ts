import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { publicBase, type PublicUrlOptions } from './public-url.js';
import { readSample, stowBody } from './testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from './testing/test-app.js';

const LISTEN = 'http://10.1.2.3:8080';

/** The base `publicBase` gives one request with these headers. */
async function baseFor(options: Partial<PublicUrlOptions>, headers: Record<string, string>): Promise<string> {
  const app = new Hono().get('/', (c) => c.text(publicBase(c, { trustProxy: false, listenOrigin: () => LISTEN, ...options })));
  return (await app.request('http://forged.example/', { headers })).text();
}

describe('absolute links name PUBLIC_URL, a trusted proxy or the listening address, never the raw Host', () => {
  it('takes PUBLIC_URL before anything a request says', async () => {
    expect(await baseFor({ publicUrl: 'https://yunzhen.example.org/pacs', trustProxy: true }, { Host: 'forged.example', 'X-Forwarded-Host': 'other.example' })).toBe('https://yunzhen.example.org/pacs');
  });

  it('ignores forwarded headers unless the proxy is trusted', async () => {
    expect(await baseFor({}, { Host: 'forged.example', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'forged.example', Forwarded: 'proto=https;host=forged.example' })).toBe(LISTEN);
  });

  it('behind a trusted proxy, takes Forwarded first, then X-Forwarded-Proto/Host, and refuses malformed values', async () => {
    const trusted = { trustProxy: true };
    expect(await baseFor(trusted, { Forwarded: 'for=192.0.2.60;proto=https;host="yunzhen.example.org", for=10.0.0.1;proto=http;host=inner' })).toBe('https://yunzhen.example.org');
    expect(await baseFor(trusted, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'Yunzhen.Example.org:8443' })).toBe('https://yunzhen.example.org:8443');
    expect(await baseFor(trusted, { 'X-Forwarded-Host': '[2001:db8::1]:8443' })).toBe('http://[2001:db8::1]:8443');
    for (const host of ['evil.example/phish', 'evil.example@x', 'a b', '"><script>', 'evil.example:99999999']) {
      expect(await baseFor(trusted, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': host }), host).toBe(LISTEN);
    }
    expect(await baseFor(trusted, { 'X-Forwarded-Proto': 'javascript', 'X-Forwarded-Host': 'yunzhen.example.org' })).toBe(LISTEN);
    expect(await baseFor(trusted, { Host: 'forged.example' }), 'no forwarded header: the listening address').toBe(LISTEN);
  });
});

describe('DICOMweb links with a forged Host (STOW-RS RetrieveURL, QIDO-RS RetrieveURL, WADO-RS BulkDataURI)', () => {
  let direct: TestApp;
  let proxied: TestApp;
  let token: string;
  const forged = { Host: 'evil.example' };
  const json = (value: unknown) => JSON.stringify(value);

  beforeAll(async () => {
    direct = await createTestApp({ db: 'embedded', settings: { listenOrigin: () => LISTEN } });
    proxied = await createTestApp({ db: 'embedded', settings: { publicUrl: 'https://yunzhen.example.org', trustProxy: true, listenOrigin: () => LISTEN } });
    token = await direct.token('rad@xuhui.demo');
  }, 120_000);
  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
  });

  it('never echoes a forged Host, and names the listening address when nothing else is configured', async () => {
    const { body, contentType } = stowBody([readSample('studies/mr-16slice/MR01.dcm')]);
    const stored = await direct.request('http://evil.example/dicomweb/studies', { method: 'POST', headers: { ...forged, Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
    expect(stored.status).toBe(200);
    const stow = await stored.text();
    expect(stow).not.toContain('evil.example');
    const retrieveUrl = JSON.parse(stow)['00081199'].Value[0]['00081190'].Value[0] as string;
    expect(retrieveUrl.startsWith(`${LISTEN}/dicomweb/studies/`)).toBe(true);

    const qido = await (await direct.request('http://evil.example/dicomweb/studies', { headers: { ...forged, Authorization: `Bearer ${token}` } })).text();
    expect(qido).not.toContain('evil.example');
    expect(qido).toContain(`${LISTEN}/dicomweb/studies/`);

    const metadata = await (await direct.request(`http://evil.example${new URL(retrieveUrl).pathname}/metadata`, { headers: { ...forged, Authorization: `Bearer ${token}` } })).json();
    expect(metadata[0]['7FE00010'].BulkDataURI.startsWith(`${LISTEN}/dicomweb/studies/`)).toBe(true);
    expect(json(metadata)).not.toContain('evil.example');
  });

  it('names PUBLIC_URL, and accepts a browser form from that origin (CSRF) behind a TLS proxy', async () => {
    const proxiedToken = await proxied.token('rad@xuhui.demo');
    const { body, contentType } = stowBody([readSample('studies/mr-16slice/MR02.dcm')]);
    const stored = await proxied.request('http://evil.example/dicomweb/studies', { method: 'POST', headers: { ...forged, 'X-Forwarded-Host': 'evil.example', Authorization: `Bearer ${proxiedToken}`, 'Content-Type': contentType }, body });
    const retrieveUrl = (await stored.json())['00081199'].Value[0]['00081190'].Value[0] as string;
    expect(retrieveUrl.startsWith('https://yunzhen.example.org/dicomweb/studies/')).toBe(true);

    // The request reaches the server as http on its own address; the page's origin is the public https one.
    const session = await proxied.login('admin@xuhui.demo');
    const fromPage = await proxied.request('http://10.1.2.3:8080/api/auth/logout', { method: 'POST', session, headers: { Origin: 'https://yunzhen.example.org' } });
    expect(fromPage.status).toBe(204);
    const other = await proxied.login('admin@xuhui.demo');
    const crossSite = await proxied.request('http://10.1.2.3:8080/api/auth/logout', { method: 'POST', session: other, headers: { Origin: 'https://evil.example' } });
    expect((await crossSite.json()).error.code).toBe('CrossOriginRequest');
  });
});
