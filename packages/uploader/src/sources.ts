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
  /** A zip archive: sent whole through a resumable upload session (the server reads its entries), not read here. */
  archive?: boolean;
}

const SKIPPED_NAMES = /(^|\/)(__MACOSX\/|\._|\.DS_Store$|Thumbs\.db$|DICOMDIR$)/i;

/**
 * Every file under the given paths (folders recursively), and the zips among them as archives. A path given that does not exist stops with `PathNotFound` (a typo, before anything is
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
    // Opened here (its central directory only) so a file that is no zip is named before anything is sent.
    const valid = await zipOpens(path);
    yield valid ? { label: path, size: info.size, archive: true, read: async () => new Uint8Array(await readFile(path)) } : unreadable(path, 'InvalidArchive');
  } else if (!SKIPPED_NAMES.test(path)) {
    yield { label: path, size: info.size, read: async () => new Uint8Array(await readFile(path)) };
  }
}

async function zipOpens(path: string): Promise<boolean> {
  return new Promise<boolean>((resolve) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => {
      zip?.close();
      resolve(!error && Boolean(zip));
    }),
  );
}
