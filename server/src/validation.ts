import type { Context } from 'hono';
import { z } from 'zod';

import { AppError } from './errors.js';

/**
 * What a JSON body may weigh unless its route says otherwise. The largest ordinary body (a report
 * in two languages, 20,000 characters each, with its structured findings) is well under it.
 */
export const JSON_BODY_BYTES = 512 * 1024;

/**
 * Reads and validates a JSON body: 400 `MalformedJson` or `InvalidRequest` naming the fields,
 * never echoing values. The body is read only up to `maxBytes` (413 `PayloadTooLarge` as soon as
 * it passes), so nobody, signed in or not, can make the server hold a huge body in memory.
 */
export async function readJson<T extends z.ZodType>(c: Context, schema: T, maxBytes = JSON_BODY_BYTES): Promise<z.infer<T>> {
  const bytes = await readBodyBytes(c, maxBytes, 'JSON bodies here');
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new AppError('MalformedJson', 'request body is not valid JSON');
  }
  return parseInput(schema, body);
}

export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(body)'))];
    throw new AppError('InvalidRequest', `invalid or missing: ${fields.join(', ')}`);
  }
  return result.data;
}

/**
 * The request body as bytes, read only up to `maxBytes`: a larger body is refused with 413 as
 * soon as it passes the limit, instead of after all of it sits in memory.
 */
export async function readBodyBytes(c: Context, maxBytes: number, what: string): Promise<Uint8Array> {
  const refuse = () => new AppError('PayloadTooLarge', `${what} are limited to ${maxBytes} bytes`);
  if (Number(c.req.header('Content-Length') ?? 0) > maxBytes) throw refuse();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (c.req.raw.body) {
    for await (const chunk of c.req.raw.body) {
      size += chunk.length;
      if (size > maxBytes) throw refuse();
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks);
}
