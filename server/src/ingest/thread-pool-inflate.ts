import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';

import { DicomError, type Inflater } from '@yunzhen/dicom';

const inflateRawAsync = promisify(inflateRaw);

/**
 * Deflated data sets (PS3.5 A.5) inflated by Node's zlib on the libuv thread pool, within the
 * engine's budget: a deflate bomb being refused no longer holds every other request for the
 * second or two the in-line inflater needs to reach the budget.
 */
export const inflateOnThreadPool: Inflater = async (deflated, budget) => {
  try {
    const inflated = await inflateRawAsync(deflated, { maxOutputLength: budget });
    return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new DicomError('DecompressionBomb', `deflated data set inflates past ${budget} bytes (limit: maxInflatedBytes or maxInflateRatio)`);
    if (code === 'Z_BUF_ERROR') throw new DicomError('Truncated', 'deflated data set ends before its DEFLATE stream does', {}, { cause: error });
    throw new DicomError('InvalidStructure', 'deflated data set is not a valid DEFLATE stream', {}, { cause: error });
  }
};
