/**
 * OHIF Viewer 3.13.2 for `pnpm bench:viewer`: its prebuilt `dist/` from the npm registry (`npm
 * pack @ohif/app`, kept in tests/.cache where the browser test of issue 14 keeps the same copy),
 * served on its own loopback origin with the repository's `ohif/app-config.js` pointed at the
 * Yunzhen server under test. OHIF signs in through Yunzhen's OpenID Connect provider, as a site
 * would deploy it: no proxy adds a token.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { repo } from '../lib.js';

export { OHIF_VERSION, ohifDist, serveOhif } from '@yunzhen/server/testing';

/**
 * The repository's OHIF configuration for a Yunzhen server at `yunzhenUrl`, plus OHIF's study
 * prefetcher as OHIF's own published configurations set it (`enabled`, 2 display sets, 10
 * requests, closest first). Without it OHIF 3.13 fetches only the slices a reader scrolls to
 * (its built-in default is off), and "all slices loaded" would never happen.
 */
export function ohifAppConfig(yunzhenUrl: string): string {
  const config = readFileSync(join(repo, 'ohif/app-config.js'), 'utf8');
  const placeholder = "const YUNZHEN = 'https://yunzhen.example.org';";
  if (!config.includes(placeholder)) throw new Error('ohif/app-config.js no longer names its Yunzhen address as the bench expects');
  return (
    config.replace(placeholder, `const YUNZHEN = '${yunzhenUrl}';`) +
    "\nwindow.config.studyPrefetcher = { enabled: true, displaySetsCount: 2, maxNumPrefetchRequests: 10, order: 'closest' };\n"
  );
}
