import { utilities as coreUtilities } from '@cornerstonejs/core';
import { annotation as annotationApi } from '@cornerstonejs/tools';

import type { Measurement, MeasurementValues } from '@yunzhen/report';

import { number, Tag, text } from '../viewer/dicom-json.js';
import type { MeasurementSummary } from '../viewer/measurements.js';
import { imageIndex } from '../viewer/study-data.js';

/**
 * A viewer measurement in the report's neutral shape: values in mm, mm², degrees and the
 * modality unit (lengths measured without pixel spacing are left out: a report states mm),
 * handles as image (column, row) pixels, and the frame only for multi-frame images.
 */
export function toReportMeasurement(summary: MeasurementSummary): Measurement | undefined {
  if (!summary.imageId || !summary.ref) return undefined;
  const entry = imageIndex.get(summary.imageId);
  const sopClassUid = text(entry?.json, Tag.SOPClassUID);
  if (!sopClassUid) return undefined;
  const frames = number(entry?.json, Tag.NumberOfFrames) ?? 1;
  const { stats } = summary;
  const calibrated = !summary.uncalibrated;
  const values: MeasurementValues = {};
  const unit = stats.modalityUnit ?? '';
  switch (summary.tool) {
    case 'Length':
      if (calibrated && stats.length !== undefined) values.length_mm = stats.length;
      break;
    case 'Bidirectional':
      if (calibrated && stats.length !== undefined) values.long_axis_mm = stats.length;
      if (calibrated && stats.width !== undefined) values.short_axis_mm = stats.width;
      break;
    case 'Angle':
    case 'CobbAngle':
      if (stats.angle !== undefined) values.angle_deg = stats.angle;
      break;
    case 'EllipticalROI':
    case 'RectangleROI':
    case 'PlanarFreehandROI':
    case 'SplineROI':
      if (calibrated && stats.area !== undefined) values.area_mm2 = stats.area;
      Object.assign(values, statistics(stats), { unit });
      break;
    case 'Probe':
      if (stats.value !== undefined) Object.assign(values, { mean: stats.value, unit });
      break;
  }
  const annotation = annotationApi.state.getAnnotation(summary.uid);
  const data = annotation?.data as { handles?: { points?: number[][] }; contour?: { polyline?: number[][] } } | undefined;
  // A freehand or spline ROI is its outline (the spline's control points are only how it was drawn).
  const outlined = summary.tool === 'PlanarFreehandROI' || summary.tool === 'SplineROI';
  const worldPoints = ((outlined ? data?.contour?.polyline : data?.handles?.points) ?? []) as [number, number, number][];
  const points = worldPoints.map((world) => {
    const [column, row] = coreUtilities.worldToImageCoords(summary.imageId!, world) ?? [0, 0];
    return [Math.round(column * 100) / 100, Math.round(row * 100) / 100] as [number, number];
  });
  return {
    id: summary.uid,
    tool: summary.tool,
    ...(summary.label && { label: summary.label }),
    values,
    image: {
      studyInstanceUid: summary.ref.studyInstanceUid,
      seriesInstanceUid: summary.ref.seriesInstanceUid,
      sopInstanceUid: summary.ref.sopInstanceUid,
      sopClassUid,
      ...(frames > 1 && { frameNumber: summary.ref.frame }),
    },
    points,
  };
}

function statistics(stats: MeasurementSummary['stats']): MeasurementValues {
  const out: MeasurementValues = {};
  if (stats.mean !== undefined) out.mean = stats.mean;
  if (stats.stdDev !== undefined) out.stdDev = stats.stdDev;
  if (stats.min !== undefined) out.min = stats.min;
  if (stats.max !== undefined) out.max = stats.max;
  return out;
}
