/**
 * `pnpm bench eventloop`: does one hostile upload stall everyone else? A Yunzhen server (embedded
 * defaults) is sent deflate bombs by STOW-RS (a 0.26 MB Deflated Explicit VR Little Endian file
 * whose data set inflates to 256 MiB of zeros; refused as DecompressionBomb once it passes the
 * inflate budget), while another client asks `/healthz` every 10 ms on its own connection.
 * Reports `/healthz` latency (median, p99, slowest) with and without the bombs, and how long
 * each refusal took. Issue 10 part 4 asks for under 100 ms; this measures it, no test asserts it.
 */
import { deflateRawSync } from 'node:zlib';

import { explicit, part10 } from '@yunzhen/dicom/testing/bytes';
import { demoToken, spawnServer, stowBody } from '@yunzhen/server/testing';

import { percentile, report, round } from './harness.js';

const DEFLATED = '1.2.840.10008.1.2.1.99';
const bomb = part10(deflateRawSync(explicit(0x00091010, 'OB', new Uint8Array(256 * 1024 * 1024)), { level: 9 }), DEFLATED);

const server = await spawnServer();
try {
  const token = await demoToken(server.url, 'rad@xuhui.demo');
  const probe = async (durationMs: number) => {
    const latencies: number[] = [];
    const end = performance.now() + durationMs;
    while (performance.now() < end) {
      const started = performance.now();
      const response = await fetch(`${server.url}/healthz`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return latencies;
  };
  const summary = (values: number[]) => ({ median_ms: round(percentile(values, 50), 1), p99_ms: round(percentile(values, 99), 1), max_ms: round(Math.max(...values), 1), samples: values.length });

  await probe(1000); // warm up
  const quiet = summary(await probe(3000));

  const refusals: number[] = [];
  let sending = true;
  const bombs = (async () => {
    while (sending) {
      const { body, contentType } = stowBody([bomb]);
      const started = performance.now();
      const response = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
      const text = await response.text();
      if (response.status !== 409 || !text.includes('DecompressionBomb')) throw new Error(`the bomb was answered ${response.status}`);
      refusals.push(performance.now() - started);
    }
  })();
  const underBombs = summary(await probe(5000));
  sending = false;
  await bombs;

  report(
    {
      bench: 'eventloop',
      set: 'deflate-bomb-0.26mb',
      cache: 'warm',
      source: 'memory',
      bomb_bytes: bomb.length,
      healthz_quiet: quiet,
      healthz_under_bombs: underBombs,
      bombs_refused: refusals.length,
      refusal_median_ms: round(percentile(refusals, 50), 0),
      refusal_max_ms: round(Math.max(...refusals), 0),
    },
    `/healthz quiet: median ${quiet.median_ms} ms, p99 ${quiet.p99_ms} ms, max ${quiet.max_ms} ms | while ${refusals.length} bombs of ${round(bomb.length / 1e6, 2)} MB were refused ` +
      `(median ${round(percentile(refusals, 50), 0)} ms each): median ${underBombs.median_ms} ms, p99 ${underBombs.p99_ms} ms, max ${underBombs.max_ms} ms`,
  );
} finally {
  await server.stop();
}
