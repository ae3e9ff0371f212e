/**
 * `pnpm bench:dicom`: how long the DICOM engine takes, and how much memory it takes, on the large
 * and hostile inputs the unit tests check for behaviour only (parse.test.ts, scan.test.ts,
 * validate.test.ts build the same inputs). Timing and memory thresholds do not belong in tests:
 * they fail on a busy machine and pass on a fast one, whatever the code does.
 *
 * Each case runs once cold (its first call in this process) and then `--rounds` times warm
 * (default 20). Every call is checked to do what the tests expect (refuse with the right code,
 * or succeed), so a figure is never the time of a wrong answer. Inputs are built in memory
 * before timing. `array_buffers_growth_mb` is `process.memoryUsage().arrayBuffers` right after
 * the call minus right before it, with a full garbage collection before the call: the buffer
 * memory the call allocated and had not yet given back (cold: the first call; warm: the largest
 * of five more calls, made after the timed rounds).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { deflateSync } from 'fflate';

import { DicomError, parseDicom, scanDicom, Tags, validateForIngest, writeDicom, type DicomErrorCode } from '../src/index.js';
import { ascii, concat, explicit, item, part10, sequenceDelimiter, u32, UNDEFINED } from '../src/testing/bytes.js';
import { readSample } from '../src/testing/samples.js';

const explicitLE = '1.2.840.10008.1.2.1';

function refuses(code: DicomErrorCode, action: () => unknown): () => void {
  return () => {
    try {
      action();
    } catch (error) {
      if (error instanceof DicomError && error.code === code) return;
      throw error;
    }
    throw new Error(`expected a ${code} refusal`);
  };
}

function nestedSequences(depth: number): Uint8Array {
  const open = concat(explicit(0x00081140, 'SQ', new Uint8Array(0), { length: UNDEFINED }), item(new Uint8Array(0), false).subarray(0, 4), u32(UNDEFINED));
  const close = concat(ascii('\u00fe\u00ff\u000d\u00e0'), u32(0), sequenceDelimiter());
  return part10(concat(...Array<Uint8Array>(depth).fill(open), ...Array<Uint8Array>(depth).fill(close)), explicitLE);
}

const nested = nestedSequences(10_000);
const fourGiB = part10(explicit(Tags.PixelData, 'OB', new Uint8Array(16), { length: 0xfffffffe }), explicitLE);
// 64 MiB of zeros deflate to about 64 KB (1000:1), inside a valid element.
const bomb = part10(deflateSync(explicit(0x00091010, 'OB', new Uint8Array(64 * 1024 * 1024)), { level: 9 }), '1.2.840.10008.1.2.1.99');
const jxl = readSample('transfer-syntaxes/will-jxl.dcm');
const hugeGeometry = parseDicom(
  writeDicom({
    transferSyntaxUid: explicitLE,
    dataset: [
      { tag: Tags.SOPClassUID, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
      { tag: Tags.SOPInstanceUID, vr: 'UI', value: '2.25.100' },
      { tag: Tags.StudyInstanceUID, vr: 'UI', value: '2.25.101' },
      { tag: Tags.SeriesInstanceUID, vr: 'UI', value: '2.25.102' },
      { tag: Tags.Rows, vr: 'US', value: 65535 },
      { tag: Tags.Columns, vr: 'US', value: 65535 },
      { tag: Tags.BitsAllocated, vr: 'US', value: 16 },
      { tag: Tags.SamplesPerPixel, vr: 'US', value: 1 },
      { tag: Tags.NumberOfFrames, vr: 'IS', value: '50000' },
      { tag: Tags.PixelData, vr: 'OW', bytes: new Uint8Array(32) },
    ],
  }),
);

const cases: { name: string; input_bytes: number; call: () => void }[] = [
  { name: 'parse-nested-10000-refused', input_bytes: nested.length, call: refuses('NestingTooDeep', () => parseDicom(nested)) },
  {
    name: 'parse-nested-10000-limit-lifted',
    input_bytes: nested.length,
    call: () => {
      if (parseDicom(nested, { maxNestingDepth: 20_000 }).dataset.elements.length !== 1) throw new Error('the nested sequence did not parse');
    },
  },
  { name: 'parse-length-4gib-refused', input_bytes: fourGiB.length, call: refuses('LengthPastEnd', () => parseDicom(fourGiB)) },
  { name: 'parse-deflate-bomb-refused', input_bytes: bomb.length, call: refuses('DecompressionBomb', () => parseDicom(bomb)) },
  {
    name: 'scan-jxl-27-frames',
    input_bytes: jxl.length,
    call: () => {
      if (!scanDicom(jxl).ok) throw new Error('will-jxl.dcm did not scan');
    },
  },
  { name: 'validate-65535x65535x50000-refused', input_bytes: hugeGeometry.dataset.bytes.length, call: refuses('ImpossiblePixelGeometry', () => validateForIngest(hugeGeometry)) },
];

// A full collection before each memory measurement, so the growth is this call's and never
// another's garbage collected meanwhile. Set here rather than with `node --expose-gc` because the
// benchmark runner starts every benchmark the same way. Timed calls are not preceded by one: a
// forced collection slows the call after it.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function measure(call: () => void, collect: boolean): { ms: number; growthMb: number } {
  // Twice: V8 frees the buffers a collection found dead while the program runs on, and the
  // next collection first finishes that, so one alone can leave earlier garbage counted in
  // `before` and freed during the call (a negative growth).
  if (collect) {
    gc();
    gc();
  }
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  call();
  const ms = performance.now() - started;
  return { ms, growthMb: (process.memoryUsage().arrayBuffers - before) / 2 ** 20 };
}

const index = process.argv.indexOf('--rounds');
const rounds = index > 0 ? Number(process.argv[index + 1]) : 20;
const round = (value: number, digits: number) => Number(value.toFixed(digits));

for (const { name, input_bytes, call } of cases) {
  const cold = measure(call, true);
  const warm = Array.from({ length: rounds }, () => measure(call, false));
  const warmGrowth = Array.from({ length: 5 }, () => measure(call, true).growthMb);
  const ms = warm.map((w) => w.ms).sort((a, b) => a - b);
  const common = { bench: 'dicom', case: name, input_bytes, source: 'memory' };
  const lines = [
    { ...common, cache: 'cold', rounds: 1, median_ms: round(cold.ms, 3), max_ms: round(cold.ms, 3), array_buffers_growth_mb: round(cold.growthMb, 2) },
    {
      ...common,
      cache: 'warm',
      rounds,
      median_ms: round(ms[Math.floor(rounds / 2)]!, 3),
      max_ms: round(ms[rounds - 1]!, 3),
      array_buffers_growth_mb: round(Math.max(...warmGrowth), 2),
    },
  ];
  for (const line of lines) console.log(JSON.stringify(line));
  console.log(`# ${name}: cold ${lines[0]!.median_ms} ms; warm median ${lines[1]!.median_ms} ms, max ${lines[1]!.max_ms} ms of ${rounds}; arrayBuffers grew at most ${Math.max(cold.growthMb, lines[1]!.array_buffers_growth_mb).toFixed(2)} MB`);
}
