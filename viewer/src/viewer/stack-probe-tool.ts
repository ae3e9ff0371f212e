import type { Types } from '@cornerstonejs/core';
import { annotation as annotationApi, ProbeTool } from '@cornerstonejs/tools';

type ProbeStats = { index?: Types.Point3; value?: unknown; modalityUnit?: unknown };

/**
 * Cornerstone's probe with the value read on stacks. ProbeTool 5.14 looks the point up at
 * (i, j, index of the slice in the stack) in the voxels of the one image it was placed on,
 * which hold a single slice, so on any but a stack's first image the value is undefined: the
 * list shows "—" and no value is drawn. This reads the same image at slice 0, where the point is.
 */
export class StackProbeTool extends ProbeTool {
  static override toolName = ProbeTool.toolName;

  override _calculateCachedStats(annotation: Parameters<ProbeTool['_calculateCachedStats']>[0], renderingEngine: unknown, enabledElement: { viewport: { element: HTMLDivElement } }, changeType?: Parameters<ProbeTool['_calculateCachedStats']>[3]) {
    const stats = super._calculateCachedStats(annotation, renderingEngine, enabledElement, changeType) as Record<string, ProbeStats>;
    let filled = false;
    for (const [targetId, stat] of Object.entries(stats)) {
      if (!targetId.startsWith('imageId:') || stat.value !== undefined || !stat.index) continue;
      const voxels = this.getTargetImageData(targetId)?.voxelManager as { getAtIJK?: (i: number, j: number, k: number) => unknown } | undefined;
      const value = voxels?.getAtIJK?.(stat.index[0], stat.index[1], 0);
      if (value === undefined) continue;
      stat.value = value;
      filled = true;
    }
    if (filled) annotationApi.state.triggerAnnotationModified(annotation, enabledElement.viewport.element, changeType);
    return stats;
  }
}
