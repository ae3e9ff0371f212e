import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readZipEntries, type ZipEntry, type ZipLimits } from './zip-entries.js';

const limits: ZipLimits = { maxArchiveBytes: 64 << 20, maxEntries: 100, maxEntryBytes: 16 << 20, maxTotalBytes: 32 << 20, maxRatio: 100 };

let temp: string;
beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'yunzhen-zip-'));
});
afterAll(() => rm(temp, { recursive: true, force: true }));

async function entries(archive: Uint8Array, overrides: Partial<ZipLimits> = {}): Promise<ZipEntry[]> {
  const found: ZipEntry[] = [];
  for await (const entry of readZipEntries(new Blob([archive]).stream(), temp, { ...limits, ...overrides })) found.push(entry);
  return found;
}

const text = (value: string) => new TextEncoder().encode(value);

describe('readZipEntries', () => {
  it('decodes GB18030 entry names written without the UTF-8 flag', async () => {
    const archive = zipSync({ 'x.dcm': text('x') });
    // Overwrite the 5-byte name 'x.dcm' in both headers with the 5 GB18030 bytes of '张三.'.
    const gbName = Buffer.from([0xd5, 0xc5, 0xc8, 0xfd, 0x2e]);
    const bytes = Buffer.from(archive);
    let at = bytes.indexOf('x.dcm');
    while (at >= 0) {
      gbName.copy(bytes, at);
      at = bytes.indexOf('x.dcm', at + 1);
    }
    const [entry] = await entries(new Uint8Array(bytes));
    expect(entry?.name).toBe('张三.');
  });

  it('reads files, ignores folders, system files and DICOMDIR, and leaves no spool behind', async () => {
    const archive = zipSync({
      'study/a.dcm': text('first'),
      'study/b': [text('second'), { level: 0 }],
      'study/empty/': new Uint8Array(0),
      '__MACOSX/study/._a.dcm': text('resource fork'),
      'DICOMDIR': text('media index'),
      '../../outside.dcm': text('hostile name'),
    });
    const found = await entries(archive);
    const summary = found.map((e) => [e.name, e.kind, e.kind === 'file' ? new TextDecoder().decode(e.bytes) : e.kind === 'ignored' ? e.reason : e.code]);
    expect(summary).toEqual([
      ['study/a.dcm', 'file', 'first'],
      ['study/b', 'file', 'second'],
      ['study/empty/', 'ignored', 'Directory'],
      ['__MACOSX/study/._a.dcm', 'ignored', 'SystemFile'],
      ['DICOMDIR', 'ignored', 'Dicomdir'],
      ['../../outside.dcm', 'file', 'hostile name'],
    ]);
    expect(await readdir(temp)).toEqual([]);
  });

  it('rejects a deflate bomb entry by its ratio, and keeps reading the others', async () => {
    const archive = zipSync({ 'bomb.dcm': new Uint8Array(8 << 20), 'fine.dcm': text('fine') });
    const found = await entries(archive);
    expect(found.map((e) => (e.kind === 'rejected' ? e.code : e.kind))).toEqual(['CompressionRatioTooHigh', 'file']);
  });

  it('rejects entries over the instance limit and archives over the entry or total limits', async () => {
    const big = new Uint8Array(2 << 20).map((_, i) => (i * 7919) % 251);
    expect((await entries(zipSync({ 'big.dcm': [big, { level: 0 }] }), { maxEntryBytes: 1 << 20 }))[0]).toMatchObject({ kind: 'rejected', code: 'EntryTooLarge' });
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, text('x')]));
    await expect(entries(zipSync(many), { maxEntries: 10 })).rejects.toMatchObject({ code: 'PayloadTooLarge' });
    const two = zipSync({ a: [big, { level: 0 }], b: [big, { level: 0 }] });
    await expect(entries(two, { maxTotalBytes: 3 << 20 })).rejects.toMatchObject({ code: 'PayloadTooLarge' });
  });

  it('rejects an entry whose central directory lies about its size', async () => {
    const archive = zipSync({ 'liar.dcm': [text('0123456789'), { level: 0 }] });
    // Patch the central directory's uncompressed size (offset 24 in the central header) to 4.
    const view = new DataView(archive.buffer);
    for (let i = archive.length - 22; i >= 0; i--) {
      if (view.getUint32(i, true) === 0x02014b50) {
        view.setUint32(i + 24, 4, true);
        break;
      }
    }
    const outcome = await entries(archive).catch((error: { code: string }) => error.code);
    // Either the entry or the whole archive is refused; the lie never yields content.
    expect(outcome === 'InvalidRequest' || (Array.isArray(outcome) && outcome[0]?.kind === 'rejected')).toBe(true);
  });

  it('refuses a body that is not a zip, and an archive over the size limit', async () => {
    await expect(entries(text('this is not a zip archive at all'))).rejects.toMatchObject({ code: 'InvalidRequest' });
    const noise = crypto.getRandomValues(new Uint8Array(4096));
    await expect(entries(zipSync({ a: noise }), { maxArchiveBytes: 1000 })).rejects.toMatchObject({ code: 'PayloadTooLarge' });
    expect(await readdir(temp)).toEqual([]);
  });
});
