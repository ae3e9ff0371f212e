/**
 * `pnpm bench:readme [--runs N]`: rewrites the README's benchmark tables from the recorded
 * results (bench/results/<name>.jsonl), between `<!-- bench:<name>:start -->` and
 * `<!-- bench:<name>:end -->`. Each figure is the range (lowest–highest) over the last N runs of
 * its benchmark (default 3), and each table lists those runs (date, commit, machine, load), so
 * every figure can be traced to the lines it came from. Nothing else in the README is touched.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { resultsDir, type RunInfo } from '../bench.js';
import { repo } from '../lib.js';

type Line = RunInfo & Record<string, unknown>;
interface Run {
  info: RunInfo;
  lines: Line[];
}

const option = process.argv.indexOf('--runs');
const lastRuns = option > 0 ? Number(process.argv[option + 1]) : 3;

/**
 * Runs whose figures the current table shows, for benchmarks whose method changed: a figure of
 * another method must not widen a range. `bench:viewer` timed a DOM flag until issue 15; since,
 * it reads the first non-black pixel back from the canvas and runs OHIF beside Yunzhen.
 */
const comparable: Record<string, (run: Run) => boolean> = {
  viewer: (run) => run.lines.some((line) => line.method === 'canvas-readback' && line.set === 'ct-300x512'),
};

/** The last `lastRuns` runs of a benchmark, oldest first; a run is the lines with one start date. */
function runsOf(name: string): Run[] {
  const file = join(repo, resultsDir, `${name}.jsonl`);
  if (!existsSync(file)) return [];
  const byDate = new Map<string, Line[]>();
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    const line = JSON.parse(text) as Line;
    byDate.set(line.date, [...(byDate.get(line.date) ?? []), line]);
  }
  return [...byDate.values()]
    .map((lines) => ({ info: lines[0]!, lines }))
    .filter((run) => comparable[name]?.(run) ?? true)
    .sort((a, b) => a.info.date.localeCompare(b.info.date))
    .slice(-lastRuns);
}

/** The line of a run whose fields equal `match`, if any. */
function find(run: Run, match: Record<string, unknown>): Line | undefined {
  return run.lines.find((line) => Object.entries(match).every(([key, value]) => line[key] === value));
}

function format(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(Math.abs(value) >= 1 ? 1 : 2);
}

/** "lowest–highest" of a figure over the runs that have it; "—" when none has. */
function range(runs: Run[], pick: (run: Run) => number | undefined, digits?: number): string {
  const values = runs.map(pick).filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  if (!values.length) return '—';
  // Counts (all whole numbers) as they are; measurements to the digits they are worth.
  const counts = values.every(Number.isInteger);
  const show = (value: number) => (digits !== undefined ? value.toFixed(digits) : counts ? value.toLocaleString('en-US') : format(value));
  const [low, high] = [show(Math.min(...values)), show(Math.max(...values))];
  return low === high ? low : `${low}–${high}`;
}

/** A figure of the line matching `match`, as a range over the runs. */
const figure = (runs: Run[], match: Record<string, unknown>, field: string) => range(runs, (run) => find(run, match)?.[field] as number | undefined);

/** Whether every run met a goal written as "≤ 0.25×" or "≥ 1.5×": "met", "not met", or "met in k of n runs". */
function goalMet(values: (number | undefined)[], goal: string): string {
  const limit = Number(/[\d.]+/.exec(goal)![0]);
  const measured = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  const met = measured.filter((value) => (goal.startsWith('≤') ? value <= limit : value >= limit)).length;
  if (!measured.length) return 'not measured';
  return met === measured.length ? 'met' : met === 0 ? 'not met' : `met in ${met} of ${measured.length} runs`;
}

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Where the figures came from: each run's date, commit and load, and the machine. */
function provenance(name: string, runs: Run[]): string {
  const each = runs.map(({ info }) => {
    const load = `load ${info.machine.load_start[0]}→${info.machine.load_end[0]}`;
    return `${info.date.slice(0, 16).replace('T', ' ')} UTC at \`${info.commit}\`${info.dirty ? ' (with uncommitted changes)' : ''}, ${load}`;
  });
  const machines = [...new Set(runs.map(({ info: { machine: m } }) => `${m.cores} cores (${m.cpu.trim()}), ${m.memory_gib} GiB, Node ${m.node}`))];
  return (
    `<sub>Ranges over ${runs.length === 1 ? 'one run' : `${runs.length} runs`} in \`${resultsDir}/${name}.jsonl\`: ${each.join('; ')}. ` +
    `Machine: ${machines.join('; ')}. Load: the 1-minute load average at the start and end of the run.</sub>`
  );
}

const tables: Record<string, (runs: Run[]) => string> = {
  dicom(runs) {
    const cases: [string, string][] = [
      ['parse-nested-10000-refused', 'parse 10,000 nested sequences: refused (NestingTooDeep)'],
      ['parse-nested-10000-limit-lifted', 'parse 10,000 nested sequences with the limit lifted'],
      ['parse-length-4gib-refused', 'parse a declared length of 4 GiB: refused'],
      ['parse-deflate-bomb-refused', 'parse a deflate bomb (64 MiB of zeros in 66 KB): refused'],
      ['scan-jxl-27-frames', 'scan a 2.3 MB 27-frame JPEG XL file (upload pre-scan)'],
      ['validate-65535x65535x50000-refused', 'validate 65535² × 50,000 frames: refused'],
    ];
    return table(
      ['input (in memory)', 'cold: first call, ms', 'warm: median / slowest of 20, ms', 'arrayBuffers growth, MB (cold / warm)'],
      cases.map(([name, label]) => {
        const cold = { case: name, cache: 'cold' };
        const warm = { case: name, cache: 'warm' };
        return [
          label,
          figure(runs, cold, 'median_ms'),
          `${figure(runs, warm, 'median_ms')} / ${figure(runs, warm, 'max_ms')}`,
          `${figure(runs, cold, 'array_buffers_growth_mb')} / ${figure(runs, warm, 'array_buffers_growth_mb')}`,
        ];
      }),
    );
  },

  anonymize(runs) {
    const sets: [string, string][] = [
      ['ct-300x512', 'CT 300 × 512×512×16, 157.9 MB'],
      ['small-1000', '1,000 small instances (64×64), 10.1 MB'],
    ];
    const cell = (set: string, cache: string) =>
      `${figure(runs, { set, cache }, 'mb_per_s')} MB/s (${figure(runs, { set, cache }, 'instances_per_s')} instances/s)`;
    return table(
      ['set (in memory)', 'warm: median of 7 rounds', 'cold: first round in the process'],
      sets.map(([set, label]) => [label, cell(set, 'warm'), cell(set, 'cold')]),
    );
  },

  ingest(runs) {
    const rows: string[][] = [];
    for (const [set, label] of [['ct-300x512', 'CT 300×512²'], ['small-1000', '1,000 small']] as const) {
      for (const clients of [1, 4]) {
        const match = { set, clients };
        const ratio = (run: Run) => find(run, match)?.ratio_vs_orthanc as number | undefined;
        rows.push([
          `${label}, ${clients}`,
          `${figure(runs, match, 'instances_per_s')} inst/s (${figure(runs, match, 'mb_per_s')} MB/s)`,
          `${figure(runs, match, 'orthanc_instances_per_s')} inst/s`,
          `${range(runs, ratio, 2)}×`,
          `${figure(runs, match, 'peak_rss_mb')} MB`,
        ]);
      }
    }
    return table(['set, clients (cold: fresh servers per row)', 'Yunzhen', 'Orthanc', 'Yunzhen ÷ Orthanc', 'Yunzhen peak RSS'], rows);
  },

  dicomweb(runs) {
    const queries: [string, string][] = [
      ['latest-50', 'latest 50 studies'],
      ['patient-name-wildcard', 'PatientName wildcard'],
      ['patient-id', 'PatientID'],
      ['date-range-month', 'StudyDate one month'],
      ['modality-ct', 'ModalitiesInStudy=CT'],
      ['accession', 'AccessionNumber'],
      ['series-of-study', 'series of a study'],
      ['instances-of-series', 'instances of a series'],
    ];
    const qido = (query: string, user: string) => {
      const match = { measure: 'qido', query, user };
      return [`${figure(runs, match, 'median_ms')} / ${figure(runs, match, 'p95_ms')} ms`, figure(runs, match, 'matches')];
    };
    const qidoTable = table(
      ['QIDO-RS query (warm: 100 after 5)', 'sending hospital: median / p95', 'results', 'reading centre: median / p95', 'results'],
      queries.map(([query, label]) => [label, ...qido(query, 'sending-hospital'), ...qido(query, 'reading-centre')]),
    );

    const latency = (match: Record<string, unknown>) => {
      const source = runs.map((run) => find(run, { measure: 'frame', ...match })?.source).find(Boolean);
      return source ? `${figure(runs, { measure: 'frame', ...match }, 'median_ms')} / ${figure(runs, { measure: 'frame', ...match }, 'p95_ms')} ms (${source})` : '—';
    };
    const orthanc = (cache: string, mb: number) => latency({ server: 'orthanc', cache, orthanc_storage_cache_mb: mb });
    const frameTable = table(
      ['WADO-RS frame of a 300-slice 512×512 CT', 'Yunzhen: median / p95', 'Orthanc, storage cache 128 MB (its default)', 'Orthanc, 256 MB'],
      [
        ['cold: the first read of each of the 300 instances', latency({ server: 'yunzhen', cache: 'cold' }), orthanc('cold', 128), '—'],
        ['warm: 600 at random after 1,000 to warm up', latency({ server: 'yunzhen', cache: 'warm' }), orthanc('warm', 128), orthanc('warm', 256)],
      ],
    );

    // Pairs of retrievals to compare: the same step for both servers, and each one's warmest.
    const study = (server: string, step: string) => ({ measure: 'study-retrieve', server, step });
    const retrieval = (match: Record<string, unknown>) => {
      const line = runs.map((run) => find(run, match)).find(Boolean);
      return line ? `${figure(runs, match, 'mb_per_s')} MB/s (${line.cache}, ${line.source})` : '—';
    };
    const ratio = (ours: Record<string, unknown>, theirs: Record<string, unknown>) => (run: Run) => {
      const a = find(run, ours)?.mb_per_s as number | undefined;
      const b = find(run, theirs)?.mb_per_s as number | undefined;
      return a && b ? a / b : undefined;
    };
    const pairs: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['the first retrieval (Orthanc restarted before it)', study('yunzhen', 'first-read'), study('orthanc', 'first-read')],
      ['repeated: the median of the next 5', study('yunzhen', 'repeat'), study('orthanc', 'repeat')],
      ['each from memory: Yunzhen after the frame reads (median of 5 after 2), Orthanc repeated', study('yunzhen', 'after-frame-reads'), study('orthanc', 'repeat')],
    ];
    const studyTable = table(
      ['WADO-RS whole study, 157.9 MB', 'Yunzhen (object cache 256 MB)', 'Orthanc (storage cache 256 MB)', 'Yunzhen ÷ Orthanc'],
      pairs.map(([label, ours, theirs]) => [label, retrieval(ours), retrieval(theirs), `${range(runs, ratio(ours, theirs), 2)}×`]),
    );
    return [qidoTable, frameTable, studyTable].join('\n\n');
  },

  viewer(runs) {
    const open = (viewer: string, cache: string) => ({ measure: 'open-from-list', viewer, cache });
    const ms = (viewer: string, cache: string) => `${figure(runs, open(viewer, cache), 'first_image_ms')} ms`;
    const seconds = (viewer: string, cache: string) =>
      `${range(runs, (run) => {
        const value = find(run, open(viewer, cache))?.all_slices_ms as number | undefined;
        return typeof value === 'number' ? value / 1000 : undefined;
      })} s`;
    const scroll = (viewer: string) => {
      const match = { measure: 'scroll', viewer };
      return `${figure(runs, match, 'slices_per_s')} slices/s at ${figure(runs, match, 'frames_per_s')} frames/s`;
    };
    const ratio = (field: string, goal: string) => {
      const values = runs.map((run) => find(run, { measure: 'ratio-yunzhen-to-ohif' })?.[field] as number | undefined);
      return `${range(runs, (run) => find(run, { measure: 'ratio-yunzhen-to-ohif' })?.[field] as number | undefined, 2)}×${goal ? ` (goal ${goal}: ${goalMet(values, goal)})` : ''}`;
    };
    return table(
      ['300-slice 512×512 CT consult, same server and study, from the click in each viewer\'s list', 'Yunzhen', 'OHIF 3.13.2', 'Yunzhen ÷ OHIF'],
      [
        ['first non-black pixel on the canvas, cold: fresh server, study never opened (one round per run)', ms('yunzhen', 'cold'), ms('ohif', 'cold'), ratio('cold_first_image', '≤ 0.25×')],
        ['first non-black pixel, warm: the study read before (median of 2 rounds)', ms('yunzhen', 'warm'), ms('ohif', 'warm'), ratio('warm_first_image', '')],
        ['all 300 slices loaded, cold', seconds('yunzhen', 'cold'), seconds('ohif', 'cold'), ratio('cold_all_slices', '≤ 0.33×')],
        ['all 300 slices loaded, warm (median of 2)', seconds('yunzhen', 'warm'), seconds('ohif', 'warm'), ratio('warm_all_slices', '≤ 0.33×')],
        ['scrolling the loaded stack, one wheel event per animation frame (median of 3)', scroll('yunzhen'), scroll('ohif'), ratio('scroll', '≥ 1.5×')],
      ],
    );
  },

  pixels(runs) {
    const set = { bench: 'pixels' };
    const percent = (field: string) => range(runs, (run) => 100 * ((find(run, set)?.[field] as number | undefined) ?? Number.NaN), 1);
    return table(
      ['burned-in identity corpus (24 instances, 72 identity texts, 56 frames OCR\'d), one OCR worker', 'figure'],
      [
        ['recall: identity texts covered ≥ 90 % by proposed boxes', `${percent('recall')} % (Latin ${percent('recall_latin')} %, Chinese ${percent('recall_chinese')} %)`],
        ['marked as naming the patient (shown red)', `${percent('marked_identity')} %`],
        ['load: worker start and model load, until a blank frame is answered', `${figure(runs, set, 'load_ms')} ms`],
        ['cold: the first frame', `${figure(runs, set, 'cold_frame_ms')} ms`],
        ['warm: median / p90 per frame after it', `${figure(runs, set, 'warm_frame_median_ms')} / ${figure(runs, set, 'warm_frame_p90_ms')} ms`],
      ],
    );
  },
};

const readmePath = join(repo, 'README.md');
let readme = readFileSync(readmePath, 'utf8');
// Benchmarks with a table here (dimse and eventloop figures are quoted in prose where they are discussed).
for (const name of Object.keys(tables)) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} markers`);
  const runs = runsOf(name);
  const body = runs.length ? `${tables[name]!(runs)}\n\n${provenance(name, runs)}` : `No recorded runs yet: \`pnpm bench:${name}\`.`;
  readme = `${readme.slice(0, from + start.length)}\n${body}\n${readme.slice(to)}`;
  process.stdout.write(`${name}: ${runs.length} run(s)\n`);
}
writeFileSync(readmePath, readme);
