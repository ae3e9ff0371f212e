import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real DICOM samples shipped in `fixtures/dicom-samples` (see its MANIFEST.tsv). */
export const samplesDir = fileURLToPath(new URL('../../../fixtures/dicom-samples', import.meta.url));

export interface Sample {
  /** Path relative to the samples folder, e.g. `modalities/CT_small.dcm`. */
  path: string;
  bytes: Uint8Array;
}

export function readSample(path: string): Uint8Array {
  return new Uint8Array(readFileSync(join(samplesDir, path)));
}

/** Every sample file under `folder` (recursively), in path order. */
export function samples(folder = ''): Sample[] {
  const found: Sample[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.(md|tsv)$/.test(name)) found.push({ path: relative(samplesDir, path), bytes: new Uint8Array(readFileSync(path)) });
    }
  };
  walk(join(samplesDir, folder));
  return found;
}

/** Samples that must store (everything outside `broken/`). */
export const storableSamples = () => samples().filter((s) => !s.path.startsWith('broken/'));

/** A STOW-RS request body (PS3.18 10.5.1) holding these instances. */
export function stowBody(instances: Uint8Array[], boundary = `yunzhen-${Math.random().toString(36).slice(2)}`) {
  const chunks: Uint8Array[] = [];
  const text = (value: string) => chunks.push(new TextEncoder().encode(value));
  for (const instance of instances) {
    text(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
    chunks.push(instance);
    text('\r\n');
  }
  text(`--${boundary}--\r\n`);
  return { body: new Blob(chunks as Uint8Array<ArrayBuffer>[]), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}
