/**
 * WADO-RS rendered images and thumbnails (PS3.18 10.4.1.1.4) of compressed instances: what a
 * radiographer's pixel review and the study thumbnails show through plain `<img>` elements.
 * The PNGs are read back with a small reader here (zlib and the chunk layout), and the
 * renderings of lossless compressed images are compared with that of their uncompressed original.
 */
import { inflateSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseDicom, findElement } from '@yunzhen/dicom';

import { readSample, rewriteInstances, stowBody } from '../testing/dicom-fixtures.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

interface Png {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** Reads an 8-bit greyscale or RGB PNG whose rows use filter type None (what the server writes). */
function readPng(bytes: Uint8Array): Png {
  const buffer = Buffer.from(bytes);
  expect([...buffer.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (at < buffer.length) {
    const length = buffer.readUInt32BE(at);
    const type = buffer.toString('ascii', at + 4, at + 8);
    const body = buffer.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8]).toBe(8);
      channels = body[9] === 0 ? 1 : body[9] === 2 ? 3 : 0;
    }
    if (type === 'IDAT') data.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  expect(raw.length).toBe((stride + 1) * height);
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, channels, pixels };
}

const distinctValues = (png: Png) => new Set(png.pixels).size;

describe('rendered images of compressed instances', () => {
  let t: TestApp;
  let token: string;
  /** The instance URL (…/instances/uid) of each sample sent, by sample path or name. */
  const instances = new Map<string, string>();

  const stow = async (name: string, bytes: Uint8Array) => {
    const { body, contentType } = stowBody([bytes]);
    const response = await t.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
    const json = await response.json();
    expect(response.status, `${name}: ${JSON.stringify(json['00081198'])}`).toBe(200);
    instances.set(name, new URL(json['00081199'].Value[0]['00081190'].Value[0]).pathname);
  };
  const get = (path: string, accept = 'image/png') => t.request(path, { headers: { Authorization: `Bearer ${token}`, Accept: accept } });
  const png = async (path: string, accept?: string) => {
    const response = await get(path, accept);
    expect(response.status, `${path}: ${response.status === 200 ? '' : await response.text()}`).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('image/png');
    return readPng(new Uint8Array(await response.arrayBuffer()));
  };

  /** A copy of the sample whose first pixel data fragment is changed by `damage` (in place). */
  const damaged = (path: string, damage: (fragment: Uint8Array) => void) => {
    const [copy] = rewriteInstances([readSample(path)], { freshUids: true });
    const file = parseDicom(copy!);
    const fragment = findElement(file.dataset, 0x7fe00010)!.fragments![1]!;
    damage(file.dataset.bytes.subarray(fragment.offset, fragment.offset + fragment.length));
    return copy!;
  };

  const SAMPLES = [
    'transfer-syntaxes/MR_small.dcm',
    'transfer-syntaxes/MR_small_RLE.dcm',
    'transfer-syntaxes/MR_small_jp2klossless.dcm',
    'transfer-syntaxes/MR_small_jpeg_ls_lossless.dcm',
    'transfer-syntaxes/JPEG2000.dcm',
    'transfer-syntaxes/HTJ2KLossless_08_RGB.dcm',
    'transfer-syntaxes/HTJ2K_08_RGB.dcm',
    'transfer-syntaxes/dcm_qa_ts_5.dcm',
    'transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm',
    'transfer-syntaxes/will-jxl.dcm',
    'modalities/US-PAL-8-10x-echo',
  ];

  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    token = await t.token('rad@xuhui.demo');
    // Fresh UIDs: the MR_small files are one image in several syntaxes, with one SOP Instance UID.
    for (const path of SAMPLES) await stow(path, rewriteInstances([readSample(path)], { freshUids: true })[0]!);
    // RLE whose second segment starts past the end of the frame; JPEG 2000 with a damaged COD marker.
    // Both pass ingest, which reads only the header of the first fragment.
    await stow('corrupt RLE', damaged('transfer-syntaxes/MR_small_RLE.dcm', (f) => new DataView(f.buffer, f.byteOffset).setUint32(8, 0x7ffffff0, true)));
    await stow('corrupt J2K', damaged('transfer-syntaxes/MR_small_jp2klossless.dcm', (f) => (f[Buffer.from(f).indexOf(Buffer.from([0xff, 0x52])) + 1] = 0x99)));
  }, 120_000);
  afterAll(() => t.close());

  it('renders RLE, JPEG 2000 and JPEG-LS instances as PNGs equal to the uncompressed original’s', async () => {
    const original = await png(`${instances.get('transfer-syntaxes/MR_small.dcm')}/rendered`);
    expect([original.width, original.height, original.channels]).toEqual([64, 64, 1]);
    expect(distinctValues(original)).toBeGreaterThan(100);
    for (const path of ['transfer-syntaxes/MR_small_RLE.dcm', 'transfer-syntaxes/MR_small_jp2klossless.dcm', 'transfer-syntaxes/MR_small_jpeg_ls_lossless.dcm']) {
      const rendered = await png(`${instances.get(path)}/rendered`);
      expect(Buffer.compare(Buffer.from(rendered.pixels), Buffer.from(original.pixels)), path).toBe(0);
      // As an <img> asks: any image type.
      const asImg = await png(`${instances.get(path)}/rendered`, 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8');
      expect(distinctValues(asImg), path).toBeGreaterThan(100);
    }
  });

  it('renders frames and thumbnails of every decoded syntax, with pixels that are not all one value', async () => {
    const cases: [string, string, [number, number, number]][] = [
      ['transfer-syntaxes/JPEG2000.dcm', '/frames/1/rendered', [256, 1024, 1]],
      ['transfer-syntaxes/JPEG2000.dcm', '/thumbnail', [32, 128, 1]],
      ['transfer-syntaxes/HTJ2KLossless_08_RGB.dcm', '/rendered', [640, 480, 3]],
      ['transfer-syntaxes/HTJ2K_08_RGB.dcm', '/thumbnail', [128, 96, 3]],
      ['transfer-syntaxes/dcm_qa_ts_5.dcm', '/rendered?viewport=192,192', [192, 192, 1]],
      ['transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm', '/rendered', [100, 100, 3]],
      ['modalities/US-PAL-8-10x-echo', '/frames/5/rendered', [600, 430, 3]],
    ];
    for (const [path, suffix, [width, height, channels]] of cases) {
      const image = await png(`${instances.get(path)}${suffix}`);
      expect([image.width, image.height, image.channels], `${path}${suffix}`).toEqual([width, height, channels]);
      expect(distinctValues(image), `${path}${suffix}`).toBeGreaterThan(4);
    }
    const series = instances.get('transfer-syntaxes/MR_small_RLE.dcm')!.replace(/\/instances\/[^/]+$/, '');
    expect(distinctValues(await png(`${series}/thumbnail`))).toBeGreaterThan(100);
    // JPEG baseline passes through as stored unless a PNG, a window or a viewport is asked for.
    const jpeg = await get(`${instances.get('transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm')}/rendered`, 'image/*');
    expect(jpeg.headers.get('Content-Type')).toBe('image/jpeg');
    expect((await png(`${instances.get('transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm')}/rendered?viewport=50,50`, '*/*')).width).toBe(50);
  });

  it('answers a corrupt RLE or JPEG 2000 frame with 422 CorruptPixelData, and keeps serving', async () => {
    for (const name of ['corrupt RLE', 'corrupt J2K']) {
      for (const suffix of ['/rendered', '/thumbnail', '/frames/1/rendered']) {
        const response = await get(`${instances.get(name)}${suffix}`);
        expect(response.status, `${name}${suffix}`).toBe(422);
        const body = await response.json();
        expect(body.error.code).toBe('CorruptPixelData');
        expect(body.error.message).toMatch(/RLE|JPEG 2000/);
      }
    }
    expect(distinctValues(await png(`${instances.get('transfer-syntaxes/MR_small_jp2klossless.dcm')}/rendered`))).toBeGreaterThan(100);
    expect(distinctValues(await png(`${instances.get('transfer-syntaxes/MR_small_RLE.dcm')}/rendered`))).toBeGreaterThan(100);
  });

  it('answers 406 NotAcceptable for a syntax only the viewer decodes (JPEG XL)', async () => {
    const response = await get(`${instances.get('transfer-syntaxes/will-jxl.dcm')}/rendered`);
    expect(response.status).toBe(406);
    expect((await response.json()).error.code).toBe('NotAcceptable');
  });
});
