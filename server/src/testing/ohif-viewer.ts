/**
 * OHIF Viewer 3.13.2, the peer viewer of the browser test of issue 14 and of `pnpm bench:viewer`:
 * its prebuilt `dist/` from the npm registry (`npm pack @ohif/app`, kept in tests/.cache), served
 * on its own loopback origin with an app configuration the caller writes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

export const OHIF_VERSION = '3.13.2';

/** OHIF's prebuilt viewer, fetched once with npm and kept in tests/.cache. */
export function ohifDist(): string {
  const cache = join(repo, 'tests/.cache', `ohif-${OHIF_VERSION}`);
  const dist = join(cache, 'package/dist');
  if (existsSync(join(dist, 'index.html'))) return dist;
  mkdirSync(cache, { recursive: true });
  const tarball = execFileSync('npm', ['pack', `@ohif/app@${OHIF_VERSION}`, '--pack-destination', cache, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  execFileSync('tar', ['xzf', join(cache, tarball), '-C', cache]);
  return dist;
}

/**
 * The environment a Yunzhen server needs to serve OHIF at `ohifUrl`, as a site would set it:
 * OHIF's origin allowed (CORS) and OHIF registered as a first-party OpenID Connect client.
 */
export function serverEnvForOhif(ohifUrl: string): Record<string, string> {
  const client = { clientId: 'ohif', name: 'OHIF Viewer', redirectUris: [`${ohifUrl}/callback`], postLogoutRedirectUris: [`${ohifUrl}/logout-redirect.html`], firstParty: true };
  return { CORS_ORIGINS: ohifUrl, OIDC_CLIENTS: JSON.stringify([client]) };
}

/** The repository's `ohif/app-config.js`, pointed at the Yunzhen server at `yunzhenUrl`. */
export function ohifAppConfig(yunzhenUrl: string): string {
  const config = readFileSync(join(repo, 'ohif/app-config.js'), 'utf8');
  const placeholder = "const YUNZHEN = 'https://yunzhen.example.org';";
  if (!config.includes(placeholder)) throw new Error('ohif/app-config.js no longer names its Yunzhen address as the tests expect');
  return config.replace(placeholder, `const YUNZHEN = '${yunzhenUrl}';`);
}

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff' };

/**
 * A static server for OHIF's single-page app on loopback: its files as they are, index.html
 * for its routes, and `appConfig()` (read at each request: each cold round has a new Yunzhen
 * server) as `/app-config.js`.
 */
export function serveOhif(dist: string, appConfig: () => string): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    if (path === '/app-config.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' }).end(appConfig());
      return;
    }
    const file = join(dist, path);
    const found = file.startsWith(dist) && existsSync(file) && statSync(file).isFile() ? file : join(dist, 'index.html');
    res.writeHead(200, { 'Content-Type': types[extname(found)] ?? 'application/octet-stream' }).end(readFileSync(found));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}
