/**
 * `TextEncoder` exists in browsers and in Node, but the package compiles without DOM or Node
 * types (`types: []`), so the one member used here is declared locally instead of globally.
 */
interface Utf8Encoder {
  encode(input: string): Uint8Array;
}

const TextEncoderConstructor = (globalThis as unknown as { TextEncoder: new () => Utf8Encoder }).TextEncoder;
let utf8Encoder: Utf8Encoder | undefined;

export function encodeUtf8(text: string): Uint8Array {
  utf8Encoder ??= new TextEncoderConstructor();
  return utf8Encoder.encode(text);
}

/** True when every character is ASCII (U+0000–U+007F). */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** ASCII text to bytes; callers check `isAscii` first. */
export function encodeAscii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
