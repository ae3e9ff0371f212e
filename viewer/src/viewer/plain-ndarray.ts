/**
 * A two-dimensional, row-major `ndarray` (the npm package's interface as far as Cornerstone's SEG
 * reader uses it: `data`, `shape`, `get`, `set`). The package compiles its accessors with
 * `new Function`, which the page's Content Security Policy (no 'unsafe-eval') refuses, so the
 * build resolves `ndarray` to this module (vite.config.ts).
 */
export interface PlainNdarray<T extends { length: number; [index: number]: number }> {
  data: T;
  shape: number[];
  stride: number[];
  size: number;
  get(...indices: number[]): number;
  set(...indicesThenValue: number[]): number;
  index(...indices: number[]): number;
}

export default function ndarray<T extends { length: number; [index: number]: number }>(data: T, shape: number[] = [data.length]): PlainNdarray<T> {
  const stride = shape.map((_, axis) => shape.slice(axis + 1).reduce((product, n) => product * n, 1));
  const index = (...indices: number[]) => indices.reduce((offset, i, axis) => offset + i * stride[axis]!, 0);
  return {
    data,
    shape,
    stride,
    size: shape.reduce((product, n) => product * n, 1),
    index,
    get: (...indices) => data[index(...indices)]!,
    set: (...args) => {
      const value = args.pop()!;
      data[index(...args)] = value;
      return value;
    },
  };
}
