/**
 * How a loaded SEG is drawn in a viewport: colours, per-segment visibility and opacity. Kept
 * apart from the SEG reader (`segmentation-overlays.ts`, which loads dcmjs and the adapters) so
 * the reading session can draw without loading them.
 */
import { Enums as ToolEnums, segmentation } from '@cornerstonejs/tools';

import type { SegInstance } from './study-data.js';

const LABELMAP = ToolEnums.SegmentationRepresentations.Labelmap;

/** One segment of a SEG, as the reader toggles it. */
export interface SegmentInfo {
  /** Segment Number (0062,0004): the value of its voxels in the labelmap. */
  index: number;
  label: string;
  /** Recommended Display CIELab Value converted to sRGB, or Cornerstone's default colour for the index. */
  color: [number, number, number];
}

/** A SEG turned into Cornerstone segmentations: one labelmap, or one per layer where segments overlap. */
export interface LoadedSegmentation {
  seg: SegInstance;
  /** The display set (series) the labelmap is drawn on. */
  displaySetKey: string;
  segmentationIds: string[];
  segments: SegmentInfo[];
}

/** How the reader wants one segment drawn. */
export interface SegmentDisplay {
  visible: boolean;
  /** Fill opacity, 0–1. */
  opacity: number;
}

export const defaultSegmentDisplay: SegmentDisplay = { visible: true, opacity: 0.5 };

/** Draws `loaded` in a viewport showing its series, in the segments' colours and the reader's choices. */
export function showInViewport(viewportId: string, loaded: LoadedSegmentation, display: (segmentIndex: number) => SegmentDisplay): void {
  for (const segmentationId of loaded.segmentationIds) {
    segmentation.addLabelmapRepresentationToViewport(viewportId, [{ segmentationId }]);
    for (const segment of loaded.segments) {
      segmentation.config.color.setSegmentIndexColor(viewportId, segmentationId, segment.index, [...segment.color, 255]);
    }
  }
  applyDisplay(viewportId, loaded, display);
}

/** Applies the reader's visibility and opacity of every segment in one viewport. */
export function applyDisplay(viewportId: string, loaded: LoadedSegmentation, display: (segmentIndex: number) => SegmentDisplay): void {
  for (const segmentationId of loaded.segmentationIds) {
    for (const segment of loaded.segments) {
      const { visible, opacity } = display(segment.index);
      segmentation.config.visibility.setSegmentIndexVisibility(viewportId, { segmentationId, type: LABELMAP }, segment.index, visible);
      segmentation.config.style.setStyle({ viewportId, segmentationId, type: LABELMAP, segmentIndex: segment.index }, { fillAlpha: opacity, fillAlphaInactive: opacity, renderOutline: true });
    }
  }
}

/** Removes every segmentation drawn in a viewport (another series comes in, or the viewport goes). */
export function clearViewport(viewportId: string): void {
  segmentation.removeSegmentationRepresentations(viewportId, {}, true);
}
