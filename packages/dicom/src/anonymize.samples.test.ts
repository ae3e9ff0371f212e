/**
 * The acceptance run over fixtures/dicom-samples: every file outside broken/ is de-identified,
 * and the output is checked by independent tools: DCMTK's dcmdump parses it without error,
 * pydicom reads every element, the pixel data (or every fragment) is byte-identical to the
 * input's as pydicom reads it, and dciodvfy reports no error the input did not already have.
 * Every file in broken/ is rejected with its specific code.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { anonymize, type AnonymizeResult } from './anonymize.js';
import { getAsciiString } from './dataset.js';
import { DicomError, type DicomErrorCode } from './errors.js';
import { parseDicom, type DicomFile } from './parse.js';
import { createMemoryPseudonymStore } from './pseudonym-store.js';
import { Tags } from './tags.js';
import { dciodvfyBaseline, dciodvfyErrors, dcmdump, pydicomRead, type PydicomReport } from './testing/oracles.js';
import { mapWithConcurrency } from './testing/pool.js';
import { randomBytesForStore } from './testing/random.js';
import { listSamples, readSample, samplesNeedingStructureValidation, samplesRoot } from './testing/samples.js';

const samples = listSamples();
const goodSamples = samples.filter((sample) => !sample.broken);

interface Outcome {
  readonly result: AnonymizeResult;
  readonly input: DicomFile;
  readonly outputPath: string;
  dcmdump?: { ok: boolean; problems: string[] };
  newDciodvfyErrors?: string[];
  inputPixels?: PydicomReport;
  outputPixels?: PydicomReport;
}

const outcomes = new Map<string, Outcome>();
let directory = '';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'yz-anonymized-'));
  const store = createMemoryPseudonymStore({ random: randomBytesForStore });
  for (const [index, sample] of goodSamples.entries()) {
    const bytes = readSample(sample.path);
    const validation = samplesNeedingStructureValidation.has(sample.path) ? 'structure' : 'ingest';
    const result = await anonymize(bytes, { validation }, { pseudonyms: store });
    const outputPath = join(directory, `${index}.dcm`);
    await writeFile(outputPath, result.bytes);
    outcomes.set(sample.path, { result, input: parseDicom(bytes), outputPath });
  }
  await mapWithConcurrency(goodSamples, 4, async (sample) => {
    const outcome = outcomes.get(sample.path)!;
    const raw = outcome.input.layout === 'raw' ? outcome.input.transferSyntax : undefined;
    const [dump, baseline, after] = await Promise.all([dcmdump(outcome.outputPath), dciodvfyBaseline(sample.absolutePath, raw), dciodvfyErrors(outcome.outputPath)]);
    outcome.dcmdump = dump;
    outcome.newDciodvfyErrors = [...after].filter((error) => !baseline.has(error));
  });
  const inputs = await pydicomRead(goodSamples.map((sample) => sample.absolutePath), { force: true });
  const outputs = await pydicomRead(goodSamples.map((sample) => outcomes.get(sample.path)!.outputPath), { force: false });
  for (const sample of goodSamples) {
    const outcome = outcomes.get(sample.path)!;
    outcome.inputPixels = inputs.get(sample.absolutePath);
    outcome.outputPixels = outputs.get(outcome.outputPath);
  }
}, 120_000);

afterAll(async () => {
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

test('the run covers every sample file on disk: 77 in the manifest, 69 of them outside broken/', () => {
  const onDisk = readdirSync(samplesRoot, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !/\.(md|tsv)$/.test(entry.name))
    .map((entry) => relative(samplesRoot, join(entry.parentPath, entry.name)));
  expect(samples.map((sample) => sample.path).sort()).toEqual(onDisk.sort());
  expect(samples).toHaveLength(77);
  expect(goodSamples).toHaveLength(69);
  expect([...outcomes.keys()]).toEqual(goodSamples.map((sample) => sample.path));
});

describe.each(goodSamples.map((sample) => sample.path))('%s', (path) => {
  test('parses with dcmdump and pydicom', () => {
    const outcome = outcomes.get(path)!;
    expect(outcome.dcmdump?.problems).toEqual([]);
    expect(outcome.dcmdump?.ok).toBe(true);
    expect(outcome.outputPixels?.error).toBeUndefined();
    expect(outcome.outputPixels?.ok).toBe(true);
  });

  test('keeps the pixel data byte for byte', () => {
    const { inputPixels, outputPixels } = outcomes.get(path)!;
    expect(inputPixels?.ok).toBe(true);
    expect(outputPixels?.pixelSha256).toEqual(inputPixels?.pixelSha256);
    expect(outputPixels?.fragmentSha256).toEqual(inputPixels?.fragmentSha256);
  });

  test('adds no dciodvfy error', () => {
    expect(outcomes.get(path)!.newDciodvfyErrors).toEqual([]);
  });

  test('is a Part 10 file in the same transfer syntax, with new UIDs and the markers', () => {
    const { result, input } = outcomes.get(path)!;
    const output = parseDicom(result.bytes);
    expect(output.layout).toBe('part10');
    expect(output.transferSyntax.uid).toBe(input.transferSyntax.uid);
    expect(result.attributes.TransferSyntaxUID).toBe(input.transferSyntax.uid);
    const replaced = new Map(result.mapping.uids.map(({ original, pseudonym }) => [original, pseudonym]));
    for (const key of ['SOPInstanceUID', 'StudyInstanceUID', 'SeriesInstanceUID'] as const) {
      // Only a sample that lacks what ingest requires may lack one of these UIDs.
      const value = result.attributes[key];
      expect(value === null ? samplesNeedingStructureValidation.has(path) : value.startsWith('2.25.'), key).toBe(true);
    }
    expect([...replaced.values()].every((uid) => uid.startsWith('2.25.'))).toBe(true);
    expect(getAsciiString(output.dataset, Tags.PatientIdentityRemoved)).toBe('YES');
    expect(getAsciiString(output.dataset, Tags.LongitudinalTemporalInformationModified)).toBe('MODIFIED');
    const text = new TextDecoder('latin1').decode(output.dataset.bytes);
    for (const { original } of result.mapping.uids) expect(text).not.toContain(original);
  });
});

const expectedRejections: Record<string, DicomErrorCode> = {
  'broken/3gb-bulk-data-truncated': 'LengthPastEnd',
  'broken/JPEG2000-embedded-sequence-delimiter.dcm': 'CorruptPixelData',
  'broken/MR_truncated.dcm': 'LengthPastEnd',
  'broken/badVR.dcm': 'InvalidValue',
  'broken/emri_small_jpeg_2k_lossless_too_short.dcm': 'Truncated',
  'broken/invalid-vr-length-test.dcm': 'InvalidValue',
  'broken/meta_missing_tsyntax.dcm': 'MissingTransferSyntax',
  'broken/no_meta.dcm': 'InvalidStructure',
};

describe('broken samples', () => {
  test('the expectations cover every file in broken/', () => {
    expect(Object.keys(expectedRejections).sort()).toEqual(samples.filter((sample) => sample.broken).map((sample) => sample.path).sort());
  });

  test.each(Object.entries(expectedRejections))('%s is rejected with %s', async (path, code) => {
    const store = createMemoryPseudonymStore({ random: randomBytesForStore });
    for (const validation of ['ingest', 'structure'] as const) {
      const error = await anonymize(readSample(path), { validation }, { pseudonyms: store }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DicomError);
      expect((error as DicomError).code).toBe(code);
    }
  });
});
