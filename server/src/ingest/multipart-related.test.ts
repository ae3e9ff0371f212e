import { describe, expect, it } from 'vitest';

import { parseMediaType, readMultipart } from './multipart-related.js';

function multipart(boundary: string, parts: Uint8Array[], options: { preamble?: string; epilogue?: string } = {}): Uint8Array {
  const chunks: Buffer[] = [Buffer.from(options.preamble ?? '')];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(part), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n${options.epilogue ?? ''}`));
  return Buffer.concat(chunks);
}

/** Streams bytes in small chunks so boundaries fall across chunk edges. */
function streamOf(bytes: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

async function collect(body: Uint8Array, boundary: string, chunkSize: number, limits = { maxPartBytes: 1 << 20, maxParts: 100 }) {
  const parts = [];
  for await (const part of readMultipart(streamOf(body, chunkSize), boundary, limits)) parts.push(part);
  return parts;
}

describe('readMultipart', () => {
  const payloads = [
    new Uint8Array([1, 2, 3]),
    // Bytes that begin like a delimiter but are not one (a sender never puts the whole
    // boundary inside a part: RFC 2046 5.1.1).
    Buffer.from('\r\n--boun\r\n--bou'),
    new Uint8Array(0),
    Buffer.alloc(200_000, 7),
  ];

  for (const chunkSize of [1, 7, 4096, 1 << 20]) {
    it(`splits parts exactly with ${chunkSize}-byte chunks`, async () => {
      const parts = await collect(multipart('bound', payloads, { preamble: 'ignored preamble\r\n', epilogue: 'ignored' }), 'bound', chunkSize);
      expect(parts.map((p) => Buffer.from(p.body).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
      expect(parts[0]!.headers['content-type']).toBe('application/dicom');
    });
  }

  it('refuses a part larger than the limit without buffering the rest', async () => {
    const body = multipart('b', [Buffer.alloc(5000)]);
    await expect(collect(body, 'b', 512, { maxPartBytes: 1000, maxParts: 10 })).rejects.toMatchObject({ code: 'PayloadTooLarge' });
  });

  it('refuses too many parts and a body cut before its closing boundary', async () => {
    await expect(collect(multipart('b', [Buffer.from('x'), Buffer.from('y')]), 'b', 64, { maxPartBytes: 100, maxParts: 1 })).rejects.toMatchObject({ code: 'PayloadTooLarge' });
    const cut = multipart('b', [Buffer.from('complete'), Buffer.from('cut off')]).subarray(0, 60);
    await expect(collect(cut, 'b', 8)).rejects.toMatchObject({ code: 'InvalidRequest' });
  });
});

describe('parseMediaType', () => {
  it('reads quoted parameters', () => {
    expect(parseMediaType('Multipart/Related; type="application/dicom"; boundary="a;b=c"')).toEqual({
      type: 'multipart/related',
      params: { type: 'application/dicom', boundary: 'a;b=c' },
    });
  });
});
