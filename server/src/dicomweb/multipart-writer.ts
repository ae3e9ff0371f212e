/** One part of a multipart/related response. */
export interface OutgoingPart {
  contentType: string;
  headers?: Record<string, string>;
  /** Bytes, a stream, or a function that opens the body only when the part is reached (streams stay lazy). */
  body: Uint8Array | ReadableStream<Uint8Array> | (() => Promise<ReadableStream<Uint8Array> | Uint8Array>);
}

const encoder = new TextEncoder();

function partHeader(part: OutgoingPart, boundary: string): string {
  const headerLines = [`--${boundary}`, `Content-Type: ${part.contentType}`, ...Object.entries(part.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
  return headerLines.join('\r\n') + '\r\n\r\n';
}

/**
 * A multipart/related body of parts already in memory (a frame or a few): every piece is
 * queued at once and none is copied. The part-by-part stream below costs a frame request
 * more than the frame, and copying the frame into one buffer made the garbage collector run
 * every few requests.
 */
export function multipartOfBytes(parts: readonly { contentType: string; headers?: Record<string, string>; body: Uint8Array }[], boundary: string): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) {
        controller.enqueue(encoder.encode(partHeader(part, boundary)));
        controller.enqueue(part.body);
        controller.enqueue(CRLF);
      }
      controller.enqueue(encoder.encode(`--${boundary}--\r\n`));
      controller.close();
    },
  });
}

const CRLF = new Uint8Array([13, 10]);

/**
 * A multipart/related body (RFC 2387) that pulls one part at a time from `parts` and streams
 * its body, so retrieving a whole study holds one chunk in memory, not the study.
 */
export function multipartStream(parts: AsyncIterable<OutgoingPart> | Iterable<OutgoingPart>, boundary: string): ReadableStream<Uint8Array> {
  const iterator = (Symbol.asyncIterator in parts ? parts[Symbol.asyncIterator]() : (parts as Iterable<OutgoingPart>)[Symbol.iterator]()) as
    | AsyncIterator<OutgoingPart>
    | Iterator<OutgoingPart>;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let finished = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (reader) {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        reader = undefined;
        controller.enqueue(CRLF);
        return;
      }
      const next = await iterator.next();
      if (next.done) {
        if (!finished) {
          finished = true;
          controller.enqueue(encoder.encode(`--${boundary}--\r\n`));
        }
        controller.close();
        return;
      }
      const part = next.value;
      controller.enqueue(encoder.encode(partHeader(part, boundary)));
      const body = typeof part.body === 'function' ? await part.body() : part.body;
      if (body instanceof Uint8Array) {
        controller.enqueue(body);
        controller.enqueue(CRLF);
      } else {
        reader = body.getReader();
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
      await iterator.return?.();
    },
  });
}

/**
 * Yields `parts` in order while opening the bodies of up to `depth` parts ahead, so the object
 * store's per-object latency (open, first read, S3 round trip) overlaps with sending the part
 * before. Memory stays bounded: at most `depth` bodies are open, each buffering one chunk.
 */
export async function* openAhead(parts: readonly OutgoingPart[], depth: number): AsyncIterable<OutgoingPart> {
  const opened: Promise<ReadableStream<Uint8Array> | Uint8Array>[] = [];
  const open = (i: number) => {
    const body = parts[i]!.body;
    opened[i] = typeof body === 'function' ? body() : Promise.resolve(body);
    opened[i].catch(() => undefined); // awaited in order below; a failure surfaces there
  };
  try {
    for (let i = 0; i < Math.min(depth, parts.length); i++) open(i);
    for (let i = 0; i < parts.length; i++) {
      if (i + depth < parts.length) open(i + depth);
      const body = await opened[i]!;
      delete opened[i];
      yield { ...parts[i]!, body };
    }
  } finally {
    // The client went away (or a part failed): close what was opened ahead and never sent.
    for (const pending of opened) {
      if (pending) void pending.then((body) => (body instanceof Uint8Array ? undefined : body.cancel()), () => undefined);
    }
  }
}

export function newBoundary(): string {
  return `yunzhen-${crypto.randomUUID()}`;
}
