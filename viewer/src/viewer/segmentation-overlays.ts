/**
 * DICOM SEG (PS3.3 A.51) as coloured labelmaps over the series they segment, through
 * Cornerstone's segmentation state and the adapters' SEG parser. Loaded on first use (with dcmjs
 * and the adapters), only when a study has a SEG.
 */
import { metaData } from '@cornerstonejs/core';
import { adaptersSEG } from '@cornerstonejs/adapters';
import { Enums as ToolEnums, segmentation } from '@cornerstonejs/tools';
import dcmjs from 'dcmjs';

import type { LoadedSegmentation } from './segment-display.js';
import { dicomweb, type DisplaySet, type SegInstance } from './study-data.js';

const { createFromDICOMSegBuffer } = adaptersSEG.Cornerstone3D.Segmentation;
const LABELMAP = ToolEnums.SegmentationRepresentations.Labelmap;

/**
 * The first part of a WADO-RS multipart answer (PS3.18 8.6.1.3). The server answers an instance
 * retrieval as multipart only; the image loader's own multipart reader is internal to its frame
 * requests, so the few lines are here.
 */
export function firstMultipartPart(contentType: string, body: Uint8Array): Uint8Array {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return body;
  const text = new TextDecoder('latin1');
  const find = (needle: string, from: number) => {
    const bytes = new TextEncoder().encode(needle);
    outer: for (let i = from; i <= body.length - bytes.length; i++) {
      for (let j = 0; j < bytes.length; j++) if (body[i + j] !== bytes[j]) continue outer;
      return i;
    }
    return -1;
  };
  const start = find(`--${boundary}`, 0);
  const headerEnd = start < 0 ? -1 : find('\r\n\r\n', start);
  if (headerEnd < 0) throw new Error(`no multipart part in the answer (${text.decode(body.subarray(0, 40))})`);
  const end = find(`\r\n--${boundary}`, headerEnd + 4);
  return body.subarray(headerEnd + 4, end < 0 ? body.length : end);
}

async function fetchInstance(seg: SegInstance): Promise<ArrayBuffer> {
  const response = await fetch(dicomweb.instance(seg.studyInstanceUid, seg.seriesInstanceUid, seg.sopInstanceUid), {
    credentials: 'same-origin',
    // Explicit VR: dcmjs guesses the VR of implicit-VR pixel data (and logs an error doing so).
    headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1' },
  });
  if (!response.ok) throw new Error(`${response.status} for the segmentation`);
  const part = firstMultipartPart(response.headers.get('Content-Type') ?? '', new Uint8Array(await response.arrayBuffer()));
  return part.slice().buffer;
}

interface SegmentMetadata {
  SegmentNumber?: number;
  SegmentLabel?: string;
  RecommendedDisplayCIELabValue?: number[];
}

/** sRGB bytes of a segment's recommended colour (PS3.3 C.10.7.1.1: CIELab scaled to 0–65535). */
function colorOf(segment: SegmentMetadata): [number, number, number] | undefined {
  const lab = segment.RecommendedDisplayCIELabValue;
  if (!lab || lab.length !== 3) return undefined;
  const rgb = dcmjs.data.Colors.dicomlab2RGB(lab) as number[];
  return rgb.map((v) => Math.max(0, Math.min(255, Math.round(v * 255)))) as [number, number, number];
}

/** Reads a SEG and registers its labelmaps over `referenced` (the series its Referenced Series Sequence names). */
export async function loadSegmentation(seg: SegInstance, referenced: DisplaySet): Promise<LoadedSegmentation> {
  const buffer = await fetchInstance(seg);
  const result = await createFromDICOMSegBuffer(referenced.imageIds, buffer, { metadataProvider: metaData });
  const layers = (result.labelMapImages as { imageId: string }[][]).filter((layer) => layer.length);
  const described = (result.segMetadata.data as (SegmentMetadata | undefined)[]).filter((s): s is SegmentMetadata => Boolean(s && (s.SegmentNumber ?? 0) > 0));
  const segmentationIds = layers.map((_, i) => (i === 0 ? seg.sopInstanceUid : `${seg.sopInstanceUid}:${i}`));
  const segmentConfig = Object.fromEntries(described.map((s) => [s.SegmentNumber!, { segmentIndex: s.SegmentNumber!, label: s.SegmentLabel ?? '' }]));
  layers.forEach((layer, i) => {
    segmentation.addSegmentations([
      {
        segmentationId: segmentationIds[i]!,
        representation: { type: LABELMAP, data: { imageIds: layer.map((image) => image.imageId), referencedImageIds: referenced.imageIds } as never },
        config: { label: seg.seriesDescription || 'SEG', segments: segmentConfig },
      },
    ]);
  });
  const segments = described.map((s) => ({
    index: s.SegmentNumber!,
    label: s.SegmentLabel || `#${s.SegmentNumber}`,
    color: colorOf(s) ?? defaultColor(s.SegmentNumber!),
  }));
  return { seg, displaySetKey: referenced.key, segmentationIds, segments };
}

/** Cornerstone's first colour table, which a segment without a recommended colour is drawn in. */
function defaultColor(index: number): [number, number, number] {
  const lut = segmentation.state.getColorLUT(0) as number[][] | undefined;
  const entry = lut?.[index];
  return entry ? [entry[0]!, entry[1]!, entry[2]!] : [255, 0, 0];
}
