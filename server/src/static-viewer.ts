import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';

import type { AppEnv } from './app-env.js';

/**
 * Serves the built viewer: fingerprinted assets cached for a year, every other GET that
 * is not an API path answered with `index.html` so client-side routes survive a reload.
 */
export function viewerRoutes(distDir: string) {
  let indexHtml: Promise<string> | undefined;
  return new Hono<AppEnv>()
    .use('/assets/*', async (c, next) => {
      await next();
      if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=31536000, immutable');
    })
    .use('*', serveStatic({ root: distDir }))
    // A missing asset is a 404, not the index page under a one-year cache header.
    .get('/assets/*', (c) => c.text('not found', 404, { 'Cache-Control': 'no-store' }))
    .get('*', async (c) => {
      indexHtml ??= readFile(join(distDir, 'index.html'), 'utf8').catch((error: unknown) => {
        indexHtml = undefined;
        throw error;
      });
      c.header('Cache-Control', 'no-cache');
      return c.html(await indexHtml);
    });
}
