import { describe, expect, test } from 'vitest';
import { DicomError, type DicomErrorCode } from './errors.js';
import { parseDicom } from './parse.js';
import { Tags } from './tags.js';
import { validateForIngest } from './validate.js';
import { writeDicom, type WriteElement } from './write.js';

const identity: WriteElement[] = [
  { tag: Tags.SOPClassUID, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
  { tag: Tags.SOPInstanceUID, vr: 'UI', value: '2.25.100' },
  { tag: Tags.StudyInstanceUID, vr: 'UI', value: '2.25.101' },
  { tag: Tags.SeriesInstanceUID, vr: 'UI', value: '2.25.102' },
];

/** An object without pixels by design (Basic Text SR), for checks that are not about pixels. */
const textReport: WriteElement[] = [{ ...identity[0]!, value: '1.2.840.10008.5.1.4.1.1.88.11' }, ...identity.slice(1)];

function image(overrides: Partial<Record<'rows' | 'columns' | 'bits' | 'samples' | 'frames', number | string>>, pixelBytes: number, extra: WriteElement[] = []): WriteElement[] {
  return [
    ...identity,
    { tag: Tags.Rows, vr: 'US', value: Number(overrides.rows ?? 4) },
    { tag: Tags.Columns, vr: 'US', value: Number(overrides.columns ?? 4) },
    { tag: Tags.BitsAllocated, vr: 'US', value: Number(overrides.bits ?? 16) },
    { tag: Tags.SamplesPerPixel, vr: 'US', value: Number(overrides.samples ?? 1) },
    ...(overrides.frames === undefined ? [] : [{ tag: Tags.NumberOfFrames, vr: 'IS', value: String(overrides.frames) } as WriteElement]),
    { tag: Tags.PixelData, vr: 'OW', bytes: new Uint8Array(pixelBytes) },
    ...extra,
  ];
}

function validate(dataset: WriteElement[], transferSyntaxUid = '1.2.840.10008.1.2.1', limits = {}) {
  return validateForIngest(parseDicom(writeDicom({ dataset, transferSyntaxUid })), limits);
}

function expectCode(action: () => unknown, code: DicomErrorCode): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DicomError);
  expect((thrown as DicomError).code).toBe(code);
}

describe('identifying UIDs', () => {
  test('must be present for ingest, and conform to PS3.5 9.1 when present', () => {
    expect(validate(image({}, 32))).toBeDefined();
    expectCode(() => validate(image({}, 32).filter((element) => element.tag !== Tags.SeriesInstanceUID)), 'MissingRequiredUid');
    expectCode(() => validate(image({}, 32).filter((element) => element.tag !== Tags.StudyInstanceUID)), 'MissingRequiredUid');
    expectCode(() => validate([...identity.slice(0, 3), { tag: Tags.SeriesInstanceUID, vr: 'UI', value: '' }]), 'MissingRequiredUid');
    expectCode(() => validate([...identity.slice(0, 3), { tag: Tags.SeriesInstanceUID, vr: 'UI', value: '1.02.3' }]), 'InvalidUid');
    expectCode(() => validate([...identity.slice(0, 3), { tag: Tags.SeriesInstanceUID, vr: 'UI', value: '1..3' }]), 'InvalidUid');
    const structureOnly = parseDicom(writeDicom({ dataset: identity.slice(0, 2), transferSyntaxUid: '1.2.840.10008.1.2.1' }));
    expect(validateForIngest(structureOnly, undefined, 'structure')).toBeUndefined();
  });
});

describe('whole instances', () => {
  test('an image storage class without Pixel Data is refused: a file cut before its pixels is not an image', () => {
    expectCode(() => validate(identity), 'MissingPixelData');
    const ctWithoutPixels = [{ ...identity[0]!, value: '1.2.840.10008.5.1.4.1.1.2' }, ...identity.slice(1)];
    expectCode(() => validate(ctWithoutPixels), 'MissingPixelData');
    // Objects that have no pixels by design (an SR, a PDF) need none.
    expect(validate([{ ...identity[0]!, value: '1.2.840.10008.5.1.4.1.1.88.11' }, ...identity.slice(1)])).toBeUndefined();
    expect(validate([{ ...identity[0]!, value: '1.2.840.10008.5.1.4.1.1.104.1' }, ...identity.slice(1)])).toBeUndefined();
  });
});

describe('pixel geometry', () => {
  test('native pixel data must match Rows × Columns × Samples × Bits × Frames', () => {
    expect(validate(image({}, 32))).toMatchObject({ rows: 4, columns: 4, decodedBytes: 32 });
    expect(validate(image({ frames: 3 }, 96))?.numberOfFrames).toBe(3);
    expect(validate(image({ bits: 1, rows: 3, columns: 3 }, 2))?.decodedBytes).toBe(2);
    expectCode(() => validate(image({}, 30)), 'ImpossiblePixelGeometry');
    expectCode(() => validate(image({ frames: 2 }, 32)), 'ImpossiblePixelGeometry');
    expectCode(() => validate(image({ rows: 0 }, 32)), 'ImpossiblePixelGeometry');
    expectCode(() => validate(image({ bits: 12 }, 32)), 'ImpossiblePixelGeometry');
    expectCode(() => validate(image({ samples: 5 }, 32)), 'ImpossiblePixelGeometry');
    expectCode(() => validate(image({ frames: '1A' }, 32)), 'InvalidValue');
  });

  // How long the refusal takes is measured by `pnpm bench:dicom`.
  test('sizes are computed, not allocated: 65535² × 50,000 frames is refused', () => {
    expectCode(() => validate(image({ rows: 65535, columns: 65535, frames: 50_000 }, 32)), 'ImpossiblePixelGeometry');
    expectCode(() => validate(image({ rows: 65535, columns: 65535, frames: 60_000 }, 32)), 'ImpossiblePixelGeometry');
  });

  test('compressed frames that would decode past the limit are a decompression bomb', () => {
    const fragments = [new Uint8Array(0), new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0xff, 0xff, 0xff, 0xff, 1, 1, 0x11, 0]), new Uint8Array([0xff, 0xd9])];
    const dataset: WriteElement[] = [
      ...identity,
      { tag: Tags.Rows, vr: 'US', value: 65535 },
      { tag: Tags.Columns, vr: 'US', value: 65535 },
      { tag: Tags.BitsAllocated, vr: 'US', value: 8 },
      { tag: Tags.PixelData, vr: 'OB', fragments },
    ];
    expect(validate(dataset, '1.2.840.10008.1.2.4.50')?.decodedBytes).toBe(65535 * 65535);
    expectCode(() => validate(dataset, '1.2.840.10008.1.2.4.50', { maxDecodedPixelBytes: 1024 * 1024 }), 'DecompressionBomb');
  });

  test('the first codestream must agree with Rows and Columns', () => {
    const jpeg = (height: number, width: number) =>
      new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0, 0xff, 0xd9]);
    const dataset = (fragment: Uint8Array): WriteElement[] => [
      ...identity,
      { tag: Tags.Rows, vr: 'US', value: 4 },
      { tag: Tags.Columns, vr: 'US', value: 8 },
      { tag: Tags.BitsAllocated, vr: 'US', value: 8 },
      { tag: Tags.PixelData, vr: 'OB', fragments: [new Uint8Array(0), fragment] },
    ];
    expect(validate(dataset(jpeg(4, 8)), '1.2.840.10008.1.2.4.50')?.rows).toBe(4);
    expectCode(() => validate(dataset(jpeg(8, 4)), '1.2.840.10008.1.2.4.50'), 'CorruptPixelData');
    expectCode(() => validate(dataset(new Uint8Array([0, 1, 2, 3])), '1.2.840.10008.1.2.4.50'), 'CorruptPixelData');
    expectCode(() => validate(dataset(jpeg(4, 8)), '1.2.840.10008.1.2.4.90'), 'CorruptPixelData');
    expectCode(() => validate(dataset(new Uint8Array(64)), '1.2.840.10008.1.2.5'), 'CorruptPixelData');
  });
});

describe('value lengths', () => {
  test('ASCII-only VRs are held to their maximum length; the retired ACR-NEMA date form is accepted', () => {
    expect(validate([...textReport, { tag: Tags.StudyDate, vr: 'DA', value: '1997.08.28' }])).toBeUndefined();
    expectCode(() => validate([...textReport, { tag: 0x00080031, vr: 'TM', value: '09:11:02.00000000' }]), 'InvalidValue');
    expectCode(() => validate([...textReport, { tag: Tags.Modality, vr: 'CS', value: 'X'.repeat(17) }]), 'InvalidValue');
    expect(validate([...textReport, { tag: 0x00080008, vr: 'CS', value: ['ORIGINAL', 'PRIMARY', 'AXIAL', 'HELICAL_CT_IMAGE'] }])).toBeUndefined();
  });
});
