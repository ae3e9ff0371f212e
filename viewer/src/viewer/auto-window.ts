/** A window as Cornerstone takes it: the lowest and highest value shown, in modality units. */
export interface ValueRange {
  lower: number;
  upper: number;
}

/** Most values to look at: a sample this size finds the percentiles of a 512×512 image as well as all of it. */
const SAMPLE_SIZE = 65_536;

/**
 * A window that shows the image: the 1st to 99th percentile of its values. Where most of the
 * image is its lowest value (the empty field around a PET, NM or RT Dose slice), percentiles
 * of the whole say little; the window then spans from that background to the 99th percentile
 * of the rest, so the uptake or dose shows with its range. Never an empty window: a flat image gets a width of 1.
 * `toModality` turns a stored value into the modality's units when the pixels are not yet.
 */
export function autoWindowOf(values: ArrayLike<number>, toModality: (stored: number) => number = (v) => v): ValueRange | undefined {
  if (!values.length) return undefined;
  const step = Math.max(1, Math.floor(values.length / SAMPLE_SIZE));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) {
    const value = toModality(values[i]!);
    if (Number.isFinite(value)) sample.push(value);
  }
  if (!sample.length) return undefined;
  sample.sort((a, b) => a - b);
  const at = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  // A background is the lowest value filling at least half the image.
  const background = sample[0]!;
  const rest = at(sample, 0.5) === background ? sample.filter((v) => v !== background) : [];
  const lower = rest.length ? background : at(sample, 0.01);
  const upper = rest.length ? at(rest, 0.99) : at(sample, 0.99);
  if (upper <= lower) return { lower: lower - 0.5, upper: lower + 0.5 };
  return { lower, upper };
}
