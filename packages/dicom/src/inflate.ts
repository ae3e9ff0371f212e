import { Inflate } from 'fflate';
import { DicomError } from './errors.js';
import type { DicomLimits } from './limits.js';

/**
 * Input is fed to the inflater in slices this small so that one push can produce at most about
 * 1032 × 16 KiB = 16.5 MiB (deflate's maximum ratio) before the budget check runs.
 */
const inputChunkBytes = 16 * 1024;

class InflateBudgetExceeded extends Error {}

/** The most a deflated data set of `deflatedBytes` may inflate to: min(maxInflatedBytes, maxInflateRatio × input), at least 64 KiB. */
export function inflateBudget(deflatedBytes: number, limits: DicomLimits): number {
  return Math.min(limits.maxInflatedBytes, Math.max(64 * 1024, deflatedBytes * limits.maxInflateRatio));
}

/**
 * Inflates a raw DEFLATE stream within `budget` bytes, somewhere other than the caller's thread
 * (a server passes Node's zlib on its thread pool, so a bomb being refused does not stall other
 * requests). It fails with DicomError: DecompressionBomb past the budget, Truncated when the
 * stream ends early, InvalidStructure when it is not DEFLATE.
 */
export type Inflater = (deflated: Uint8Array, budget: number) => Promise<Uint8Array>;

/**
 * Inflates the raw DEFLATE stream (RFC 1951, no zlib header) of a Deflated Explicit VR Little
 * Endian data set (PS3.5 A.5) with a byte budget: min(maxInflatedBytes, maxInflateRatio × input).
 * Memory stays within the budget plus one chunk; a bomb is stopped as soon as it crosses it.
 * Bytes after the end of the deflate stream are ignored, as zlib does.
 */
export function inflateBounded(deflated: Uint8Array, limits: DicomLimits): Uint8Array {
  const budget = inflateBudget(deflated.length, limits);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > budget) throw new InflateBudgetExceeded();
    if (chunk.length > 0) chunks.push(chunk.slice());
    if (final) ended = true;
  });
  try {
    for (let offset = 0; offset < deflated.length && !ended; offset += inputChunkBytes) {
      const end = Math.min(deflated.length, offset + inputChunkBytes);
      inflater.push(deflated.subarray(offset, end), end === deflated.length);
    }
  } catch (error) {
    if (error instanceof InflateBudgetExceeded) {
      throw new DicomError('DecompressionBomb', `deflated data set inflates past ${budget} bytes (limit: maxInflatedBytes or maxInflateRatio)`);
    }
    // fflate's error code 0 is "unexpected EOF": the stream was cut short.
    if ((error as { code?: unknown }).code === 0) throw new DicomError('Truncated', 'deflated data set ends before its DEFLATE stream does', {}, { cause: error });
    throw new DicomError('InvalidStructure', 'deflated data set is not a valid DEFLATE stream', {}, { cause: error });
  }
  if (!ended) throw new DicomError('Truncated', 'deflated data set ends before its DEFLATE stream does');
  if (chunks.length === 1) return chunks[0]!;
  const inflated = new Uint8Array(total);
  let position = 0;
  for (const chunk of chunks) {
    inflated.set(chunk, position);
    position += chunk.length;
  }
  return inflated;
}
