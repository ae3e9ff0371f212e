import { AppError } from '../errors.js';

export interface MultipartPart {
  /** Lowercased header names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface MultipartLimits {
  maxPartBytes: number;
  maxParts: number;
}

/**
 * Splits a `multipart/related` body (RFC 2387, as STOW-RS sends it: PS3.18 8.6.1.2) into its
 * parts while it streams in, buffering at most one part. Written by hand because the
 * maintained streaming parsers (busboy and its forks) only accept multipart/form-data.
 */
export async function* readMultipart(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  limits: MultipartLimits,
): AsyncGenerator<MultipartPart> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const queue = new ByteQueue();
  // Treat the body as if it began with CRLF, so the first boundary needs no special case.
  queue.append(Buffer.from('\r\n'));
  const reader = body.getReader();
  let ended = false;
  const fill = async (): Promise<boolean> => {
    if (ended) return false;
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      return false;
    }
    queue.append(value);
    return true;
  };

  try {
    // Preamble: everything before the first delimiter is ignored (RFC 2046 5.1.1).
    let at = await findOrFail(queue, delimiter, fill, limits.maxPartBytes);
    queue.consume(at + delimiter.length);
    let parts = 0;
    for (;;) {
      while (queue.length < 2 && (await fill()));
      if (queue.startsWith('--')) return; // close delimiter
      const headerEnd = await findOrFail(queue, Buffer.from('\r\n\r\n'), fill, 16 * 1024);
      // Transport padding and the CRLF after the boundary line precede the headers.
      const headerText = queue.peek(headerEnd).toString('latin1');
      queue.consume(headerEnd + 4);
      if (++parts > limits.maxParts) throw new AppError('PayloadTooLarge', `more than ${limits.maxParts} parts in one request`);
      at = await findOrFail(queue, delimiter, fill, limits.maxPartBytes, true);
      yield { headers: parseHeaders(headerText), body: queue.take(at) };
      queue.consume(delimiter.length);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

async function findOrFail(queue: ByteQueue, needle: Buffer, fill: () => Promise<boolean>, maxBefore: number, isPartBody = false): Promise<number> {
  let from = 0;
  for (;;) {
    const index = queue.indexOf(needle, from);
    if (index >= 0) {
      if (index > maxBefore) throw tooLarge(isPartBody, maxBefore);
      return index;
    }
    if (queue.length - needle.length > maxBefore) throw tooLarge(isPartBody, maxBefore);
    from = Math.max(0, queue.length - needle.length + 1);
    if (!(await fill())) throw new AppError('InvalidRequest', 'multipart body ends before its closing boundary');
  }
}

function tooLarge(isPartBody: boolean, limit: number): AppError {
  return isPartBody
    ? new AppError('PayloadTooLarge', `a part is larger than the ${limit}-byte instance limit`)
    : new AppError('InvalidRequest', 'multipart framing not found');
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** A growable byte buffer with cheap appends at the end and consumption at the front. */
class ByteQueue {
  private buffer = Buffer.alloc(64 * 1024);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(chunk: Uint8Array): void {
    if (this.end + chunk.byteLength > this.buffer.length) {
      const needed = this.length + chunk.byteLength;
      if (needed > this.buffer.length / 2) {
        const grown = Buffer.alloc(Math.max(needed, this.buffer.length * 2));
        this.buffer.copy(grown, 0, this.start, this.end);
        this.buffer = grown;
      } else {
        this.buffer.copy(this.buffer, 0, this.start, this.end);
      }
      this.end = this.length;
      this.start = 0;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.byteLength;
  }

  indexOf(needle: Buffer, from: number): number {
    const index = this.buffer.subarray(this.start, this.end).indexOf(needle, from);
    return index;
  }

  startsWith(text: string): boolean {
    return this.buffer.subarray(this.start, this.start + text.length).toString('latin1') === text;
  }

  peek(length: number): Buffer {
    return this.buffer.subarray(this.start, this.start + length);
  }

  /** A copy of the first `length` bytes, consumed. */
  take(length: number): Uint8Array {
    const copy = new Uint8Array(length);
    copy.set(this.buffer.subarray(this.start, this.start + length));
    this.consume(length);
    return copy;
  }

  consume(length: number): void {
    this.start += length;
    if (this.start === this.end) this.start = this.end = 0;
  }
}

/** Parses `type/subtype; a=b; c="d"` into the media type and lowercased parameter names. */
export function parseMediaType(header: string | undefined): { type: string; params: Record<string, string> } {
  if (!header) return { type: '', params: {} };
  const [type = '', ...rest] = splitParams(header);
  const params: Record<string, string> = {};
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq <= 0) continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    params[param.slice(0, eq).trim().toLowerCase()] = value;
  }
  return { type: type.trim().toLowerCase(), params };
}

/** Splits on semicolons outside quoted strings. */
function splitParams(header: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i]!;
    if (ch === '"' && header[i - 1] !== '\\') quoted = !quoted;
    if (ch === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}
