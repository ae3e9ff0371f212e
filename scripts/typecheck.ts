/** Type-checks every project with its own tsconfig (browser code without Node types, etc.). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { bin, repo, run } from './lib.js';

export const typecheckProjects = [
  'packages/dicom',
  'packages/dicom/tsconfig.node.json',
  'packages/report',
  'packages/report/tsconfig.node.json',
  'packages/storage',
  'packages/db',
  'packages/uploader',
  'server',
  'viewer',
  'tests',
  'scripts',
];

/** A project whose tsconfig is missing fails: a check that silently shrinks would pass by checking less. */
export async function typecheck(): Promise<{ project: string; ok: boolean; seconds: number }[]> {
  const results = [];
  for (const project of typecheckProjects) {
    const started = Date.now();
    const config = project.endsWith('.json') ? join(repo, project) : join(repo, project, 'tsconfig.json');
    let ok: boolean;
    if (existsSync(config)) {
      ok = (await run(bin('.', 'tsc'), ['-p', config])) === 0;
    } else {
      process.stdout.write(`type check ${project}: no tsconfig at ${config}\n`);
      ok = false;
    }
    results.push({ project, ok, seconds: Math.round((Date.now() - started) / 1000) });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await typecheck();
  for (const { project, ok } of results) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${project}\n`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
