import { createHash, type Hash } from 'node:crypto';

import type { ObjectBody } from './object-store.js';

/** Iterates any accepted body as chunks, feeding each into `hash` on the way. */
export async function* hashedChunks(body: ObjectBody, hash: Hash): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    hash.update(body);
    yield body;
    return;
  }
  const iterable: AsyncIterable<Uint8Array> =
    Symbol.asyncIterator in body ? body : readableStreamChunks(body as ReadableStream<Uint8Array>);
  for await (const chunk of iterable) {
    hash.update(chunk);
    yield chunk;
  }
}

async function* readableStreamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export function sha256Hash(): Hash {
  return createHash('sha256');
}
