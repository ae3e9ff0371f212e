/**
 * Server-side decoding of compressed frames, checked against independent decoders: DCMTK
 * (`dcmdrle`, `dcmdjpeg`, `dcmdjpls`, a required test tool) decompresses each sample to native
 * pixels, compared sample for sample; JPEG 2000 is compared with the uncompressed original of
 * the same image, and HTJ2K with OpenJPH (a separate implementation from the OpenJPEG we use).
 * Compressed inputs the samples lack (RGB RLE, 16-bit RLE, RGB JPEG-LS, RGB JPEG) are made from
 * native samples with DCMTK's own encoders at test time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { parseDicom, type DicomFile } from '@yunzhen/dicom';

import { AppError } from '../errors.js';
import { samplesDir } from '../testing/dicom-fixtures.js';
import { decodeFrame, decodeQueue, decodeRle, MAX_CONCURRENT_DECODES, type DecodedFrame, type FrameGeometry } from './decode-frame.js';
import { frameBytes, frameRanges, pixelInfo, renderFrame, renderFrameAsync, type PixelInfo } from './pixels.js';

const referencesDir = fileURLToPath(new URL('../../../fixtures/dicom-references', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'yunzhen-decode-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sample = (path: string) => join(samplesDir, path);
const load = (path: string): DicomFile => parseDicom(new Uint8Array(readFileSync(path)));

let outputs = 0;
/** Runs a DCMTK tool `tool [args] input output` and parses what it wrote. */
function dcmtk(tool: string, input: string, args: string[] = []): { path: string; file: DicomFile } {
  const path = join(work, `${tool}-${++outputs}.dcm`);
  execFileSync(tool, [...args, input, path], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { path, file: load(path) };
}

/** The samples of one frame, pixel by pixel (colour interleaved), each masked to Bits Stored. */
function samplesOf(data: Uint8Array, info: PixelInfo, planar: boolean, littleEndian = true): Uint32Array {
  const pixels = info.rows * info.columns;
  const count = pixels * info.samplesPerPixel;
  const bytes = info.bitsAllocated / 8;
  const mask = info.bitsStored >= 32 ? 0xffffffff : 2 ** info.bitsStored - 1;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint32Array(count);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < info.samplesPerPixel; c++) {
      const index = planar ? c * pixels + p : p * info.samplesPerPixel + c;
      const value = bytes === 1 ? data[index]! : view.getUint16(index * 2, littleEndian);
      out[p * info.samplesPerPixel + c] = value & mask;
    }
  }
  return out;
}

const nativeSamples = (file: DicomFile, frame = 1) => {
  const info = pixelInfo(file)!;
  return samplesOf(frameBytes(file, frame), info, info.planar, file.transferSyntax.littleEndian);
};
const decodedSamples = (decoded: DecodedFrame, info: PixelInfo) => samplesOf(decoded.data, info, decoded.planar);
const decode = (file: DicomFile, frame = 1) => decodeFrame(file.transferSyntax.uid, frameBytes(file, frame), pixelInfo(file)!);

/** Where two sample arrays differ most, and how often: `{ count: 0 }` when they are equal. */
function differences(actual: Uint32Array, expected: Uint32Array): { length: number; expectedLength: number; count: number; largest: number } {
  let count = 0;
  let largest = 0;
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (d > 0) count++;
    if (d > largest) largest = d;
  }
  return { length: actual.length, expectedLength: expected.length, count, largest };
}
const identical = (length: number) => ({ length, expectedLength: length, count: 0, largest: 0 });

/** Expects the promise (or call) to fail with this AppError code. */
async function expectCode(action: () => unknown, code: string): Promise<AppError> {
  try {
    await action();
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(AppError);
    expect((error as AppError).code, (error as Error).message).toBe(code);
    return error as AppError;
  }
  throw new Error(`expected ${code}, but it decoded`);
}

describe('decodes every compressed syntax as DCMTK does', () => {
  const lossless: [string, string][] = [
    ['transfer-syntaxes/MR_small_RLE.dcm', 'dcmdrle'],
    ['modalities/US-PAL-8-10x-echo', 'dcmdrle'],
    ['transfer-syntaxes/CTImage.dcm_JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm', 'dcmdjpeg'],
    ['transfer-syntaxes/dcm_qa_ts_5.dcm', 'dcmdjpeg'],
    ['modalities/OutOfBoundsOverlay.dcm', 'dcmdjpeg'],
    ['transfer-syntaxes/MR_small_jpeg_ls_lossless.dcm', 'dcmdjpls'],
    // Near-lossless JPEG-LS is lossy against the original, but its decoding is exact (ISO 14495-1).
    ['transfer-syntaxes/JPEGLSNearLossless_16.dcm', 'dcmdjpls'],
  ];
  for (const [path, tool] of lossless) {
    it(`${path} (${tool})`, async () => {
      const file = load(sample(path));
      const reference = dcmtk(tool, sample(path)).file;
      const frames = frameRanges(file).length;
      expect(frames).toBe(pixelInfo(file)!.frames);
      for (let frame = 1; frame <= frames; frame++) {
        const decoded = await decode(file, frame);
        const expected = nativeSamples(reference, frame);
        expect(differences(decodedSamples(decoded, pixelInfo(file)!), expected), `frame ${frame}`).toEqual(identical(expected.length));
      }
    });
  }

  it('RLE made by dcmcrle from native RGB and 16-bit signed images decodes to the original pixels', async () => {
    for (const path of ['modalities/US-RGB-8-esopecho', 'modalities/CT_small.dcm']) {
      const original = load(sample(path));
      const rle = dcmtk('dcmcrle', sample(path));
      expect(rle.file.transferSyntax.uid).toBe('1.2.840.10008.1.2.5');
      const decoded = await decode(rle.file);
      const expected = nativeSamples(original);
      expect(differences(decodedSamples(decoded, pixelInfo(rle.file)!), expected), path).toEqual(identical(expected.length));
      expect(differences(decodedSamples(decoded, pixelInfo(rle.file)!), nativeSamples(dcmtk('dcmdrle', rle.path).file)), `${path} via dcmdrle`).toEqual(identical(expected.length));
    }
  });

  it('RGB JPEG-LS made by dcmcjpls decodes to the original pixels', async () => {
    const path = 'modalities/US-RGB-8-esopecho';
    const jpegLs = dcmtk('dcmcjpls', sample(path));
    expect(jpegLs.file.transferSyntax.uid).toBe('1.2.840.10008.1.2.4.80');
    const expected = nativeSamples(load(sample(path)));
    expect(differences(decodedSamples(await decode(jpegLs.file), pixelInfo(jpegLs.file)!), expected)).toEqual(identical(expected.length));
  });

  it('lossy JPEG baseline decodes to RGB within one level of dcmdjpeg (two IDCTs round differently)', async () => {
    const made = dcmtk('dcmcjpeg', sample('modalities/US-RGB-8-esopecho'), ['+eb']);
    for (const { path, file } of [{ path: sample('transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm'), file: load(sample('transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm')) }, made]) {
      expect(file.transferSyntax.uid).toBe('1.2.840.10008.1.2.4.50');
      const decoded = await decode(file);
      expect(decoded.photometric).toBe('RGB');
      // dcmdjpeg converts YCbCr to RGB by default, as libjpeg does.
      const reference = dcmtk('dcmdjpeg', path).file;
      expect(pixelInfo(reference)!.photometric).toBe('RGB');
      const expected = nativeSamples(reference);
      const found = differences(decodedSamples(decoded, pixelInfo(file)!), expected);
      expect(found.length).toBe(expected.length);
      expect(found.largest, path).toBeLessThanOrEqual(1);
    }
  });
});

describe('12-bit JPEG', () => {
  it('decodes a 12-bit lossy JPEG (XA, a secondary capture held for review) to dcmdjpeg’s image, up to a small constant offset', async () => {
    for (const path of [sample('modalities/XA1_JPLY'), sample('transfer-syntaxes/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm')]) {
      const file = load(path);
      expect(file.transferSyntax.uid).toBe('1.2.840.10008.1.2.4.51');
      const expected = nativeSamples(dcmtk('dcmdjpeg', path).file);
      const actual = decodedSamples(await decode(file), pixelInfo(file)!);
      expect(actual.length, path).toBe(expected.length);
      // The pdf.js decoder (the viewer's, and now the server's) lands 14–15 of 4,096 levels above
      // libjpeg's on XA1_JPLY: a near-constant offset, the same picture. Beyond it, a level or two.
      const offsets = Array.from(actual, (value, i) => value - expected[i]!).sort((a, b) => a - b);
      const median = offsets[offsets.length >> 1]!;
      expect(Math.abs(median), path).toBeLessThanOrEqual(16);
      const residual = offsets.filter((offset) => Math.abs(offset - median) > 2).length / offsets.length;
      expect(residual, path).toBeLessThan(0.01);
    }
  });
});

describe('JPEG 2000 and HTJ2K', () => {
  it('lossless JPEG 2000 decodes to the pixels of the uncompressed original', async () => {
    const pairs = [
      [sample('transfer-syntaxes/MR_small_jp2klossless.dcm'), sample('transfer-syntaxes/MR_small.dcm')],
      [sample('transfer-syntaxes/JPEG2000.dcm'), join(referencesDir, 'JPEG2000_UNC.dcm')],
    ] as const;
    for (const [compressed, original] of pairs) {
      const file = load(compressed);
      const expected = nativeSamples(load(original));
      expect(differences(decodedSamples(await decode(file), pixelInfo(file)!), expected), compressed).toEqual(identical(expected.length));
    }
  });

  it('HTJ2K decodes as OpenJPH decodes it: lossless exactly, lossy within one level', async () => {
    const require = createRequire(import.meta.url);
    const openjph = await (require('@cornerstonejs/codec-openjph/wasmjs') as (o: object) => Promise<{ HTJ2KDecoder: new () => any }>)({ print: () => {}, printErr: () => {} });
    for (const path of ['transfer-syntaxes/HTJ2KLossless_08_RGB.dcm', 'transfer-syntaxes/HTJ2K_08_RGB.dcm']) {
      const file = load(sample(path));
      const codestream = frameBytes(file, 1);
      const decoder = new openjph.HTJ2KDecoder();
      decoder.getEncodedBuffer(codestream.length).set(codestream);
      decoder.decode();
      const reference = (decoder.getDecodedBuffer() as Uint8Array).slice();
      decoder.delete();
      const info = pixelInfo(file)!;
      const expected = samplesOf(reference, info, false);
      const found = differences(decodedSamples(await decode(file), info), expected);
      // Lossless (reversible 5/3) decodes exactly; the lossy 9/7 wavelet is floating point, and two implementations round a few samples differently.
      if (path.includes('Lossless')) expect(found, path).toEqual(identical(info.rows * info.columns * 3));
      else expect([found.length, found.largest], path).toEqual([info.rows * info.columns * 3, 1]);
    }
  });

  it('a damaged or cut-short codestream is CorruptPixelData, and the next frame still decodes', async () => {
    const file = load(sample('transfer-syntaxes/MR_small_jp2klossless.dcm'));
    const info = pixelInfo(file)!;
    const frame = frameBytes(file, 1);
    const ts = file.transferSyntax.uid;
    await expectCode(() => decodeFrame(ts, frame.slice(0, frame.length >> 1), info), 'CorruptPixelData');
    const badCod = frame.slice();
    badCod[Buffer.from(badCod).indexOf(Buffer.from([0xff, 0x52])) + 1] = 0x99;
    await expectCode(() => decodeFrame(ts, badCod, info), 'CorruptPixelData');
    await expectCode(() => decodeFrame(ts, frame.slice(0, 30), info), 'CorruptPixelData');
    await expectCode(() => decodeFrame(ts, new Uint8Array(500), info), 'CorruptPixelData');
    // A codestream larger than Rows × Columns says is refused before anything is allocated for it.
    const error = await expectCode(() => decodeFrame(ts, frame, { ...info, rows: 32, columns: 32 }), 'CorruptPixelData');
    expect(error.message).toContain('64×64');
    const expected = nativeSamples(load(sample('transfer-syntaxes/MR_small.dcm')));
    expect(differences(decodedSamples(await decodeFrame(ts, frame, info), info), expected)).toEqual(identical(expected.length));
  });

  it('damaged JPEG, JPEG-LS and JPEG lossless frames are CorruptPixelData', async () => {
    for (const path of ['transfer-syntaxes/MR_small_jpeg_ls_lossless.dcm', 'transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm', 'transfer-syntaxes/dcm_qa_ts_5.dcm']) {
      const file = load(sample(path));
      const frame = frameBytes(file, 1);
      await expectCode(() => decodeFrame(file.transferSyntax.uid, frame.slice(0, 20), pixelInfo(file)!), 'CorruptPixelData');
      await expectCode(() => decodeFrame(file.transferSyntax.uid, new Uint8Array(64), pixelInfo(file)!), 'CorruptPixelData');
      expect((await decode(file)).data.length).toBeGreaterThan(0);
    }
  });

  it('syntaxes without a server decoder are NotAcceptable: JPEG XL', async () => {
    await expectCode(() => decode(load(sample('transfer-syntaxes/will-jxl.dcm'))), 'NotAcceptable');
  });
});

describe('RLE (PS3.5 Annex G) by hand', () => {
  const geometry = (rows: number, columns: number, samplesPerPixel = 1, bitsAllocated = 8): FrameGeometry => ({
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored: bitsAllocated,
    signed: false,
    photometric: samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2',
    planar: false,
  });
  /** A frame from segment bodies: the 64-byte header with their offsets, then each body. */
  const frame = (...segments: number[][]) => {
    const header = new Uint8Array(64);
    const view = new DataView(header.buffer);
    view.setUint32(0, segments.length, true);
    let offset = 64;
    segments.forEach((segment, i) => {
      view.setUint32(4 + i * 4, offset, true);
      offset += segment.length;
    });
    return new Uint8Array([...header, ...segments.flat()]);
  };

  it('literal runs, replicate runs, the -128 no-op and an odd segment with its pad byte', () => {
    // 3×3: literal 1,2,3; replicate 7 ×4; no-op; literal 9, 8; pad byte 0 (9 + 1 bytes: odd).
    const out = decodeRle(frame([2, 1, 2, 3, -3 & 0xff, 7, 0x80, 1, 9, 8, 0]), geometry(3, 3));
    expect([...out]).toEqual([1, 2, 3, 7, 7, 7, 7, 9, 8]);
  });

  it('16-bit samples: the first segment is the high byte; output little-endian', () => {
    const out = decodeRle(frame([1, 0x12, 0x34], [1, 0x56, 0x78]), geometry(1, 2, 1, 16));
    expect([...out]).toEqual([0x56, 0x12, 0x78, 0x34]);
  });

  it('RGB: one segment per sample, output colour by plane', async () => {
    const data = frame([-1 & 0xff, 10], [-1 & 0xff, 20], [1, 30, 31]);
    expect([...decodeRle(data, geometry(1, 2, 3))]).toEqual([10, 10, 20, 20, 30, 31]);
    const decoded = await decodeFrame('1.2.840.10008.1.2.5', data, geometry(1, 2, 3));
    expect(decoded.planar).toBe(true);
  });

  it('refuses corrupt headers and short segments with CorruptPixelData', async () => {
    const g = geometry(2, 2);
    const cases: [string, Uint8Array, FrameGeometry?][] = [
      ['shorter than the header', new Uint8Array(40)],
      ['too many segments', (() => { const f = frame([3, 1, 2, 3, 4]); new DataView(f.buffer).setUint32(0, 16, true); return f; })()],
      ['segment count differs from the image', frame([3, 1, 2, 3, 4], [3, 1, 2, 3, 4])],
      ['offset past the end', (() => { const f = frame([3, 1, 2, 3, 4]); new DataView(f.buffer).setUint32(4, 0xfffffff0, true); return f; })()],
      ['offset inside the header', (() => { const f = frame([3, 1, 2, 3, 4]); new DataView(f.buffer).setUint32(4, 8, true); return f; })()],
      ['offsets out of order', (() => { const f = frame([1, 1, 2], [1, 3, 4]); new DataView(f.buffer).setUint32(8, 64, true); return f; })(), geometry(1, 2, 1, 16)],
      ['segment ends early', frame([1, 1, 2])],
      ['literal run past the end', frame([3, 1, 2])],
      ['replicate run without its byte', frame([1, 1, 2, -1 & 0xff])],
    ];
    for (const [name, data, shape] of cases) {
      const error = await expectCode(() => decodeRle(data, shape ?? g), 'CorruptPixelData');
      expect(error.message, name).toMatch(/RLE/);
    }
  });

  it('never throws anything but CorruptPixelData on damaged real frames, and never writes past the image', async () => {
    const file = load(sample('transfer-syntaxes/MR_small_RLE.dcm'));
    const info = pixelInfo(file)!;
    const good = frameBytes(file, 1);
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    let refused = 0;
    for (let round = 0; round < 400; round++) {
      const damaged = good.slice(0, round % 5 === 0 ? Math.floor(random() * good.length) : good.length);
      for (let i = 0; i < 8; i++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
      try {
        expect(decodeRle(damaged, info).length).toBe(info.rows * info.columns * 2);
      } catch (error) {
        expect((error as AppError).code, String(error)).toBe('CorruptPixelData');
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});

describe('rendering', () => {
  it('renderFrameAsync renders a compressed frame as renderFrame renders its uncompressed original', async () => {
    const original = renderFrame(load(sample('transfer-syntaxes/MR_small.dcm')), 1);
    for (const path of ['transfer-syntaxes/MR_small_RLE.dcm', 'transfer-syntaxes/MR_small_jp2klossless.dcm', 'transfer-syntaxes/MR_small_jpeg_ls_lossless.dcm']) {
      const image = await renderFrameAsync(load(sample(path)), 1);
      expect(image.width).toBe(64);
      expect(Buffer.compare(Buffer.from(image.data), Buffer.from(original.data)), path).toBe(0);
    }
    expect(new Set(original.data).size).toBeGreaterThan(10);
  });

  it('renders palette RLE and RGB HTJ2K as colour', async () => {
    const palette = await renderFrameAsync(load(sample('modalities/US-PAL-8-10x-echo')), 3);
    expect(palette.channels).toBe(3);
    const rgb = await renderFrameAsync(load(sample('transfer-syntaxes/HTJ2KLossless_08_RGB.dcm')), 1);
    expect([rgb.width, rgb.height, rgb.channels]).toEqual([640, 480, 3]);
    expect(new Set(rgb.data).size).toBeGreaterThan(100);
  });

  it('runs at most two decodes at once and queues the rest', async () => {
    const file = load(sample('transfer-syntaxes/MR_small_jp2klossless.dcm'));
    const pending = Array.from({ length: 6 }, () => decode(file));
    expect(decodeQueue()).toEqual({ active: MAX_CONCURRENT_DECODES, waiting: 6 - MAX_CONCURRENT_DECODES });
    const results = await Promise.all(pending);
    expect(new Set(results.map((r) => Buffer.from(r.data).toString('base64'))).size).toBe(1);
    expect(decodeQueue()).toEqual({ active: 0, waiting: 0 });
  });
});
