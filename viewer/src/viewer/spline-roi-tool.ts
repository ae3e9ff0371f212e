import type { Types } from '@cornerstonejs/core';
import { annotation as annotationApi, SplineROITool, utilities as toolUtilities } from '@cornerstonejs/tools';

type SplineAnnotation = { invalidated?: boolean; metadata: { referencedImageId?: string }; data: { contour: { polyline: Types.Point3[]; closed: boolean }; cachedStats: Record<string, Record<string, unknown>> } };
type Voxels = { getAtIJK?: (i: number, j: number, k: number) => unknown };
type TargetImage = { imageData: { worldToIndex: (point: Types.Point3) => number[] }; metadata: { Modality?: string }; voxelManager?: Voxels };

/**
 * Cornerstone's spline ROI with the pixel statistics a ROI reports: SplineROITool 5.14 computes
 * the area only, where the freehand ROI also gives mean, SD, minimum and maximum. This samples
 * the pixels whose centres lie inside the spline's outline on the image it was drawn on (a stack
 * image holds one slice, so at slice 0), in the modality unit (HU for CT).
 */
export class SplineRoiWithStatsTool extends SplineROITool {
  static override toolName = SplineROITool.toolName;

  constructor(...args: ConstructorParameters<typeof SplineROITool>) {
    super(...args);
    const self = this as unknown as {
      _calculateCachedStats: (annotation: SplineAnnotation, element: HTMLDivElement) => unknown;
      _throttledCalculateCachedStats: unknown;
    };
    const areaOnly = self._calculateCachedStats;
    self._calculateCachedStats = (annotation, element) => {
      // The area-only calculation announces the new statistics; announce them once they are complete.
      const invalidated = annotation.invalidated;
      annotation.invalidated = false;
      const stats = areaOnly(annotation, element);
      if (annotation.data.contour.closed) {
        for (const [targetId, entry] of Object.entries(annotation.data.cachedStats)) {
          const target = this.getTargetImageData(targetId) as TargetImage | undefined;
          if (target) Object.assign(entry, pixelStatistics(annotation, target));
        }
      }
      if (invalidated) annotationApi.state.triggerAnnotationModified(annotation as never, element, 'StatsUpdated' as never);
      return stats;
    };
    self._throttledCalculateCachedStats = toolUtilities.throttle(self._calculateCachedStats, 100, { trailing: true });
  }
}

/** Mean, SD, minimum and maximum of the pixels inside the outline, with their unit. */
function pixelStatistics(annotation: SplineAnnotation, target: TargetImage): Record<string, unknown> {
  const outline = annotation.data.contour.polyline.map((point) => target.imageData.worldToIndex(point));
  const getAt = target.voxelManager?.getAtIJK?.bind(target.voxelManager);
  if (outline.length < 3 || !getAt) return {};
  const xs = outline.map((p) => p[0]!);
  const ys = outline.map((p) => p[1]!);
  let count = 0;
  let sum = 0;
  let sumOfSquares = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let j = Math.ceil(Math.min(...ys)); j <= Math.floor(Math.max(...ys)); j++) {
    for (let i = Math.ceil(Math.min(...xs)); i <= Math.floor(Math.max(...xs)); i++) {
      if (!insidePolygon(i, j, xs, ys)) continue;
      const value = Number(getAt(i, j, 0));
      if (!Number.isFinite(value)) continue;
      count++;
      sum += value;
      sumOfSquares += value * value;
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
  }
  if (count === 0) return {};
  const mean = sum / count;
  const modality = target.metadata.Modality ?? '';
  const imageId = annotation.metadata.referencedImageId ?? '';
  const modalityUnit = toolUtilities.getPixelValueUnits(modality, imageId, { isPreScaled: true, isSuvScaled: false });
  return { mean, stdDev: Math.sqrt(Math.max(0, sumOfSquares / count - mean * mean)), min, max, modalityUnit };
}

/** Even-odd rule: whether the point (x, y) is inside the closed polygon of the vertices. */
function insidePolygon(x: number, y: number, xs: number[], ys: number[]): boolean {
  let inside = false;
  for (let a = 0, b = xs.length - 1; a < xs.length; b = a++) {
    const [xa, ya, xb, yb] = [xs[a]!, ys[a]!, xs[b]!, ys[b]!];
    if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
  }
  return inside;
}
