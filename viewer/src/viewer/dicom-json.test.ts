import { expect, test } from 'vitest';

import { pixelSpacingOf, Tag, type DicomJson } from './dicom-json.js';

const spacing = (row: number, column: number): DicomJson => ({ [Tag.PixelSpacing]: { vr: 'DS', Value: [row, column] } });
const measures = (ds: DicomJson): DicomJson => ({ [Tag.PixelMeasuresSequence]: { vr: 'SQ', Value: [ds] } });

test('pixel spacing of a single-frame image is its own attribute', () => {
  expect(pixelSpacingOf(spacing(0.66, 0.66))).toEqual([0.66, 0.66]);
  expect(pixelSpacingOf({ [Tag.ImagerPixelSpacing]: { vr: 'DS', Value: ['0.1', '0.1'] } })).toEqual([0.1, 0.1]);
  expect(pixelSpacingOf({})).toBeUndefined();
});

test('an enhanced image has its spacing in the frame’s functional group, else in the shared one', () => {
  const enhanced: DicomJson = {
    [Tag.SharedFunctionalGroupsSequence]: { vr: 'SQ', Value: [measures(spacing(0.5, 0.5))] },
    [Tag.PerFrameFunctionalGroupsSequence]: { vr: 'SQ', Value: [{}, measures(spacing(0.7, 0.7))] },
  };
  expect(pixelSpacingOf(enhanced, 1)).toEqual([0.5, 0.5]);
  expect(pixelSpacingOf(enhanced, 2)).toEqual([0.7, 0.7]);
});
