/**
 * Resource limits applied while parsing and validating untrusted input. Every check is done
 * before the corresponding memory is allocated, so a rejection costs time and memory in
 * proportion to the bytes actually read, never to what a header claims.
 */
export interface DicomLimits {
  /** Largest accepted input (the file as received, before any inflation). */
  readonly maxInstanceBytes: number;
  /** Largest data set produced by inflating a Deflated Explicit VR Little Endian file (PS3.5 A.5). */
  readonly maxInflatedBytes: number;
  /** Largest inflated/deflated size ratio; deflate itself tops out near 1032:1. */
  readonly maxInflateRatio: number;
  /** Deepest sequence nesting (the top-level data set is depth 0, items of its sequences depth 1). */
  readonly maxNestingDepth: number;
  /** Most elements, items and fragments in one instance, counted together. */
  readonly maxElements: number;
  /** Most frames (Number of Frames, 0028,0008). */
  readonly maxFrames: number;
  /** Largest decoded pixel matrix (Rows × Columns × Samples × Bits Allocated / 8 × Frames). */
  readonly maxDecodedPixelBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * Defaults sized for remote reading from community hospitals: the largest legitimate objects are
 * enhanced multi-frame CT/MR and breast tomosynthesis (hundreds of MB to ~2 GB decoded); the
 * deepest real SR content trees we have seen are about 12 levels.
 */
export const defaultDicomLimits: DicomLimits = Object.freeze({
  maxInstanceBytes: 2 * GiB,
  maxInflatedBytes: 512 * MiB,
  maxInflateRatio: 200,
  maxNestingDepth: 32,
  maxElements: 1_000_000,
  maxFrames: 50_000,
  maxDecodedPixelBytes: 4 * GiB,
});

const resolved = new WeakSet<DicomLimits>([defaultDicomLimits]);

/** Fills unspecified limits from the defaults and rejects nonsensical values early. */
export function resolveLimits(overrides: Partial<DicomLimits> | undefined): DicomLimits {
  if (overrides === undefined) return defaultDicomLimits;
  if (resolved.has(overrides as DicomLimits)) return overrides as DicomLimits;
  const limits = { ...defaultDicomLimits, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !(value > 0)) throw new TypeError(`DicomLimits.${name} must be a positive number`);
  }
  const frozen = Object.freeze(limits);
  resolved.add(frozen);
  return frozen;
}
