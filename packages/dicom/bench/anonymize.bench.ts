/**
 * `pnpm bench:anonymize`: de-identification throughput on one core (Node runs the anonymizer on
 * its main thread, one instance after the other, as the server does per upload).
 *
 * Sets, generated in memory so nothing depends on local files:
 * - `ct-300x512`: a 300-slice CT series, 512×512×16-bit, explicit VR Little Endian, with a
 *   realistic header full of identity (patient, physicians, institution in UTF-8, device, private tags);
 * - `small-1000`: 1,000 instances of the same kind at 64×64.
 *
 * Each set is processed `--warmup` times (default 3) so the JIT has compiled the hot paths, as in
 * a long-running server, then `--rounds` times (default 7); the median round is the result, the
 * best round and the first (cold) round are reported too. MB/s counts input bytes
 * (1 MB = 10^6 bytes). Prints one JSON line per set for machines and one line for people.
 */
import { anonymize, createMemoryPseudonymStore, remoteDiagnosisProfile } from '../src/index.js';
import { randomBytesForStore } from '../src/testing/random.js';
import { buildCtSeries } from '../src/testing/synthetic.js';

interface Measurement {
  readonly set: string;
  readonly instances: number;
  readonly bytes: number;
  /** Seconds per measured round. */
  readonly seconds: number[];
  /** Seconds of the very first (cold) round. */
  readonly cold: number;
}

async function measure(set: string, files: readonly Uint8Array[], warmup: number, rounds: number): Promise<Measurement> {
  const bytes = files.reduce((total, file) => total + file.length, 0);
  const seconds: number[] = [];
  let cold = 0;
  for (let round = 0; round < warmup + rounds; round++) {
    // A fresh store per round, as a new hospital would have: UIDs are minted, not looked up.
    const pseudonyms = createMemoryPseudonymStore({ random: randomBytesForStore });
    const start = performance.now();
    for (const file of files) await anonymize(file, { profile: remoteDiagnosisProfile }, { pseudonyms });
    const elapsed = (performance.now() - start) / 1000;
    if (round === 0) cold = elapsed;
    if (round >= warmup) seconds.push(elapsed);
  }
  return { set, instances: files.length, bytes, seconds, cold };
}

function report({ set, instances, bytes, seconds, cold }: Measurement): void {
  const sorted = [...seconds].sort((a, b) => a - b);
  const best = sorted[0]!;
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const megabytes = bytes / 1e6;
  const rate = (time: number) => Number((megabytes / time).toFixed(1));
  const line = {
    bench: 'anonymize',
    set,
    instances,
    mb: Number(megabytes.toFixed(1)),
    mb_per_s: rate(median),
    instances_per_s: Number((instances / median).toFixed(1)),
    best_mb_per_s: rate(best),
    cold_mb_per_s: rate(cold),
    rounds: seconds.length,
    node: process.version,
  };
  console.log(JSON.stringify(line));
  console.log(
    `${set}: ${instances} instances, ${line.mb} MB, median ${(median * 1000).toFixed(0)} ms → ${line.mb_per_s} MB/s, ${line.instances_per_s} instances/s ` +
      `(best ${line.best_mb_per_s} MB/s, first cold round ${line.cold_mb_per_s} MB/s)`,
  );
}

const option = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const warmup = option('--warmup', 3);
const rounds = option('--rounds', 7);

const ct = buildCtSeries({ slices: 300, rows: 512, columns: 512, seed: 7 });
report(await measure('ct-300x512', ct, warmup, rounds));
const small = buildCtSeries({ slices: 1000, rows: 64, columns: 64, seed: 11 });
report(await measure('small-1000', small, warmup, rounds));
