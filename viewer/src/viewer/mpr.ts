/**
 * Multiplanar reconstruction: a CT or MR series as one volume, shown in three orthographic
 * viewports (axial, sagittal, coronal) with Cornerstone's crosshairs linking them. Needs WebGL
 * (Cornerstone has no canvas path for volumes); `mprSupport` says when it cannot be offered.
 */
import { cornerstoneStreamingImageVolumeLoader, Enums, getRenderingCapabilities, setVolumesForViewports, volumeLoader, type RenderingEngine } from '@cornerstonejs/core';
import { CrosshairsTool, Enums as ToolEnums, PanTool, StackScrollTool, ToolGroupManager, ZoomTool } from '@cornerstonejs/tools';

import type { DisplaySet } from './study-data.js';
import { MPR_TOOL_GROUP_ID, RENDERING_ENGINE_ID } from './tool-names.js';

const { MouseBindings } = ToolEnums;

/** The three planes, by the viewport id each is shown in. */
export const mprPlanes = [
  { viewportId: 'mpr-axial', orientation: Enums.OrientationAxis.AXIAL, name: 'axial' },
  { viewportId: 'mpr-sagittal', orientation: Enums.OrientationAxis.SAGITTAL, name: 'sagittal' },
  { viewportId: 'mpr-coronal', orientation: Enums.OrientationAxis.CORONAL, name: 'coronal' },
] as const;

export type MprPlaneName = (typeof mprPlanes)[number]['name'];

/** Why a display set cannot be reformatted here, or `ok`. */
export type MprSupport = 'ok' | 'noWebGL' | 'notVolume';

/**
 * A stack can be reformatted when it is a series of at least three single-frame CT or MR slices
 * (positions and spacing come from each slice; Cornerstone checks them as it builds the
 * volume), and the browser has WebGL.
 */
export function mprSupport(displaySet: DisplaySet | undefined): MprSupport {
  if (!displaySet || displaySet.multiFrame || displaySet.imageIds.length < 3 || !['CT', 'MR', 'PT'].includes(displaySet.modality)) return 'notVolume';
  return getRenderingCapabilities().webgl ? 'ok' : 'noWebGL';
}

/** Registers the volume loader and the crosshairs once (called from `initCornerstone`). */
export function registerMprTools(addTool: (tool: { toolName: string }) => void): void {
  volumeLoader.registerVolumeLoader('cornerstoneStreamingImageVolume', cornerstoneStreamingImageVolumeLoader as never);
  addTool(CrosshairsTool);
}

/**
 * Shows `displaySet` reformatted in three elements of `engine` (which must render with WebGL).
 * Returns a function that takes the three viewports down again.
 */
export async function openMpr(engine: RenderingEngine, elements: Record<MprPlaneName, HTMLDivElement>, displaySet: DisplaySet): Promise<() => void> {
  const volumeId = `cornerstoneStreamingImageVolume:${displaySet.key}`;
  const volume = await volumeLoader.createAndCacheVolume(volumeId, { imageIds: displaySet.imageIds });
  for (const plane of mprPlanes) {
    engine.enableElement({
      viewportId: plane.viewportId,
      type: Enums.ViewportType.ORTHOGRAPHIC,
      element: elements[plane.name],
      defaultOptions: { orientation: plane.orientation, background: [0, 0, 0] },
    });
  }
  ToolGroupManager.destroyToolGroup(MPR_TOOL_GROUP_ID);
  const group = ToolGroupManager.createToolGroup(MPR_TOOL_GROUP_ID);
  if (!group) throw new Error('could not create the MPR tool group');
  for (const tool of [CrosshairsTool, PanTool, ZoomTool, StackScrollTool]) group.addTool(tool.toolName);
  for (const plane of mprPlanes) group.addViewport(plane.viewportId, RENDERING_ENGINE_ID);
  group.setToolActive(CrosshairsTool.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
  group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
  group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
  group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
  (volume as { load?: () => void }).load?.();
  await setVolumesForViewports(engine, [{ volumeId }], mprPlanes.map((plane) => plane.viewportId));
  engine.renderViewports(mprPlanes.map((plane) => plane.viewportId));
  return () => {
    ToolGroupManager.destroyToolGroup(MPR_TOOL_GROUP_ID);
    for (const plane of mprPlanes) if (engine.getViewport(plane.viewportId)) engine.disableElement(plane.viewportId);
  };
}
