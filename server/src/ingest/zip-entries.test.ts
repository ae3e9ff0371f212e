import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { crc32 } from 'node:zlib';

import { Zip, ZipDeflate, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assembleZip, concat, fullOverlapBomb, localHeader, quotedOverlapBomb } from '../testing/hostile-zips.js';
import { readZipEntries, type ZipEntry, type ZipLimits, type ZipReadOptions } from './zip-entries.js';

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

/** The entries handed out before the archive was refused, and the refusal. */
async function refusal(archive: Uint8Array, overrides: Partial<ZipLimits> = {}, options: ZipReadOptions = {}) {
  const handedOut: ZipEntry[] = [];
  try {
    for await (const entry of readZipEntries(new Blob([archive]).stream(), temp, { ...limits, ...overrides }, options)) handedOut.push(entry);
  } catch (error) {
    return { handedOut, error: error as { code: string; message: string } };
  }
  return { handedOut, error: undefined };
}

const outcome = (e: ZipEntry) => (e.kind === 'file' ? 'file' : e.kind === 'ignored' ? e.reason : e.code);

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

describe('readZipEntries on hostile archives', () => {
  it('refuses a quoted-overlap zip bomb (Fifield) before inflating any entry', async () => {
    // Under 8 KB that inflates to 32 MiB: 64 entries of 512 KiB, each under the old 1 MiB floor
    // of the ratio check, and each valid by its sizes and CRC-32 (unzip -t flags the overlap).
    const bomb = quotedOverlapBomb(64, 512 << 10);
    expect(bomb.length).toBeLessThan(8 << 10);
    const { handedOut, error } = await refusal(bomb);
    expect(handedOut).toEqual([]);
    expect(error).toMatchObject({ code: 'InvalidRequest', message: expect.stringMatching(/^OverlappingEntries: entries \d+ and \d+ of the zip archive share bytes/) });
    expect(await readdir(temp)).toEqual([]);
  });

  it('refuses a full-overlap zip bomb: many directory entries pointing at one local entry', async () => {
    const { handedOut, error } = await refusal(fullOverlapBomb(200, 512 << 10), { maxEntries: 1000 });
    expect(handedOut).toEqual([]);
    expect(error).toMatchObject({ code: 'InvalidRequest', message: expect.stringMatching(/^OverlappingEntries: entries 0 and 1 /) });
  });

  it('refuses an entry whose data runs into the central directory', async () => {
    const data = new TextEncoder().encode('an entry that claims more bytes than it has');
    const record = { name: 'a.dcm', method: 0 as const, compressedSize: data.length + 20, uncompressedSize: data.length + 20, crc32: crc32(data) };
    const archive = assembleZip(concat([localHeader(record), data]), [{ ...record, offset: 0 }]);
    const { handedOut, error } = await refusal(archive);
    expect(handedOut).toEqual([]);
    expect(error).toMatchObject({ code: 'InvalidRequest', message: expect.stringMatching(/^OverlappingEntries: entry 0 of the zip archive reaches into its central directory/) });
  });

  it('refuses an archive that names one entry twice', async () => {
    const archive = Buffer.from(zipSync({ 'exam/a.dcm': text('first'), 'exam/b.dcm': text('second') }));
    for (let at = archive.indexOf('exam/b.dcm'); at >= 0; at = archive.indexOf('exam/b.dcm', at + 1)) archive.write('exam/a.dcm', at);
    const { handedOut, error } = await refusal(new Uint8Array(archive));
    expect(handedOut).toEqual([]);
    expect(error).toMatchObject({ code: 'InvalidRequest', message: expect.stringMatching(/^DuplicateEntryName: entries 0 and 1 /) });
  });

  it('rejects an entry whose CRC-32 does not match (one flipped byte), and reads the others', async () => {
    const pixels = new Uint8Array(4096).map((_, i) => (i * 31) % 256);
    const archive = zipSync({ 'flipped.dcm': [pixels, { level: 0 }], 'intact.dcm': [pixels, { level: 0 }], 'deflated.dcm': pixels });
    // Flip one byte inside the first stored entry's data (its local header is 30 + 11 bytes).
    archive[30 + 'flipped.dcm'.length + 2000]! ^= 0x01;
    const found = await entries(archive);
    expect(found.map(outcome)).toEqual(['CorruptEntry', 'file', 'file']);
    expect(found[0]).toMatchObject({ kind: 'rejected', message: expect.stringMatching(/CRC-32/) });
    expect(found[1]).toMatchObject({ kind: 'file', bytes: pixels });

    // The same check for a deflated entry: the directory's CRC-32 no longer matches the data.
    const view = new DataView(archive.buffer, archive.byteOffset);
    for (let i = archive.length - 22; i >= 0; i--) {
      if (view.getUint32(i, true) === 0x02014b50 && text('deflated.dcm').every((b, j) => archive[i + 46 + j] === b)) {
        view.setUint32(i + 16, view.getUint32(i + 16, true) ^ 0x100, true);
        break;
      }
    }
    expect((await entries(archive)).map(outcome)).toEqual(['CorruptEntry', 'file', 'CorruptEntry']);
  });

  it('rejects small entries that inflate more than maxRatio times, not only those over 1 MiB', async () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`zeros/${i}.dcm`, new Uint8Array(64 << 10)]));
    const noise = new Uint8Array(64 << 10).map((_, i) => (i * 7919 + (i >> 7)) % 251);
    const found = await entries(zipSync({ ...many, 'noise.dcm': noise }, { level: 9 }), { maxEntries: 1000 });
    expect(found).toHaveLength(201);
    expect(found.slice(0, 200).every((e) => e.kind === 'rejected' && e.code === 'CompressionRatioTooHigh')).toBe(true);
    expect(found[0]).toMatchObject({ message: expect.stringMatching(/^the entry inflates \d+ bytes to 65536, more than 100 times$/) });
    expect(found[200]).toMatchObject({ kind: 'file', name: 'noise.dcm' });
  });

  it('refuses an archive over the total inflate budget before handing out any entry', async () => {
    const mib = new Uint8Array(1 << 20).map((_, i) => (i * 7919) % 251);
    const archive = zipSync({ a: [mib, { level: 0 }], b: [mib, { level: 0 }], c: [mib, { level: 0 }] });
    const { handedOut, error } = await refusal(archive, { maxTotalBytes: (5 << 20) / 2 });
    expect(handedOut).toEqual([]);
    expect(error).toMatchObject({ code: 'PayloadTooLarge', message: `archive inflates to ${3 << 20} bytes; the limit is ${(5 << 20) / 2}` });
  });

  it('rejects the entries it has not reached when the time budget runs out (injected clock)', async () => {
    const archive = zipSync({ '1.dcm': text('one'), '2.dcm': text('two'), 'folder/': new Uint8Array(0), '3.dcm': text('three'), '4.dcm': text('four') });
    let clock = 0;
    const found: ZipEntry[] = [];
    for await (const entry of readZipEntries(new Blob([archive]).stream(), temp, { ...limits, maxMillis: 1000 }, { now: () => clock })) {
      found.push(entry);
      clock += 600; // the caller's work on each entry (ingest) counts against the budget
    }
    expect(found.map(outcome)).toEqual(['file', 'file', 'Directory', 'TimeBudgetExceeded', 'TimeBudgetExceeded']);
    expect(found[3]).toMatchObject({ message: "the upload's time budget of 1 s ran out before this entry was read" });
    expect(await readdir(temp)).toEqual([]);
  });

  it('still reads archives written with data descriptors (streaming zip writers)', async () => {
    const chunks: Uint8Array[] = [];
    const zip = new Zip((error, chunk) => {
      if (error) throw error;
      chunks.push(chunk);
    });
    for (const [name, value] of [['one.dcm', 'first instance'], ['two.dcm', 'second instance']] as const) {
      const file = new ZipDeflate(name, { level: 6 });
      zip.add(file);
      file.push(text(value), true);
    }
    zip.end();
    const archive = concat(chunks);
    expect(new DataView(archive.buffer).getUint16(6, true) & 0x8).toBe(0x8); // bit 3: sizes follow the data
    const found = await entries(archive);
    expect(found.map((e) => (e.kind === 'file' ? new TextDecoder().decode(e.bytes) : outcome(e)))).toEqual(['first instance', 'second instance']);
  });
});
