import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { defaultPydicomDictionaryPath, generateAll, generatedPaths, packageRoot } from '../scripts/generate-tables.js';

describe('generated tables', () => {
  test('match their sources (data/*.json and the pydicom dictionary)', () => {
    const generated = generateAll(defaultPydicomDictionaryPath);
    expect(generated.profileTables).toBe(readFileSync(join(packageRoot, generatedPaths.profileTables), 'utf8'));
    const checkedIn = readFileSync(join(packageRoot, generatedPaths.dictionary), 'utf8');
    const source = (text: string) => /sha256 ([0-9a-f]{64})/.exec(text)?.[1];
    // A different pydicom on this machine is a different source, not a hand edit: say so.
    expect(source(generated.dictionary), `${defaultPydicomDictionaryPath} is not the dictionary src/generated/dictionary.ts was made from`).toBe(source(checkedIn));
    expect(generated.dictionary).toBe(checkedIn);
  });
});
