import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'vitest';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), '..', '__golden__');

/**
 * Compares `value` with the JSON golden file `src/__golden__/<name>.json`. The files change
 * only when the tests run with `UPDATE_GOLDEN=1`, so every change to an output is reviewed.
 */
export function expectGolden(name: string, value: unknown): void {
  const file = join(goldenDir, `${name}.json`);
  const json = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, json);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${name}.json is missing; create it with UPDATE_GOLDEN=1 and review it`);
  expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}
