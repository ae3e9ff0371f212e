import { writeDicom, type DicomDataset, type DicomFile, type WriteDataset } from '@yunzhen/dicom';

import { EXPLICIT_VR_LITTLE_ENDIAN } from './media-types.js';

/** Byte size of one number for VRs whose values change order between big and little endian. */
const swapSize: Record<string, number> = { US: 2, SS: 2, OW: 2, AT: 2, UL: 4, SL: 4, FL: 4, OF: 4, OL: 4, FD: 8, OD: 8, SV: 8, UV: 8, OV: 8 };

/**
 * Rewrites an instance stored in a native transfer syntax (implicit VR, big endian or
 * deflated) as Explicit VR Little Endian, the DICOMweb default (PS3.18 8.7.3.5.2). Values are
 * copied; only big-endian numbers are byte-swapped. Pixel data are never decoded.
 */
export function toExplicitLittleEndian(file: DicomFile): Uint8Array {
  return writeDicom({ dataset: toWriteDataset(file.dataset), transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN });
}

/** A parsed data set as writer input, values copied as they are (big-endian numbers swapped to little endian). */
export function toWriteDataset(ds: DicomDataset): WriteDataset {
  return ds.elements.map((e) => {
    if (e.items) return { tag: e.tag, vr: e.vr, items: e.items.map(toWriteDataset) };
    if (e.fragments) return { tag: e.tag, vr: e.vr, fragments: e.fragments.map((f) => ds.bytes.subarray(f.offset, f.offset + f.length)) };
    const bytes = ds.bytes.subarray(e.offset, e.offset + e.length);
    const size = swapSize[e.vr];
    if (ds.encoding.littleEndian || !size) return { tag: e.tag, vr: e.vr, bytes };
    const swapped = new Uint8Array(bytes.length);
    for (let i = 0; i + size <= bytes.length; i += size) {
      for (let b = 0; b < size; b++) swapped[i + b] = bytes[i + size - 1 - b]!;
    }
    return { tag: e.tag, vr: e.vr, bytes: swapped };
  });
}
