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
].filter((project) => existsSync(project.endsWith('.json') ? join(repo, project) : join(repo, project, 'tsconfig.json')));

export async function typecheck(): Promise<{ project: string; ok: boolean }[]> {
  const results = [];
  for (const project of typecheckProjects) {
    const code = await run(bin('.', 'tsc'), ['-p', join(repo, project)]);
    results.push({ project, ok: code === 0 });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await typecheck();
  for (const { project, ok } of results) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${project}\n`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
