/** One part of a multipart/related response. */
export interface OutgoingPart {
  contentType: string;
  headers?: Record<string, string>;
  /** Bytes, or a function that opens the body only when the part is reached (streams stay lazy). */
  body: Uint8Array | (() => Promise<ReadableStream<Uint8Array> | Uint8Array>);
}

const encoder = new TextEncoder();

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
        controller.enqueue(encoder.encode('\r\n'));
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
      const headerLines = [`--${boundary}`, `Content-Type: ${part.contentType}`, ...Object.entries(part.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
      controller.enqueue(encoder.encode(headerLines.join('\r\n') + '\r\n\r\n'));
      const body = typeof part.body === 'function' ? await part.body() : part.body;
      if (body instanceof Uint8Array) {
        controller.enqueue(body);
        controller.enqueue(encoder.encode('\r\n'));
      } else {
        reader = body.getReader();
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
}

export function newBoundary(): string {
  return `yunzhen-${crypto.randomUUID()}`;
}
