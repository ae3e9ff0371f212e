import { Enums, utilities } from '@cornerstonejs/core';
import { useEffect, useRef, useState } from 'preact/hooks';

import type { DisplaySet } from './study-data.js';

// Thumbnails share Cornerstone's image cache with the viewports. Its CPU path rewrites a colour
// image's cached pixels as RGBA, after which a viewport showing the same image fails in vtk
// ("model.size is not a multiple of model.numberOfComponents"), so thumbnails use the GPU path,
// and are drawn one after the other so they do not compete with the viewports' first images.
let queue: Promise<unknown> = Promise.resolve();
const oneAtATime = <T,>(task: () => Promise<T>): Promise<T> => {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
};

/**
 * A series thumbnail drawn by the viewer itself from the middle image (so every transfer
 * syntax the viewer decodes has one, whatever the server can render), after the viewports
 * have their first images.
 */
export function SeriesThumbnail(props: { displaySet: DisplaySet; enabled: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [failed, setFailed] = useState(false);
  const imageId = props.displaySet.imageIds[Math.floor(props.displaySet.imageIds.length / 2)];
  useEffect(() => {
    if (!props.enabled || !imageId || !canvas.current) return;
    const target = canvas.current;
    oneAtATime(() => utilities.loadImageToCanvas({ canvas: target, imageId, thumbnail: true, useCPURendering: false, requestType: Enums.RequestType.Thumbnail, priority: 10 })).catch(() =>
      setFailed(true),
    );
  }, [props.enabled, imageId]);
  return failed ? <span class="thumb-failed" aria-hidden="true">⚠</span> : <canvas ref={canvas} width={128} height={128} class="thumb-canvas" />;
}
