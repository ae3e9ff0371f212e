import type { Context } from 'hono';
import { z } from 'zod';

import { AppError } from './errors.js';

/** Reads and validates a JSON body: 400 `MalformedJson` or `InvalidRequest` naming the fields, never echoing values. */
export async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let body: unknown;
  try {
    body = await c.req.json();
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
