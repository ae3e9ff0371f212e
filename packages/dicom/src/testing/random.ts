import { randomFillSync } from 'node:crypto';

/** `random` for `createMemoryPseudonymStore` in Node: cryptographically random bytes. */
export function randomBytesForStore(byteLength: number): Uint8Array {
  return randomFillSync(new Uint8Array(byteLength));
}

/**
 * Deterministic bytes (xorshift32) for tests that need repeatable pseudonyms. Not random enough
 * for anything else.
 */
export function seededRandom(seed: number): (byteLength: number) => Uint8Array {
  let state = seed >>> 0 || 1;
  return (byteLength) => {
    const bytes = new Uint8Array(byteLength);
    for (let i = 0; i < byteLength; i++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      bytes[i] = state & 0xff;
    }
    return bytes;
  };
}
