import { describe, expect, test } from 'vitest';
import { scanDicom } from './scan.js';
import { readSample } from './testing/samples.js';

describe('scanDicom', () => {
  test('returns the original values and the pixel review verdict', () => {
    const scan = scanDicom(readSample('modalities/US-PAL-8-10x-echo'));
    expect(scan.ok).toBe(true);
    if (!scan.ok) return;
    expect(scan.attributes.Modality).toBe('US');
    expect(scan.attributes.NumberOfFrames).toBe(10);
    expect(scan.attributes.StudyInstanceUID).toBe('999.999.3859744');
    expect(scan.needsPixelReview).toBe(true);
    expect(scan.pixelReviewReasons).toContain('ModalityBurnsInText');
  });

  test('decodes the original patient name', () => {
    const scan = scanDicom(readSample('charsets/chrI2.dcm'));
    expect(scan.ok && scan.attributes.PatientName).toBe('Hong^Gildong=洪^吉洞=홍^길동');
  });

  test('returns the error code of a rejected file instead of throwing', () => {
    expect(scanDicom(readSample('broken/MR_truncated.dcm'))).toMatchObject({ ok: false, code: 'LengthPastEnd' });
    expect(scanDicom(readSample('transfer-syntaxes/HTJ2K_08_RGB.dcm'))).toMatchObject({ ok: false, code: 'MissingRequiredUid' });
    expect(scanDicom(readSample('transfer-syntaxes/HTJ2K_08_RGB.dcm'), { validation: 'structure' }).ok).toBe(true);
  });

  // Its time per file is measured by `pnpm bench:dicom`.
  test('does not decode pixel data: a 27-frame JPEG XL file, a syntax nothing here decodes, scans', () => {
    const scan = scanDicom(readSample('transfer-syntaxes/will-jxl.dcm'));
    expect(scan.ok).toBe(true);
    if (!scan.ok) return;
    expect(scan.attributes.NumberOfFrames).toBe(27);
  });
});
