/**
 * Quick start: builds the viewer if needed and runs Yunzhen on embedded defaults (embedded PostgreSQL and
 * a filesystem object store under ./data), creating the demo union on first start.
 * Production deployments run `pnpm serve` with their own environment instead.
 */
import { buildViewerIfStale } from './lib.js';

await buildViewerIfStale();
process.env.YUNZHEN_DEMO ??= 'true';
await import('../server/src/main.js');
