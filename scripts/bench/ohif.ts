/**
 * OHIF Viewer 3.13.2 for `pnpm bench:viewer`: its prebuilt `dist/` from the npm registry (`npm
 * pack @ohif/app`, kept in tests/.cache where the browser test of issue 14 keeps the same copy),
 * served on its own loopback origin with the repository's `ohif/app-config.js` pointed at the
 * Yunzhen server under test. OHIF signs in through Yunzhen's OpenID Connect provider, as a site
 * would deploy it: no proxy adds a token.
 */
import { ohifAppConfig } from '@yunzhen/server/testing';

export { OHIF_VERSION, ohifDist, serveOhif, serverEnvForOhif } from '@yunzhen/server/testing';

/**
 * The repository's OHIF configuration for a Yunzhen server at `yunzhenUrl`, plus OHIF's study
 * prefetcher as OHIF's own published configurations set it (`enabled`, 2 display sets, 10
 * requests, closest first). Without it OHIF 3.13 fetches only the slices a reader scrolls to
 * (its built-in default is off), and "all slices loaded" would never happen.
 */
export function ohifBenchConfig(yunzhenUrl: string): string {
  return ohifAppConfig(yunzhenUrl) + "\nwindow.config.studyPrefetcher = { enabled: true, displaySetsCount: 2, maxNumPrefetchRequests: 10, order: 'closest' };\n";
}
