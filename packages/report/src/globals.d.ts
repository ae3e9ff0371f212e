/**
 * The WHATWG Encoding API, present in every runtime this package runs on (browsers, Node ≥ 11).
 * Declared here because the isomorphic build compiles with neither DOM nor Node types.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
