/**
 * All Cornerstone3D registration in one place and in code order: core rendering, the DICOM
 * image loader (the `wadors:` scheme, its decoder worker and WASM codecs), the tools and the
 * TID 1500 measurement adapters. Everything else imports the finished state through
 * `initCornerstone()`, which runs once however often it is called.
 */
import { init as coreInit } from '@cornerstonejs/core';
import { init as dicomImageLoaderInit } from '@cornerstonejs/dicom-image-loader';
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
  ProbeTool,
  RectangleROITool,
  StackScrollTool,
  WindowLevelTool,
  ZoomTool,
} from '@cornerstonejs/tools';
// Importing the adapters registers the TID 1500 adapter of every measurement tool (MeasurementReport.registerTool).
import '@cornerstonejs/adapters';

import { ToolName } from './tool-names.js';

/** Asks the user for an arrow's text; set by the reading page (a dialog of our own, never `window.prompt`). */
export type TextRequest = (initial: string) => Promise<string | null>;

let requestText: TextRequest = async () => null;

/** The reading page installs its label dialog here; the arrow tool calls it. */
export function setTextRequest(request: TextRequest): void {
  requestText = request;
}

let initialized = false;

/** Registers everything exactly once. Synchronous in Cornerstone 5; safe to call on every mount. */
export function initCornerstone(): void {
  if (initialized) return;
  initialized = true;
  coreInit({ rendering: { useCPURendering: false }, debug: {} });
  // One decoder worker per spare core: decoding is the CPU-bound part of scrolling a CT.
  const cores = typeof navigator.hardwareConcurrency === 'number' ? navigator.hardwareConcurrency : 2;
  dicomImageLoaderInit({ maxWebWorkers: Math.max(1, Math.min(4, cores - 1)) });
  toolsInit();

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
    Probe: ProbeTool,
    ArrowAnnotate: ArrowAnnotateTool,
  };
  for (const [key, tool] of Object.entries(tools) as [keyof typeof ToolName, { toolName: string }][]) {
    if (tool.toolName !== ToolName[key]) throw new Error(`tool name ${ToolName[key]} is ${tool.toolName} in this Cornerstone version`);
    addTool(tool as Parameters<typeof addTool>[0]);
  }
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
