/**
 * `pnpm bench:anonymize`: de-identification throughput on one core (Node runs the anonymizer on
 * its main thread, one instance after the other, as the server does per upload), configured as
 * the server's ingest calls it: validation at `archiveValidation` and HMAC-SHA256 pseudonyms
 * (see `hmacPseudonyms` below).
 *
 * Sets, generated in memory so nothing depends on local files (source: memory):
 * - `ct-300x512`: a 300-slice CT series, 512×512×16-bit, explicit VR Little Endian, with a
 *   realistic header full of identity (patient, physicians, institution in UTF-8, device, private tags);
 * - `small-1000`: 1,000 instances of the same kind at 64×64.
 *
 * Each set is processed once cold (the first round in this process, before the JIT has compiled
 * the hot paths), then `--warmup` more times (default 2), then `--rounds` times (default 7) warm,
 * as in a long-running server; the warm figure is the median round. MB/s counts input bytes
 * (1 MB = 10^6 bytes). Prints one JSON line per set and cache state, and one line for people.
 */
import { createHmac, randomBytes } from 'node:crypto';

import { anonymize, archiveValidation, dateShiftFromBytes, patientKeyOf, pseudonymFromBytes, remoteDiagnosisProfile, uidFromBytes, type PseudonymStore } from '../src/index.js';
import { buildCtSeries } from '../src/testing/synthetic.js';

/**
 * The pseudonym work the server's ingest does per instance (server/src/ingest/hmac-pseudonym-store.ts,
 * which this package cannot import): one HMAC-SHA256 per UID and one per patient, under keys of
 * the sending hospital. Kept in step with that file by hand; the keys here are random.
 */
function hmacPseudonyms(): PseudonymStore {
  const uidKey = randomBytes(32);
  const patientKey = randomBytes(32);
  return {
    resolve(request) {
      const uids = new Map(request.uids.map((uid) => [uid, uidFromBytes(createHmac('sha256', uidKey).update(uid, 'utf8').digest().subarray(0, 16))]));
      const digest = createHmac('sha256', patientKey).update(patientKeyOf(request.patient), 'utf8').digest();
      const id = pseudonymFromBytes('YZ', digest.subarray(0, 10));
      return Promise.resolve({ uids, patient: { id, name: `ANONYMOUS^${id}` }, dateShiftDays: dateShiftFromBytes(digest.subarray(10, 12)) });
    },
  };
}

interface Measurement {
  readonly set: string;
  readonly instances: number;
  readonly bytes: number;
  /** Seconds per warm round. */
  readonly seconds: number[];
  /** Seconds of the first round in the process (cold). */
  readonly cold: number;
}

async function measure(set: string, files: readonly Uint8Array[], warmup: number, rounds: number): Promise<Measurement> {
  const bytes = files.reduce((total, file) => total + file.length, 0);
  const pseudonyms = hmacPseudonyms();
  const seconds: number[] = [];
  let cold = 0;
  for (let round = 0; round < 1 + warmup + rounds; round++) {
    const start = performance.now();
    for (const file of files) await anonymize(file, { profile: remoteDiagnosisProfile, validation: archiveValidation }, { pseudonyms });
    const elapsed = (performance.now() - start) / 1000;
    if (round === 0) cold = elapsed;
    if (round > warmup) seconds.push(elapsed);
  }
  return { set, instances: files.length, bytes, seconds, cold };
}

function report({ set, instances, bytes, seconds, cold }: Measurement): void {
  const median = [...seconds].sort((a, b) => a - b)[Math.floor(seconds.length / 2)]!;
  const megabytes = bytes / 1e6;
  const common = { bench: 'anonymize', set, instances, mb: Number(megabytes.toFixed(1)), source: 'memory', pseudonyms: 'hmac-sha256', validation: archiveValidation };
  const figures = (time: number) => ({ mb_per_s: Number((megabytes / time).toFixed(1)), instances_per_s: Number((instances / time).toFixed(1)) });
  const coldLine = { ...common, cache: 'cold', rounds: 1, ...figures(cold) };
  const warmLine = { ...common, cache: 'warm', rounds: seconds.length, ...figures(median) };
  console.log(JSON.stringify(coldLine));
  console.log(JSON.stringify(warmLine));
  console.log(
    `# ${set}: ${instances} instances, ${common.mb} MB: warm (median of ${seconds.length}) ${warmLine.mb_per_s} MB/s, ${warmLine.instances_per_s} instances/s; ` +
      `cold (first round) ${coldLine.mb_per_s} MB/s, ${coldLine.instances_per_s} instances/s`,
  );
}

const option = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const warmup = option('--warmup', 2);
const rounds = option('--rounds', 7);

const ct = buildCtSeries({ slices: 300, rows: 512, columns: 512, seed: 7 });
report(await measure('ct-300x512', ct, warmup, rounds));
const small = buildCtSeries({ slices: 1000, rows: 64, columns: 64, seed: 11 });
report(await measure('small-1000', small, warmup, rounds));
