import { deflateRawSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { isDicomError, parseDicom, parseDicomInflating } from '@yunzhen/dicom';
import { explicit, part10 } from '@yunzhen/dicom/testing/bytes';

import { readSample } from '../testing/dicom-fixtures.js';
import { inflateOnThreadPool } from './thread-pool-inflate.js';

const DEFLATED = '1.2.840.10008.1.2.1.99';

async function codeOf(action: Promise<unknown>): Promise<string> {
  try {
    await action;
  } catch (error) {
    if (isDicomError(error)) return error.code;
    throw error;
  }
  return 'none';
}

describe('deflated data sets inflated on the thread pool', () => {
  it('parse to the same data set as the in-line inflater', async () => {
    for (const path of ['transfer-syntaxes/image_dfl.dcm', 'transfer-syntaxes/report_dfl']) {
      const bytes = readSample(path);
      const inline = parseDicom(bytes);
      const pooled = await parseDicomInflating(bytes, undefined, inflateOnThreadPool);
      expect(pooled.transferSyntax.uid, path).toBe(DEFLATED);
      expect(pooled.dataset.elements.map((e) => [e.tag, e.length]), path).toEqual(inline.dataset.elements.map((e) => [e.tag, e.length]));
      expect(Buffer.compare(Buffer.from(pooled.dataset.bytes), Buffer.from(inline.dataset.bytes)), path).toBe(0);
    }
  });

  it('refuses a bomb, a cut stream and a non-DEFLATE body with the engine’s codes, while this thread keeps running', async () => {
    // 256 MiB of zeros deflate to about 0.26 MB: past the ratio budget (200:1).
    const bomb = part10(deflateRawSync(explicit(0x00091010, 'OB', new Uint8Array(256 * 1024 * 1024)), { level: 9 }), DEFLATED);
    let turns = 0;
    let counting = true;
    const count = () => {
      if (!counting) return;
      turns++;
      setImmediate(count);
    };
    setImmediate(count);
    expect(await codeOf(parseDicomInflating(bomb, undefined, inflateOnThreadPool))).toBe('DecompressionBomb');
    counting = false;
    // The inflating happened elsewhere: this thread went round its event loop meanwhile.
    expect(turns).toBeGreaterThan(0);

    const good = readSample('transfer-syntaxes/image_dfl.dcm');
    expect(await codeOf(parseDicomInflating(good.subarray(0, good.length - 200), undefined, inflateOnThreadPool))).toBe('Truncated');
    const garbage = part10(new Uint8Array(4096).fill(0xff), DEFLATED);
    expect(await codeOf(parseDicomInflating(garbage, undefined, inflateOnThreadPool))).toBe('InvalidStructure');
  });
});
