import { describe, expect, test } from 'vitest';

import ndarray from './plain-ndarray.js';

describe('plain ndarray', () => {
  test('reads and writes row-major like the ndarray package', () => {
    const grid = ndarray(new Uint8Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(grid.get(0, 2)).toBe(3);
    expect(grid.get(1, 0)).toBe(4);
    grid.set(1, 2, 9);
    expect(Array.from(grid.data)).toEqual([1, 2, 3, 4, 5, 9]);
    expect(grid.shape).toEqual([2, 3]);
    expect(grid.stride).toEqual([3, 1]);
  });
});
