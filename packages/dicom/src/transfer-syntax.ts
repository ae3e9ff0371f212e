import { DicomError } from './errors.js';

/** How a transfer syntax encodes the data set (PS3.5 Section 10 and Annex A). */
export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** The data set after the file meta is a raw DEFLATE stream (PS3.5 A.5). */
  readonly deflated: boolean;
  /** Pixel Data is a sequence of fragments (PS3.5 A.4); the fragments are kept as they are. */
  readonly encapsulated: boolean;
  /** What the first fragment of a frame must start with, for the codestream header check. */
  readonly codestream?: 'jpeg' | 'jpeg2000' | 'rle' | 'jpegxl' | 'video';
}

const native = (uid: string, name: string, explicitVr: boolean, littleEndian: boolean, deflated = false): TransferSyntax =>
  Object.freeze({ uid, name, explicitVr, littleEndian, deflated, encapsulated: false });

const encapsulated = (uid: string, name: string, codestream: TransferSyntax['codestream']): TransferSyntax =>
  Object.freeze({ uid, name, explicitVr: true, littleEndian: true, deflated: false, encapsulated: true, codestream });

/** The transfer syntaxes accepted for ingest. Compressed pixel data is never decoded here. */
export const supportedTransferSyntaxes: ReadonlyMap<string, TransferSyntax> = new Map(
  [
    native('1.2.840.10008.1.2', 'Implicit VR Little Endian', false, true),
    native('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', true, true),
    native('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', true, true, true),
    native('1.2.840.10008.1.2.2', 'Explicit VR Big Endian (retired)', true, false),
    encapsulated('1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian', undefined),
    encapsulated('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg'),
    encapsulated('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg'),
    encapsulated('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg'),
    encapsulated('1.2.840.10008.1.2.4.70', 'JPEG Lossless, First-Order Prediction (Process 14 SV1)', 'jpeg'),
    encapsulated('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg'),
    encapsulated('1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', 'jpeg'),
    encapsulated('1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless Only)', 'jpeg2000'),
    encapsulated('1.2.840.10008.1.2.4.91', 'JPEG 2000', 'jpeg2000'),
    encapsulated('1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component (Lossless Only)', 'jpeg2000'),
    encapsulated('1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component', 'jpeg2000'),
    encapsulated('1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level', 'video'),
    encapsulated('1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level', 'video'),
    encapsulated('1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', 'video'),
    encapsulated('1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', 'video'),
    encapsulated('1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', 'video'),
    encapsulated('1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', 'video'),
    encapsulated('1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', 'video'),
    encapsulated('1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', 'video'),
    encapsulated('1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1', 'video'),
    encapsulated('1.2.840.10008.1.2.4.110', 'JPEG XL Lossless', 'jpegxl'),
    encapsulated('1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression', 'jpegxl'),
    encapsulated('1.2.840.10008.1.2.4.112', 'JPEG XL', 'jpegxl'),
    encapsulated('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 (Lossless Only)', 'jpeg2000'),
    encapsulated('1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', 'jpeg2000'),
    encapsulated('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000', 'jpeg2000'),
    encapsulated('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  ].map((syntax) => [syntax.uid, syntax]),
);

/**
 * Transfer syntaxes PS3.6 defines that are refused: JPIP references keep the pixels on another
 * server, the retired JPEG processes and JPEG-LS/JPEG 2000 variants are not produced by current
 * equipment and few viewers decode them, and the fragmentable MPEG/HEVC variants.
 */
const knownUnsupportedPrefixes = ['1.2.840.10008.1.2.4.', '1.2.840.10008.1.2.6.', '1.2.840.10008.1.2.7.', '1.2.840.10008.1.2.8.', '1.2.840.10008.1.20'];

/** Looks up a transfer syntax, throwing `UnknownTransferSyntax` or `UnsupportedTransferSyntax`. */
export function transferSyntaxOf(uid: string): TransferSyntax {
  const syntax = supportedTransferSyntaxes.get(uid);
  if (syntax !== undefined) return syntax;
  if (knownUnsupportedPrefixes.some((prefix) => uid.startsWith(prefix))) {
    throw new DicomError('UnsupportedTransferSyntax', 'transfer syntax is defined by PS3.6 but not accepted');
  }
  throw new DicomError('UnknownTransferSyntax', 'transfer syntax UID is not defined by PS3.6');
}

export const ImplicitVrLittleEndian = supportedTransferSyntaxes.get('1.2.840.10008.1.2')!;
export const ExplicitVrLittleEndian = supportedTransferSyntaxes.get('1.2.840.10008.1.2.1')!;
export const ExplicitVrBigEndian = supportedTransferSyntaxes.get('1.2.840.10008.1.2.2')!;
