import { describe, expect, it } from 'vitest';

import { multipartOfBytes, multipartStream, openAhead, type OutgoingPart } from './multipart-writer.js';

/** Parts whose bodies record when they are opened and whether they were cancelled. */
function trackedParts(count: number) {
  const opened: number[] = [];
  const cancelled: number[] = [];
  const parts: OutgoingPart[] = Array.from({ length: count }, (_, i) => ({
    contentType: 'application/dicom',
    body: async () => {
      opened.push(i);
      return new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`part ${i}`));
          controller.close();
        },
        cancel() {
          cancelled.push(i);
        },
      });
    },
  }));
  return { parts, opened, cancelled };
}

describe('openAhead', () => {
  it('streams every part in order while opening at most `depth` ahead', async () => {
    const { parts, opened } = trackedParts(10);
    const seen: number[] = [];
    for await (const part of openAhead(parts, 3)) {
      seen.push(opened.length);
      expect(part.body).toBeInstanceOf(ReadableStream);
    }
    // When part i is handed out, parts up to i + depth have been opened, never more.
    expect(seen).toEqual([4, 5, 6, 7, 8, 9, 10, 10, 10, 10]);
    const text = await new Response(multipartStream(openAhead(trackedParts(3).parts, 2), 'b')).text();
    expect(text).toBe('--b\r\nContent-Type: application/dicom\r\n\r\npart 0\r\n--b\r\nContent-Type: application/dicom\r\n\r\npart 1\r\n--b\r\nContent-Type: application/dicom\r\n\r\npart 2\r\n--b--\r\n');
  });

  it('cancels the bodies it opened ahead when the client goes away', async () => {
    const { parts, opened, cancelled } = trackedParts(10);
    const reader = multipartStream(openAhead(parts, 4), 'b').getReader();
    await reader.read(); // headers of part 0
    await reader.read(); // body of part 0
    await reader.cancel('client closed the connection');
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Part 0 was delivered whole; parts 1–4 were opened ahead and never sent: all closed.
    expect(opened.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    expect(cancelled.sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
  });
});

describe('multipartOfBytes', () => {
  it('writes the same body as the streaming writer, with the bodies themselves (not copies) as chunks', async () => {
    const bodies: Uint8Array[] = [new Uint8Array([1, 2, 3]), new Uint8Array([])];
    const parts = bodies.map((body) => ({ contentType: 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1', headers: { 'Content-Location': 'x' }, body }));
    const chunks: Uint8Array[] = [];
    for await (const chunk of multipartOfBytes(parts, 'b')) chunks.push(chunk);
    expect(chunks.filter((chunk) => bodies.includes(chunk))).toEqual(bodies);
    const expected = new Uint8Array(await new Response(multipartStream(parts, 'b')).arrayBuffer());
    expect(new Uint8Array(Buffer.concat(chunks))).toEqual(expected);
  });
});
