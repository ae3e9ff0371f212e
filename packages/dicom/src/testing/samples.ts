import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared DICOM samples (fixtures/dicom-samples, described by its MANIFEST.tsv). */
export const samplesRoot = fileURLToPath(new URL('../../../../fixtures/dicom-samples/', import.meta.url));

export interface Sample {
  /** Path relative to the samples root, e.g. `charsets/chrX1.dcm`. */
  readonly path: string;
  readonly absolutePath: string;
  readonly transferSyntax: string;
  readonly charset: string;
  readonly notes: string;
  readonly broken: boolean;
}

let cached: Sample[] | undefined;

export function listSamples(): Sample[] {
  if (cached !== undefined) return cached;
  const [header, ...rows] = readFileSync(join(samplesRoot, 'MANIFEST.tsv'), 'utf8').trimEnd().split('\n');
  const columns = header!.split('\t');
  const column = (name: string) => columns.indexOf(name);
  cached = rows.map((row) => {
    const cells = row.split('\t');
    const path = cells[column('path')]!;
    return {
      path,
      absolutePath: join(samplesRoot, path),
      transferSyntax: cells[column('transfer_syntax')]!.split(' ')[0]!,
      charset: cells[column('charset')]!,
      notes: cells[column('notes')]!,
      broken: path.startsWith('broken/'),
    };
  });
  return cached;
}

export function readSample(path: string): Uint8Array {
  return new Uint8Array(readFileSync(join(samplesRoot, path)));
}

/**
 * Samples that lack what ingest requires (SOP Class/Instance, Study, Series UIDs, or the image
 * attributes their Pixel Data needs); they are de-identified with `validation: 'structure'`.
 * Every other sample outside broken/ passes the full ingest validation.
 */
export const samplesNeedingStructureValidation: ReadonlySet<string> = new Set([
  'charsets/chrSQEncoding.dcm',
  'edge-cases/UN_sequence.dcm',
  'edge-cases/nested_priv_SQ.dcm',
  'edge-cases/no_preamble_dicm_in_data',
  'edge-cases/priv_SQ.dcm',
  'transfer-syntaxes/HTJ2KLossless_08_RGB.dcm',
  'transfer-syntaxes/HTJ2K_08_RGB.dcm',
  'transfer-syntaxes/JPEGLSNearLossless_16.dcm',
]);
