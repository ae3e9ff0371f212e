/**
 * Cornerstone tool names as constants (they are the keys of the tool registry, of saved
 * annotations and of the TID 1500 adapters), spelled once here so the compiler checks every use.
 * `init.ts` verifies them against the tool classes at start-up.
 */
import { measurementTools, type MeasurementTool } from '@yunzhen/report';

export const ToolName = {
  WindowLevel: 'WindowLevel',
  Pan: 'Pan',
  Zoom: 'Zoom',
  StackScroll: 'StackScroll',
  Length: 'Length',
  Angle: 'Angle',
  CobbAngle: 'CobbAngle',
  Bidirectional: 'Bidirectional',
  EllipticalROI: 'EllipticalROI',
  RectangleROI: 'RectangleROI',
  PlanarFreehandROI: 'PlanarFreehandROI',
  SplineROI: 'SplineROI',
  Probe: 'Probe',
  ArrowAnnotate: 'ArrowAnnotate',
  ReferenceLines: 'ReferenceLines',
} as const;

/**
 * The tools a reader draws with; their annotations are saved, listed and exported as TID 1500.
 * The report package owns the list, so a measurement the viewer saves is one a report accepts.
 */
export { measurementTools };
export type MeasurementToolName = MeasurementTool;

export function isMeasurementTool(name: string | undefined): name is MeasurementToolName {
  return (measurementTools as readonly string[]).includes(name ?? '');
}

/** The tools a primary mouse button can hold. */
export const primaryTools = [ToolName.WindowLevel, ToolName.Pan, ToolName.Zoom, ...measurementTools] as const;
export type PrimaryToolName = (typeof primaryTools)[number];

/** Ids of the one rendering engine and tool group of the reading page, and of its viewports. */
export const RENDERING_ENGINE_ID = 'yunzhen-reading';
export const TOOL_GROUP_ID = 'yunzhen-reading-tools';
/** The tool group of the three MPR viewports (crosshairs on the primary button). */
export const MPR_TOOL_GROUP_ID = 'yunzhen-mpr-tools';
export const viewportId = (index: number) => `viewport-${index}`;
