/**
 * maskInstance across transfer syntaxes and pixel formats: one MR image stored natively, big
 * endian, as RLE, JPEG 2000 lossless and JPEG-LS lossless must come out with the same pixels
 * (those of the native file) outside the box and the smallest stored value inside it (signed
 * 16-bit: −32768); a JPEG lossless CT, a deflated 8-bit image and an HTJ2K RGB image against
 * their own decoded frames.
 */
import { describe, expect, it } from 'vitest';

import { findElement, getAsciiString, parseDicom, Tags, type DicomFile } from '@yunzhen/dicom';

import { readSample } from '../testing/dicom-fixtures.js';
import { decodeFrame } from './decode-frame.js';
import { maskInstance, type MaskBox } from './mask-pixels.js';
import { frameBytes, pixelInfo } from './pixels.js';

const box: MaskBox = { x: 3, y: 5, width: 20, height: 7 };
const isInside = (x: number, y: number) => x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;

const pixelData = (file: DicomFile) => {
  const e = findElement(file.dataset, Tags.PixelData)!;
  return file.dataset.bytes.subarray(e.offset, e.offset + e.length);
};

/** Compares masked samples with the reference: `fill` per sample inside the box, the reference elsewhere. */
function compare(masked: Uint8Array, reference: Uint8Array, columns: number, rows: number, bytesPerPixel: number, fill: number[]) {
  let wrongInside = 0;
  let changedOutside = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      for (let b = 0; b < bytesPerPixel; b++) {
        const at = (y * columns + x) * bytesPerPixel + b;
        if (isInside(x, y)) wrongInside += masked[at] === fill[b] ? 0 : 1;
        else changedOutside += masked[at] === reference[at] ? 0 : 1;
      }
    }
  }
  return { wrongInside, changedOutside };
}

describe('maskInstance', () => {
  const native = parseDicom(readSample('transfer-syntaxes/MR_small.dcm'));
  const reference = pixelData(native);

  it.each(['MR_small.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'MR_small_jp2klossless.dcm', 'MR_small_jpeg_ls_lossless.dcm'])(
    'one signed 16-bit MR image as %s: native pixels outside the box, −32768 inside',
    async (name) => {
      const masked = parseDicom(await maskInstance(parseDicom(readSample(`transfer-syntaxes/${name}`)), [box], '2.25.1'));
      expect(masked.transferSyntax.uid).toBe('1.2.840.10008.1.2.1');
      expect(findElement(masked.dataset, Tags.PixelData)!.vr).toBe('OW');
      expect(getAsciiString(masked.dataset, Tags.SOPInstanceUID)).toBe('2.25.1');
      expect(compare(pixelData(masked), reference, 64, 64, 2, [0x00, 0x80])).toEqual({ wrongInside: 0, changedOutside: 0 });
    },
  );

  it.each([
    ['CTImage.dcm_JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm', [0x00, 0x80]],
    ['image_dfl.dcm', [0]],
    ['HTJ2KLossless_08_RGB.dcm', [0, 0, 0]],
  ] as const)('%s: its own decoded pixels outside the box, black inside', async (name, fill) => {
    const original = parseDicom(readSample(`transfer-syntaxes/${name}`));
    const info = pixelInfo(original)!;
    const decoded = original.transferSyntax.encapsulated ? (await decodeFrame(original.transferSyntax.uid, frameBytes(original, 1), info)).data : pixelData(original);
    const masked = parseDicom(await maskInstance(original, [box], '2.25.2'));
    expect(compare(pixelData(masked), decoded, info.columns, info.rows, info.samplesPerPixel * (info.bitsAllocated / 8), [...fill])).toEqual({ wrongInside: 0, changedOutside: 0 });
  });

  it('refuses a box outside the image', async () => {
    await expect(maskInstance(native, [{ x: 60, y: 0, width: 5, height: 1 }], '2.25.3')).rejects.toMatchObject({ code: 'MaskOutOfBounds' });
  });
});
