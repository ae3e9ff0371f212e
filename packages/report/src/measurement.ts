/**
 * Measurements made in the viewer, in a shape neutral to the viewer library: the Cornerstone3D
 * tools fill it, the report links to it, and the renderings turn it into TID 1500 measurement
 * groups (DICOM PS3.16) and FHIR Observations.
 */

/** The annotation tools whose output a report accepts (Cornerstone3D tool names). */
export const measurementTools = [
  'Length',
  'Angle',
  'CobbAngle',
  'Bidirectional',
  'EllipticalROI',
  'RectangleROI',
  'PlanarFreehandROI',
  'SplineROI',
  'Probe',
  'ArrowAnnotate',
] as const;

export type MeasurementTool = (typeof measurementTools)[number];

/** The image a measurement or key image was made on; UIDs as the reader's side knows them. */
export interface ImageRef {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  /** 1-based frame number in a multi-frame instance. */
  frameNumber?: number;
}

/** Values a tool computed; which ones are present depends on the tool. */
export interface MeasurementValues {
  /** Length tool. */
  length_mm?: number;
  /** Bidirectional tool: longest diameter. */
  long_axis_mm?: number;
  /** Bidirectional tool: longest diameter perpendicular to the long axis. */
  short_axis_mm?: number;
  /** Angle and CobbAngle tools. */
  angle_deg?: number;
  /** ROI tools. */
  area_mm2?: number;
  /** ROI and Probe tools: pixel statistics in `unit`. */
  mean?: number;
  stdDev?: number;
  min?: number;
  max?: number;
  /** Unit of the pixel statistics: `HU` for CT, otherwise the modality unit (e.g. `SUV`, or `''` when unitless). */
  unit?: string;
}

export interface Measurement {
  id: string;
  tool: MeasurementTool;
  /** The reader's label, e.g. "T1" or "RUL nodule". */
  label?: string;
  values: MeasurementValues;
  image: ImageRef;
  /**
   * Image coordinates (column, row) of the tool's handles, in pixels: Length 2 points, Angle 3,
   * CobbAngle 4, Bidirectional 4 (long-axis ends, then short-axis ends), EllipticalROI 4
   * (major-axis ends, then minor-axis ends), RectangleROI 2 opposite corners, PlanarFreehandROI and SplineROI
   * the outline as drawn (the spline sampled along its curve), Probe and
   * ArrowAnnotate 1 (the tip).
   */
  points: [number, number][];
  /** Links several measurements of one lesion (e.g. across time points). */
  lesionId?: string;
}

/** The longest diameter: the Length tool's length or the Bidirectional long axis (RECIST 1.1 §3.2). */
export function longestDiameterMm(measurement: Measurement): number | undefined {
  if (measurement.tool === 'Length') return measurement.values.length_mm;
  if (measurement.tool === 'Bidirectional') return measurement.values.long_axis_mm;
  return undefined;
}

/** The short axis of a Bidirectional measurement (RECIST 1.1 §3.2 for lymph nodes). */
export function shortAxisMm(measurement: Measurement): number | undefined {
  return measurement.tool === 'Bidirectional' ? measurement.values.short_axis_mm : undefined;
}

/**
 * Mean diameter as Lung-RADS v2022 defines nodule size: the average of long and short axis,
 * rounded to one decimal. A Length measurement gives one diameter only, which is then used as is.
 */
export function meanDiameterMm(measurement: Measurement): number | undefined {
  if (measurement.tool === 'Length') return measurement.values.length_mm === undefined ? undefined : roundToTenth(measurement.values.length_mm);
  const { long_axis_mm: long, short_axis_mm: short } = measurement.values;
  if (measurement.tool !== 'Bidirectional' || long === undefined || short === undefined) return undefined;
  return roundToTenth((long + short) / 2);
}

/** Rounds half up to one decimal, working in integer tenths so 5.95 gives 6.0 and not 5.9. */
export function roundToTenth(value: number): number {
  return Math.round(Number((value * 10).toFixed(6))) / 10;
}
