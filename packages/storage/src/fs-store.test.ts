import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { createFsStore } from './fs-store.js';
import { testObjectStore } from './testing/object-store-conformance.js';

testObjectStore(
  'filesystem',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'yunzhen-fs-store-'));
    return { store: createFsStore({ root }), teardown: () => rm(root, { recursive: true, force: true }) };
  },
  { atomicCreateIfAbsent: true },
);

describe('filesystem store failures', () => {
  it('reports an unusable directory as StorageUnavailable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'yunzhen-fs-bad-'));
    const notADirectory = join(dir, 'file');
    await writeFile(notADirectory, 'x');
    const store = createFsStore({ root: notADirectory });
    await expect(store.put('k', new Uint8Array([1]))).rejects.toMatchObject({ code: 'StorageUnavailable' });
    await expect(store.ping()).rejects.toMatchObject({ code: 'StorageUnavailable' });
    await rm(dir, { recursive: true });
  });

  it('leaves no temp file behind after a failed put', async () => {
    const root = await mkdtemp(join(tmpdir(), 'yunzhen-fs-tmp-'));
    const store = createFsStore({ root });
    async function* failing() {
      yield new Uint8Array(10);
      throw new Error('client went away');
    }
    await expect(store.put('k', failing())).rejects.toThrow();
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
    expect(await store.head('k')).toBeNull();
    await rm(root, { recursive: true });
  });
});

describe.skipIf(process.getuid?.() !== 0)('filesystem store on a full disk (a 4 MB tmpfs, as root)', () => {
  it('refuses a put that does not fit with StorageFull, keeps no part of it, reports full until space returns', async () => {
    const root = await mkdtemp(join(tmpdir(), 'yunzhen-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', root]);
    try {
      const store = createFsStore({ root });
      await writeFile(join(root, 'filler'), new Uint8Array(3 * 1024 * 1024));
      // Written in one chunk: the kernel writes what fits and returns a short count, no error.
      await expect(store.put('big', new Uint8Array(2 * 1024 * 1024).fill(7))).rejects.toMatchObject({ code: 'StorageFull' });
      expect(await store.head('big')).toBeNull();
      expect(await readdir(join(root, '.tmp'))).toEqual([]);
      await expect(store.ping()).rejects.toMatchObject({ code: 'StorageFull' });
      await rm(join(root, 'filler'));
      await store.ping();
      expect(await store.put('big', new Uint8Array(2 * 1024 * 1024).fill(7))).toMatchObject({ created: true, size: 2 * 1024 * 1024 });
    } finally {
      execFileSync('umount', ['-l', root]);
      await rm(root, { recursive: true, force: true });
    }
  });
});
