/**
 * `pnpm bench`: every benchmark, one after the other (they would compete for the same cores if
 * run together); `pnpm bench ingest dicomweb` or `pnpm bench:ingest` runs only those. Each
 * benchmark prints JSON lines for machines and `#` lines for people; this forwards both, and
 * appends each JSON line, stamped with where and when it was measured (see `RunInfo`), to
 * `bench/results/<name>.jsonl`. Those committed files are the record the README's tables are
 * generated from (`pnpm bench:readme`); `.bench/latest.jsonl` holds this invocation's lines.
 * A benchmark that fails adds nothing to the record: its figures may be of a half-done run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

import { bin, repo } from './lib.js';

export const benches: Record<string, string> = {
  dicom: 'packages/dicom/bench/dicom.bench.ts',
  anonymize: 'packages/dicom/bench/anonymize.bench.ts',
  ingest: 'scripts/bench/ingest.ts',
  dicomweb: 'scripts/bench/dicomweb.ts',
  viewer: 'scripts/bench/viewer.ts',
  dimse: 'scripts/bench/dimse.ts',
  eventloop: 'scripts/bench/event-loop.ts',
  replicas: 'scripts/bench/replicas.ts',
  pixels: 'scripts/bench/pixels.ts',
};

/** Where results are recorded, relative to the repository root. */
export const resultsDir = 'bench/results';

/** What every recorded line carries besides its figures, so any figure can be traced to its run. */
export interface RunInfo {
  /** When the benchmark started (ISO 8601, UTC); with `bench`, the run's identity. */
  date: string;
  /** Short hash of HEAD when the benchmark started. */
  commit: string;
  /** True when the working tree differed from `commit` (recorded results aside). */
  dirty: boolean;
  /** The paths that differed, when dirty. */
  changed?: string[];
  machine: {
    cores: number;
    cpu: string;
    memory_gib: number;
    node: string;
    /** 1, 5 and 15-minute load averages when the benchmark started and ended: other work on the machine shows here. */
    load_start: number[];
    load_end: number[];
  };
}

// Only the end is trimmed: porcelain lines start with a status column that may be a space.
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trimEnd();
const load = () => loadavg().map((value) => Number(value.toFixed(2)));

function runInfo(): Omit<RunInfo, 'machine'> & { machine: Omit<RunInfo['machine'], 'load_end'> } {
  // Results recorded by earlier runs are outputs, not inputs: they do not make the tree dirty.
  const changed = git('status', '--porcelain', '--', '.', `:!${resultsDir}`)
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
  return {
    date: new Date().toISOString(),
    commit: git('rev-parse', '--short', 'HEAD'),
    dirty: changed.length > 0,
    ...(changed.length ? { changed } : {}),
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memory_gib: Number((totalmem() / 2 ** 30).toFixed(1)),
      node: process.version,
      load_start: load(),
    },
  };
}

/** Runs one benchmark, forwarding its output; resolves to its exit code and JSON lines. */
async function runBench(file: string): Promise<{ code: number; lines: Record<string, unknown>[] }> {
  const child = spawn(bin('.', 'tsx'), [file], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    pending += chunk.toString('utf8');
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const code = await new Promise<number>((resolve) => child.on('close', (status) => resolve(status ?? 1)));
  return { code, lines };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const chosen = process.argv.slice(2).filter((name) => name !== '--');
  for (const name of chosen) if (!(name in benches)) throw new Error(`unknown benchmark "${name}"; choose from ${Object.keys(benches).join(', ')}`);
  const names = chosen.length ? chosen : Object.keys(benches);

  mkdirSync(join(repo, resultsDir), { recursive: true });
  const latest: string[] = [];
  let failed = 0;
  for (const name of names) {
    process.stdout.write(`\n=== bench ${name}\n`);
    const info = runInfo();
    const { code, lines } = await runBench(benches[name]!);
    const stamped = lines.map((line) => JSON.stringify({ ...line, ...info, machine: { ...info.machine, load_end: load() } }));
    latest.push(...stamped);
    if (code === 0) {
      appendFileSync(join(repo, resultsDir, `${name}.jsonl`), stamped.map((line) => line + '\n').join(''));
      process.stdout.write(`${stamped.length} results appended to ${resultsDir}/${name}.jsonl\n`);
    } else {
      failed++;
      process.stdout.write(`bench ${name} exited with ${code}; its results are not recorded\n`);
    }
  }

  mkdirSync(join(repo, '.bench'), { recursive: true });
  writeFileSync(join(repo, '.bench/latest.jsonl'), latest.join('\n') + '\n');
  process.stdout.write(`\n${latest.length} results in .bench/latest.jsonl${failed ? `; ${failed} benchmark(s) failed` : ''}\n`);
  process.exitCode = failed ? 1 : 0;
}
