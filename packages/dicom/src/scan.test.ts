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

  test('does not read pixel data: a 2 MB multi-frame file scans in well under a millisecond per MB', () => {
    const bytes = readSample('transfer-syntaxes/will-jxl.dcm');
    scanDicom(bytes);
    const started = performance.now();
    for (let i = 0; i < 20; i++) scanDicom(bytes);
    expect((performance.now() - started) / 20).toBeLessThan(5);
  });
});
