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
