/**
 * `pnpm bench`: every benchmark, one after the other (they would compete for the same cores if
 * run together). Each prints JSON lines for machines and `#` lines for people; this forwards
 * both and ends with the JSON lines collected in `.bench/latest.jsonl`, the figures the
 * README's benchmark table is written from. `pnpm bench ingest dicomweb` runs only those.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { bin, repo } from './lib.js';

const benches: Record<string, string> = {
  anonymize: 'packages/dicom/bench/anonymize.bench.ts',
  ingest: 'scripts/bench/ingest.ts',
  dicomweb: 'scripts/bench/dicomweb.ts',
  viewer: 'scripts/bench/viewer.ts',
};

const chosen = process.argv.slice(2).filter((name) => name !== '--');
for (const name of chosen) if (!(name in benches)) throw new Error(`unknown benchmark "${name}"; choose from ${Object.keys(benches).join(', ')}`);
const names = chosen.length ? chosen : Object.keys(benches);

const results: string[] = [];
let failed = 0;
for (const name of names) {
  process.stdout.write(`\n=== bench ${name}\n`);
  const child = spawn(bin('.', 'tsx'), [benches[name]!], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    results.push(...lines.filter((line) => line.startsWith('{')));
  });
  const code = await new Promise<number>((resolve) => child.on('close', (status) => resolve(status ?? 1)));
  if (code !== 0) {
    failed++;
    process.stdout.write(`bench ${name} exited with ${code}\n`);
  }
}

const outDir = join(repo, '.bench');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.jsonl'), results.join('\n') + '\n');
process.stdout.write(`\n${results.length} results in .bench/latest.jsonl${failed ? `; ${failed} benchmark(s) failed` : ''}\n`);
process.exitCode = failed ? 1 : 0;
