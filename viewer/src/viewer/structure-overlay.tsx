import { Enums, metaData, type Types } from '@cornerstonejs/core';
import { useEffect, useState } from 'preact/hooks';

import type { ReadingSession } from './reading-session.js';
import { contoursInPlane, type ImagePlane, type StructureRoi } from './structure-sets.js';

interface ImagePlaneModule {
  imagePositionPatient?: number[];
  rowCosines?: number[];
  columnCosines?: number[];
  frameOfReferenceUID?: string;
  sliceThickness?: number;
}

/** The displayed image's plane; a contour within half a slice of it is drawn on it. */
function planeOf(imageId: string): ImagePlane | undefined {
  const module = metaData.get('imagePlaneModule', imageId) as ImagePlaneModule | undefined;
  const [x, y, z] = module?.imagePositionPatient ?? [];
  const [r0, r1, r2] = module?.rowCosines ?? [];
  const [c0, c1, c2] = module?.columnCosines ?? [];
  if ([x, y, z, r0, r1, r2, c0, c1, c2].some((v) => typeof v !== 'number')) return undefined;
  const normal: [number, number, number] = [r1! * c2! - r2! * c1!, r2! * c0! - r0! * c2!, r0! * c1! - r1! * c0!];
  const length = Math.hypot(...normal) || 1;
  return {
    origin: [x!, y!, z!],
    normal: normal.map((v) => v / length) as [number, number, number],
    tolerance: Math.max(0.01, (module!.sliceThickness || 1) / 2),
    frameOfReferenceUid: module!.frameOfReferenceUID ?? '',
  };
}

/**
 * RT structure outlines over one viewport: the visible ROIs' contours that lie in the shown
 * image's plane, projected to the canvas at every render (scroll, zoom, pan, flip). Drawn in SVG
 * over the canvas, so they show on the 2D canvas path and with WebGL alike.
 */
export function StructureOverlay(props: { session: ReadingSession; index: number; imageId: string | undefined; rois: StructureRoi[] }) {
  const [, redraw] = useState(0);
  const { session, index } = props;
  useEffect(() => {
    const element = session.element(index);
    if (!element || !props.rois.length) return;
    const onRender = () => redraw((n) => n + 1);
    element.addEventListener(Enums.Events.IMAGE_RENDERED, onRender);
    return () => element.removeEventListener(Enums.Events.IMAGE_RENDERED, onRender);
  }, [session, index, props.imageId, props.rois.length]);

  const vp = session.viewport(index) as Types.IStackViewport | undefined;
  const imageId = vp?.getCurrentImageId();
  const plane = imageId ? planeOf(imageId) : undefined;
  // Between images (a stack being set, a slice still loading) the viewport has no image data to project with.
  if (!vp || !plane || !props.rois.length || !vp.getImageData()) return null;
  const shapes = props.rois.flatMap((roi) =>
    contoursInPlane(roi, plane).map((contour, i) => {
      const points: string[] = [];
      for (let p = 0; p < contour.points.length; p += 3) {
        const [cx, cy] = vp.worldToCanvas([contour.points[p]!, contour.points[p + 1]!, contour.points[p + 2]!]);
        points.push(`${cx.toFixed(1)},${cy.toFixed(1)}`);
      }
      const stroke = `rgb(${roi.color.join(',')})`;
      const Shape = contour.closed ? 'polygon' : 'polyline';
      return <Shape key={`${roi.key}:${i}`} points={points.join(' ')} fill="none" stroke={stroke} stroke-width="2" data-roi={roi.name} />;
    }),
  );
  return (
    <svg class="structure-overlay" data-testid="structure-overlay" data-contours={shapes.length} aria-hidden="true">
      {shapes}
    </svg>
  );
}
