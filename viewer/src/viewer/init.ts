/**
 * All Cornerstone3D registration in one place and in code order: core rendering, the DICOM
 * image loader (the `wadors:` scheme, its decoder worker and WASM codecs), instance metadata
 * and the tools (the TID 1500 adapters load with `sr.ts`, when a report is read or written).
 * Everything else imports the finished state through `initCornerstone()`, which runs once
 * however often it is called.
 */
import { init as coreInit, Enums as CoreEnums, getRenderingCapabilities, imageLoadPoolManager } from '@cornerstonejs/core';
import { init as dicomImageLoaderInit } from '@cornerstonejs/dicom-image-loader';
import { Enums as MetadataEnums, metaData as metadataProviders } from '@cornerstonejs/metadata';
import {
  addTool,
  AngleTool,
  ArrowAnnotateTool,
  BidirectionalTool,
  CobbAngleTool,
  EllipticalROITool,
  init as toolsInit,
  LengthTool,
  PanTool,
  PlanarFreehandROITool,
  RectangleROITool,
  ReferenceLinesTool,
  StackScrollTool,
  WindowLevelTool,
  ZoomTool,
} from '@cornerstonejs/tools';

import { registerMprTools } from './mpr.js';
import { SplineRoiWithStatsTool } from './spline-roi-tool.js';
import { StackProbeTool } from './stack-probe-tool.js';
import { naturalizedOnFirstUse } from './study-data.js';
import { ToolName } from './tool-names.js';

/** Asks the user for an arrow's text; set by the reading page (a dialog of our own, never `window.prompt`). */
export type TextRequest = (initial: string) => Promise<string | null>;

let requestText: TextRequest = async () => null;

/** The reading page installs its label dialog here; the arrow tool calls it. */
export function setTextRequest(request: TextRequest): void {
  requestText = request;
}

let initialized = false;

/** Whether stacks are best drawn on a 2D canvas here: no WebGL, or WebGL through a software rasterizer (see `initCornerstone`). */
export function drawStacksOnCanvas(): boolean {
  const capabilities = getRenderingCapabilities();
  return !capabilities.webgl || capabilities.softwareRasterizer;
}

/** Registers everything exactly once. Synchronous in Cornerstone 5; safe to call on every mount. */
export function initCornerstone(): void {
  if (initialized) return;
  initialized = true;
  // A workstation without a GPU (a VDI desktop, a thin client) still offers WebGL through a
  // software rasterizer, and every stack image then makes a WebGL render and a read-back copy
  // to the screen (about a third of the time to the first image, measured in headless
  // Chromium). Drawing the stack on a 2D canvas is faster there; a real GPU keeps WebGL.
  // Without WebGL at all (turned off, a blocked driver) the 2D canvas is the only way.
  coreInit({ rendering: { useCPURendering: drawStacksOnCanvas() }, debug: {} });
  // Cornerstone lets 1,000 prefetch requests run at once: a 300-slice series opened 299
  // XMLHttpRequests in one task (about half a second on two cores), and a slice the
  // reader then jumped to waited behind all of them in the browser's six connections. A few
  // more than six keeps the connections busy while earlier slices decode.
  imageLoadPoolManager.setMaxSimultaneousRequests(CoreEnums.RequestType.Prefetch, 12);
  // One decoder worker per spare core: decoding is the CPU-bound part of scrolling a CT.
  const cores = typeof navigator.hardwareConcurrency === 'number' ? navigator.hardwareConcurrency : 2;
  dicomImageLoaderInit({ maxWebWorkers: Math.max(1, Math.min(4, cores - 1)) });
  toolsInit();
  // Below Cornerstone's metadata cache (priority 50,000), so each instance is naturalized once.
  metadataProviders.addTypedProvider(MetadataEnums.MetadataModules.NATURALIZED, naturalizedOnFirstUse, { priority: 0 });

  const tools: Record<keyof typeof ToolName, { toolName: string }> = {
    WindowLevel: WindowLevelTool,
    Pan: PanTool,
    Zoom: ZoomTool,
    StackScroll: StackScrollTool,
    Length: LengthTool,
    Angle: AngleTool,
    CobbAngle: CobbAngleTool,
    Bidirectional: BidirectionalTool,
    EllipticalROI: EllipticalROITool,
    RectangleROI: RectangleROITool,
    PlanarFreehandROI: PlanarFreehandROITool,
    SplineROI: SplineRoiWithStatsTool,
    Probe: StackProbeTool,
    ArrowAnnotate: ArrowAnnotateTool,
    ReferenceLines: ReferenceLinesTool,
  };
  for (const [key, tool] of Object.entries(tools) as [keyof typeof ToolName, { toolName: string }][]) {
    if (tool.toolName !== ToolName[key]) throw new Error(`tool name ${ToolName[key]} is ${tool.toolName} in this Cornerstone version`);
    addTool(tool as Parameters<typeof addTool>[0]);
  }
  registerMprTools((tool) => addTool(tool as Parameters<typeof addTool>[0]));
}

/** Per-tool configuration applied when the reading page builds its tool group. */
export function toolConfiguration(toolName: string): Record<string, unknown> | undefined {
  if (toolName === ToolName.ArrowAnnotate) {
    return {
      getTextCallback: (done: (text: string) => void) => {
        void requestText('').then((text) => done(text ?? ''));
      },
      changeTextCallback: (annotation: { data: { label?: string } }, _eventDetail: unknown, done: (text: string) => void) => {
        const current = annotation.data.label ?? '';
        void requestText(current).then((text) => done(text ?? current));
      },
    };
  }
  if (toolName === ToolName.Zoom) return { minZoomScale: 0.05, maxZoomScale: 40 };
  return undefined;
}
