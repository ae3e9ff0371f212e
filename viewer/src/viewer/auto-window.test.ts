import { expect, test } from 'vitest';

import { autoWindowOf } from './auto-window.js';

test('the 1st to 99th percentile of an image with values throughout', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i);
  expect(autoWindowOf(values)).toEqual({ lower: 10, upper: 990 });
});

test('a PET slice that is mostly background gets a window over its uptake, not an empty one', () => {
  // 98 % zero, the rest 100…1299 Bq/ml: both percentiles of the whole image are 0.
  const values = [...new Array<number>(58_800).fill(0), ...Array.from({ length: 1200 }, (_, i) => 100 + i)];
  const range = autoWindowOf(values)!;
  expect(range.lower).toBe(0);
  expect(range.upper).toBeGreaterThan(1200);
  expect(range.upper).toBeLessThanOrEqual(1299);
});

test('stored values are turned into modality units first', () => {
  const values = Array.from({ length: 100 }, (_, i) => i);
  expect(autoWindowOf(values, (v) => v * 2 - 1024)).toEqual({ lower: -1022, upper: -826 });
});

test('a flat image gets a window of width 1, never width 0', () => {
  expect(autoWindowOf(new Float32Array(100).fill(0.25))).toEqual({ lower: -0.25, upper: 0.75 });
  expect(autoWindowOf([])).toBeUndefined();
});
