import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import yauzl from 'yauzl';

import { UploaderFailure } from './failure.js';

/** One candidate instance: a file, or an entry of a zip archive, read only when needed. */
export interface Source {
  /** `path/to/file` or `archive.zip › entry`, for the report. */
  label: string;
  size: number;
  read(): Promise<Uint8Array>;
  /** A reason code when it is known without reading it (a zip that cannot be opened, a folder that cannot be listed). */
  invalid?: string;
}

const SKIPPED_NAMES = /(^|\/)(__MACOSX\/|\._|\.DS_Store$|Thumbs\.db$|DICOMDIR$)/i;

/**
 * Every file under the given paths (folders recursively) and every entry of the zips among
 * them. A path given that does not exist stops with `PathNotFound` (a typo, before anything is
 * sent); what cannot be read below it is reported per file.
 */
export async function* collectSources(paths: string[]): AsyncGenerator<Source> {
  for (const path of paths) {
    try {
      await stat(path);
    } catch (error) {
      throw new UploaderFailure((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'PathNotFound' : 'Unreadable', { path });
    }
    yield* walk(path);
  }
}

const unreadable = (label: string, code = 'Unreadable'): Source => ({ label, size: 0, invalid: code, read: async () => new Uint8Array() });

async function* walk(path: string): AsyncGenerator<Source> {
  let info;
  try {
    info = await stat(path);
  } catch {
    yield unreadable(path);
    return;
  }
  if (info.isDirectory()) {
    let names: string[];
    try {
      names = await readdir(path);
    } catch {
      yield unreadable(path);
      return;
    }
    for (const name of names.sort()) yield* walk(join(path, name));
  } else if (/\.zip$/i.test(path)) {
    try {
      yield* zipEntries(path);
    } catch {
      yield unreadable(path, 'InvalidArchive');
    }
  } else if (!SKIPPED_NAMES.test(path)) {
    yield { label: path, size: info.size, read: async () => new Uint8Array(await readFile(path)) };
  }
}

async function* zipEntries(path: string): AsyncGenerator<Source> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: true, strictFileNames: false }, (error, z) =>
      error || !z ? reject(error ?? new Error('cannot open zip')) : resolve(z),
    ),
  );
  const entries: yauzl.Entry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('/') && !SKIPPED_NAMES.test(entry.fileName)) entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  for (const entry of entries) {
    yield {
      label: `${path} › ${entry.fileName}`,
      size: entry.uncompressedSize,
      read: () =>
        new Promise<Uint8Array>((resolve, reject) =>
          zip.openReadStream(entry, (error, stream) => {
            if (error || !stream) return reject(error ?? new Error('cannot read entry'));
            const chunks: Buffer[] = [];
            stream.on('data', (chunk: Buffer) => chunks.push(chunk));
            stream.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
            stream.on('error', reject);
          }),
        ),
    };
  }
}
