import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseDicom } from '../src/parse.js';
import { readIndexAttributes } from '../src/attributes.js';
import { samplesRoot } from '../src/testing/samples.js';
import { parseArguments, runAnonymizeCli, usage } from './anonymize.js';

let directory = '';
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'yz-cli-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function runCli(argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runAnonymizeCli(argv, { stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) });
  return { code, stdout, stderr };
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('pnpm anonymize', () => {
  test('de-identifies a folder, names outputs by new UIDs, reports rejections and exits 1', async () => {
    const input = join(directory, 'in', 'Wang Xiaodong 2024');
    await mkdir(input, { recursive: true });
    for (const path of ['modalities/CT_small.dcm', 'modalities/US-RGB-8-esopecho', 'broken/MR_truncated.dcm', 'charsets/chrX2.dcm']) {
      await copyFile(join(samplesRoot, path), join(input, path.replace('/', '-')));
    }
    const output = join(directory, 'out');
    const { code, stdout } = await runCli([input, output]);
    expect(code).toBe(1);
    expect(stdout.filter((line) => line.startsWith('REJECTED'))).toEqual([expect.stringMatching(/^REJECTED .*broken-MR_truncated\.dcm LengthPastEnd$/)]);
    expect(stdout.filter((line) => line.startsWith('REVIEW'))).toHaveLength(2);
    expect(stdout.at(-1)).toBe('3 de-identified, 1 rejected, 2 need pixel review (of 4 files)');
    const written = await filesUnder(output);
    expect(written).toHaveLength(3);
    for (const path of written) {
      expect(path.slice(output.length)).toMatch(/^(\/2\.25\.\d+){3}\.dcm$/);
      const attributes = readIndexAttributes(parseDicom(new Uint8Array(await readFile(path))));
      expect(path).toContain(attributes.SOPInstanceUID!);
      expect(path).not.toContain('Wang');
    }
  });

  test('exits 0 when nothing is rejected, and honours profile flags and the mapping file', async () => {
    const output = join(directory, 'out');
    const mapping = join(directory, 'mapping.jsonl');
    const { code, stdout } = await runCli([join(samplesRoot, 'modalities/CT_small.dcm'), output, '--profile', 'basic', '--retain-uids', '--mapping', mapping]);
    expect(code).toBe(0);
    expect(stdout).toEqual(['1 de-identified, 0 rejected, 0 need pixel review (of 1 files)']);
    const [file] = await filesUnder(output);
    const attributes = readIndexAttributes(parseDicom(new Uint8Array(await readFile(file!))));
    expect(attributes.SOPInstanceUID).toBe('1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322');
    expect(attributes.PatientSex).toBeNull();
    const record = JSON.parse((await readFile(mapping, 'utf8')).trim());
    expect(record.patient.original.name).toBe('CompressedSamples^CT1');
  });

  test('structure validation lets files without study UIDs through', async () => {
    const sample = join(samplesRoot, 'transfer-syntaxes/HTJ2K_08_RGB.dcm');
    expect((await runCli([sample, join(directory, 'a')])).stdout[0]).toMatch(/MissingRequiredUid$/);
    expect((await runCli([sample, join(directory, 'b'), '--validation', 'structure'])).code).toBe(0);
  });

  test('--help and usage errors', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout[0]).toBe(usage);
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(['a', 'b', '--dates', 'sometimes'])).code).toBe(2);
    expect((await runCli(['a', 'b', '--frobnicate'])).stderr[0]).toContain('unknown option --frobnicate');
    expect((await runCli([join(directory, 'missing'), join(directory, 'out')])).code).toBe(2);
  });

  test('flags map onto the profile', () => {
    const options = parseArguments(['in', 'out', '--no-retain-safe-private', '--dates', 'full', '--descriptors', 'remove', '--retain-institution-identity']);
    expect(options).not.toBe('help');
    if (options === 'help') return;
    expect(options.profile).toMatchObject({ retainSafePrivate: false, longitudinalTemporalInformation: 'full', descriptors: 'remove', retainInstitutionIdentity: true, cleanGraphics: true });
  });
});
