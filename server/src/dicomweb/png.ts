import { crc32, deflateSync } from 'node:zlib';

import type { RenderedImage } from './pixels.js';

/**
 * Encodes an 8-bit grey or RGB image as PNG. Hand-written: Node's zlib provides the deflate
 * and CRC-32 that PNG needs, and the format around them is a few fixed chunks.
 */
export function encodePng(image: RenderedImage): Uint8Array {
  const { width, height, channels, data } = image;
  const stride = width * channels;
  const filtered = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    filtered[y * (stride + 1)] = 0; // filter type None
    filtered.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : 2; // greyscale or truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(filtered, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'ascii');
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/** Nearest-neighbour downscale so the longer side is at most `max` pixels (thumbnails). */
export function downscale(image: RenderedImage, max: number): RenderedImage {
  const scale = Math.max(image.width, image.height) / max;
  if (scale <= 1) return image;
  const width = Math.max(1, Math.round(image.width / scale));
  const height = Math.max(1, Math.round(image.height / scale));
  const data = new Uint8Array(width * height * image.channels);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor(y * scale));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor(x * scale));
      for (let c = 0; c < image.channels; c++) data[(y * width + x) * image.channels + c] = image.data[(sy * image.width + sx) * image.channels + c]!;
    }
  }
  return { width, height, channels: image.channels, data };
}
