import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { lookupTag, parseDicom, writeDicom } from '@yunzhen/dicom';

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

const UID_TAGS = new Set([0x0020000d, 0x0020000e, 0x00080018, 0x00200052]);
/** Inside sequences: the UIDs by which a SEG, SR or presentation state names the images it refers to. */
const REFERENCE_UID_TAGS = new Set([0x0020000d, 0x0020000e, 0x00081155, 0x00200052]);

/** A fresh `2.25.` UID (PS3.5 B.2). */
export function randomUid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `2.25.${BigInt(`0x${Buffer.from(bytes).toString('hex')}`).toString()}`;
}

/**
 * Copies of instances with some top-level attributes replaced or added (e.g. a hostile
 * PatientName for the XSS test), written with @yunzhen/dicom. With `freshUids`, Study, Series,
 * SOP Instance and Frame of Reference UIDs are replaced consistently across the set, so the same
 * sample can be sent again as a new study; references inside sequences (a SEG's source images,
 * its referenced series) follow them.
 */
export function rewriteInstances(instances: Uint8Array[], options: { replace?: Record<number, string>; freshUids?: boolean } = {}): Uint8Array[] {
  type Dataset = ReturnType<typeof parseDicom>['dataset'];
  type Written = Parameters<typeof writeDicom>[0]['dataset'];
  const replace = options.replace ?? {};
  const uids = new Map<string, string>();
  const newUid = (old: string) => uids.get(old) ?? (uids.set(old, randomUid()), uids.get(old)!);
  const ascii = (ds: Dataset, offset: number, length: number) => new TextDecoder().decode(ds.bytes.subarray(offset, offset + length)).replace(/[\0 ]+$/, '');
  const copy = (ds: Dataset, top: boolean): Written => {
    const out: Written[number][] = ds.elements.map((e) => {
      if (top && e.tag in replace) return { tag: e.tag, vr: e.vr, value: replace[e.tag]! };
      if (options.freshUids && (top ? UID_TAGS : REFERENCE_UID_TAGS).has(e.tag)) return { tag: e.tag, vr: e.vr, value: newUid(ascii(ds, e.offset, e.length)) };
      if (e.items) return { tag: e.tag, vr: e.vr, items: e.items.map((item) => copy(item, false)) };
      if (e.fragments) return { tag: e.tag, vr: e.vr, fragments: e.fragments.map((f) => ds.bytes.subarray(f.offset, f.offset + f.length)) };
      return { tag: e.tag, vr: e.vr, bytes: ds.bytes.subarray(e.offset, e.offset + e.length) };
    });
    if (top) {
      for (const [tag, value] of Object.entries(replace)) {
        if (!ds.elements.some((e) => e.tag === Number(tag))) out.push({ tag: Number(tag), vr: lookupTag(Number(tag))?.vr ?? 'LO', value });
      }
      // Fresh UIDs include the Study and Series UIDs some converters leave out (the archive needs them).
      for (const tag of options.freshUids ? [0x0020000d, 0x0020000e] : []) {
        if (!(tag in replace) && !ds.elements.some((e) => e.tag === tag)) out.push({ tag, vr: 'UI', value: randomUid() });
      }
    }
    return out;
  };
  return instances.map((bytes) => {
    const file = parseDicom(bytes);
    return writeDicom({ dataset: copy(file.dataset, true), transferSyntaxUid: file.transferSyntax.uid });
  });
}

/** Comprehensive SR (PS3.4 B.5), the class OHIF's measurement reports use among others. */
export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';

/**
 * A minimal Comprehensive SR in a study, as a viewer posts one: naming the patient given, or
 * none (a viewer copies Patient ID from images that were sent without one).
 */
export function structuredReport(study: string, options: { sopInstanceUid?: string; patient?: { id: string; name: string } } = {}): Uint8Array {
  const text = (tag: number, vr: 'UI' | 'CS' | 'PN' | 'LO' | 'IS', value: string) => ({ tag, vr, value });
  return writeDicom({
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    dataset: [
      text(0x00080016, 'UI', COMPREHENSIVE_SR),
      text(0x00080018, 'UI', options.sopInstanceUid ?? randomUid()),
      text(0x00080060, 'CS', 'SR'),
      ...(options.patient ? [text(0x00100010, 'PN', options.patient.name), text(0x00100020, 'LO', options.patient.id)] : []),
      text(0x0020000d, 'UI', study),
      text(0x0020000e, 'UI', randomUid()),
      text(0x00200011, 'IS', '99'),
      text(0x0040a040, 'CS', 'CONTAINER'),
      text(0x0040a050, 'CS', 'SEPARATE'),
    ],
  });
}
