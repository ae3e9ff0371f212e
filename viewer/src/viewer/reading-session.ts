/**
 * The Cornerstone side of the reading page: one rendering engine, one tool group, up to four
 * stack viewports, and the view operations the toolbar and shortcuts call. UI code talks to this
 * class only; it knows nothing about Preact.
 */
import { Enums, eventTarget, getRenderingCapabilities, getRenderingEngine, getShouldUseCPURendering, metaData, RenderingEngine, setUseCPURendering, utilities as coreUtilities, type Types } from '@cornerstonejs/core';
import { annotation as annotationApi, Enums as ToolEnums, segmentation, ToolGroupManager, utilities as toolUtilities } from '@cornerstonejs/tools';

import { autoWindowOf } from './auto-window.js';
import { drawStacksOnCanvas, initCornerstone, toolConfiguration } from './init.js';
import { openMpr, type MprPlaneName } from './mpr.js';
import { applyDisplay, clearViewport, defaultSegmentDisplay, showInViewport, type LoadedSegmentation, type SegmentDisplay } from './segment-display.js';
import type { DisplaySet } from './study-data.js';
import { isMeasurementTool, measurementTools, RENDERING_ENGINE_ID, TOOL_GROUP_ID, ToolName, viewportId, type PrimaryToolName } from './tool-names.js';

const { MouseBindings } = ToolEnums;

/** Window presets as width/centre in Hounsfield units (CT), by the name shown on the toolbar. */
export const windowPresets = {
  lung: { width: 1500, center: -600 },
  mediastinum: { width: 350, center: 50 },
  abdomen: { width: 400, center: 40 },
  bone: { width: 1800, center: 400 },
  brain: { width: 80, center: 40 },
} as const;

export type WindowPreset = keyof typeof windowPresets | 'auto';

export interface ViewportState {
  displaySetKey: string | undefined;
  imageIndex: number;
  imageCount: number;
  imageId: string | undefined;
  voi: { width: number; center: number } | undefined;
  zoom: number;
  rotation: number;
  invert: boolean;
  flipHorizontal: boolean;
  flipVertical: boolean;
  error: string | undefined;
  loading: boolean;
  playing: boolean;
  /** Patient directions (LPS letters) at the viewport's edges, from the camera (so rotations and flips count). */
  orientation: EdgeLetters | undefined;
}

export interface EdgeLetters {
  top: string;
  bottom: string;
  left: string;
  right: string;
}

const initialState = (): ViewportState => ({
  displaySetKey: undefined,
  imageIndex: 0,
  imageCount: 0,
  imageId: undefined,
  voi: undefined,
  zoom: 1,
  rotation: 0,
  invert: false,
  flipHorizontal: false,
  flipVertical: false,
  error: undefined,
  loading: false,
  playing: false,
  orientation: undefined,
});

type Listener = () => void;

export class ReadingSession {
  private engine: RenderingEngine;
  private readonly states = new Map<number, ViewportState>();
  private readonly elements = new Map<number, HTMLDivElement>();
  private destroyed = false;
  private readonly listeners = new Set<Listener>();
  private readonly cleanups: (() => void)[] = [];
  private readonly elementListeners = new Map<number, () => void>();
  private primaryTool: PrimaryToolName = ToolName.WindowLevel;
  private readonly segmentationList: LoadedSegmentation[] = [];
  /** What each viewport shows, to show it again when the engine is rebuilt for WebGL. */
  private readonly shownSets = new Map<number, DisplaySet>();
  private switchingToWebGL: Promise<void> | undefined;
  private closeMprViewports: (() => void) | undefined;
  /** Counts MPR requests, so one closed while its volume was still loading is taken down when it arrives. */
  private mprRequest = 0;
  /** The reader's choice per segment, keyed `SOP Instance UID:Segment Number`. */
  private readonly segmentDisplays = new Map<string, SegmentDisplay>();

  constructor() {
    initCornerstone();
    // A session before this one may have switched to WebGL (`useWebGL`); each consult starts on the faster path.
    setUseCPURendering(drawStacksOnCanvas(), false);
    getRenderingEngine(RENDERING_ENGINE_ID)?.destroy();
    this.engine = new RenderingEngine(RENDERING_ENGINE_ID);
    ToolGroupManager.destroyToolGroup(TOOL_GROUP_ID);
    const group = ToolGroupManager.createToolGroup(TOOL_GROUP_ID);
    if (!group) throw new Error('could not create the tool group');
    for (const name of Object.values(ToolName)) group.addTool(name, toolConfiguration(name));
    group.setToolActive(ToolName.WindowLevel, { bindings: [{ mouseButton: MouseBindings.Primary }] });
    group.setToolActive(ToolName.Pan, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
    group.setToolActive(ToolName.Zoom, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
    group.setToolActive(ToolName.StackScroll, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
    // Passive: every measurement stays visible and its handles stay editable whatever tool is active.
    for (const name of measurementTools) group.setToolPassive(name);

    const onLoadError = (event: Event) => {
      const detail = (event as CustomEvent<{ imageId?: string; error?: unknown }>).detail;
      for (const [index, state] of this.states) {
        if (detail?.imageId && state.imageId === detail.imageId) this.update(index, { error: describeError(detail.error), loading: false });
      }
    };
    eventTarget.addEventListener(Enums.Events.IMAGE_LOAD_ERROR, onLoadError);
    eventTarget.addEventListener(Enums.Events.IMAGE_LOAD_FAILED, onLoadError);
    this.cleanups.push(() => {
      eventTarget.removeEventListener(Enums.Events.IMAGE_LOAD_ERROR, onLoadError);
      eventTarget.removeEventListener(Enums.Events.IMAGE_LOAD_FAILED, onLoadError);
    });
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }

  state(index: number): ViewportState {
    return this.states.get(index) ?? initialState();
  }

  private update(index: number, patch: Partial<ViewportState>): void {
    this.states.set(index, { ...this.state(index), ...patch });
    this.emit();
  }

  viewport(index: number): Types.IStackViewport | undefined {
    return this.engine.getViewport(viewportId(index)) as Types.IStackViewport | undefined;
  }

  element(index: number): HTMLDivElement | undefined {
    return this.elements.get(index);
  }

  /** Turns a div into viewport `index` and wires its events into the state. */
  enable(index: number, element: HTMLDivElement): void {
    const id = viewportId(index);
    this.elements.set(index, element);
    this.engine.enableElement({ viewportId: id, type: Enums.ViewportType.STACK, element, defaultOptions: { background: [0, 0, 0] } });
    ToolGroupManager.getToolGroup(TOOL_GROUP_ID)?.addViewport(id, RENDERING_ENGINE_ID);
    const refresh = () => this.readState(index);
    const onNewImage = () => {
      this.update(index, { error: undefined, loading: false });
      refresh();
    };
    element.addEventListener(Enums.Events.STACK_NEW_IMAGE, onNewImage);
    element.addEventListener(Enums.Events.VOI_MODIFIED, refresh);
    element.addEventListener(Enums.Events.CAMERA_MODIFIED, refresh);
    this.states.set(index, this.state(index));
    const removeListeners = () => {
      element.removeEventListener(Enums.Events.STACK_NEW_IMAGE, onNewImage);
      element.removeEventListener(Enums.Events.VOI_MODIFIED, refresh);
      element.removeEventListener(Enums.Events.CAMERA_MODIFIED, refresh);
    };
    this.elementListeners.set(index, removeListeners);
    this.cleanups.push(removeListeners);
  }

  disable(index: number): void {
    // The page may tear the session down before its viewports unmount; by then there is nothing to disable.
    if (this.destroyed) return;
    this.elementListeners.get(index)?.();
    this.elementListeners.delete(index);
    this.stopCine(index);
    const element = this.elements.get(index);
    if (element) toolUtilities.stackPrefetch.disable(element);
    if (this.segmentationList.length) clearViewport(viewportId(index));
    ToolGroupManager.getToolGroup(TOOL_GROUP_ID)?.removeViewports(RENDERING_ENGINE_ID, viewportId(index));
    this.engine.disableElement(viewportId(index));
    this.elements.delete(index);
    this.states.delete(index);
    this.shownSets.delete(index);
    this.emit();
  }

  resize(): void {
    this.engine.resize(true, true);
  }

  private readState(index: number): void {
    const vp = this.viewport(index);
    if (!vp) return;
    const props = vp.getProperties();
    const range = props.voiRange;
    const presentation = vp.getViewPresentation({ rotation: true, zoom: true, flipHorizontal: true, flipVertical: true } as never);
    this.update(index, {
      imageIndex: vp.getCurrentImageIdIndex(),
      imageCount: vp.getImageIds().length,
      imageId: vp.getCurrentImageId(),
      voi: range ? { width: range.upper - range.lower, center: (range.upper + range.lower) / 2 } : undefined,
      invert: Boolean(props.invert),
      zoom: presentation.zoom ?? 1,
      rotation: presentation.rotation ?? 0,
      flipHorizontal: Boolean(presentation.flipHorizontal),
      flipVertical: Boolean(presentation.flipVertical),
      orientation: edgeLetters(vp.getCamera()),
    });
  }

  /** Shows a display set in viewport `index`, at `imageIndex` (the middle slice by default for CT/MR stacks). */
  async show(index: number, displaySet: DisplaySet, imageIndex?: number): Promise<void> {
    // The canvas path windows through a lookup table indexed by pixel value, which cannot show
    // the fractional values of a rescaled PET, NM or dose grid (a PET in two grey levels, an RT
    // Dose black): those are worth WebGL's slower first image.
    if (fractionalValues.has(displaySet.modality) && this.drawsOnCanvas) await this.useWebGL();
    let vp = this.viewport(index);
    const element = this.elements.get(index);
    if (!vp || !element) return;
    // Cornerstone 5.14 reuses the viewport's image data when a stack of another colour model
    // (grey after RGB, or the reverse) comes in, and vtk then fails with "model.size is not a
    // multiple of model.numberOfComponents": such a switch gets a fresh viewport.
    const samples = (imageId: string | undefined) => (imageId ? ((metaData.get('imagePixelModule', imageId) as { samplesPerPixel?: number } | undefined)?.samplesPerPixel ?? 1) : undefined);
    const shown = this.state(index).imageId;
    if (shown && samples(shown) !== samples(displaySet.imageIds[0])) {
      this.disable(index);
      this.enable(index, element);
      vp = this.viewport(index);
      if (!vp) return;
    }
    this.stopCine(index);
    this.shownSets.set(index, displaySet);
    const start = imageIndex ?? 0;
    this.update(index, { displaySetKey: displaySet.key, imageIndex: start, imageCount: displaySet.imageIds.length, imageId: displaySet.imageIds[start], error: undefined, loading: true });
    try {
      await vp.setStack(displaySet.imageIds, start);
      if (openWithAutoWindow.has(displaySet.modality)) {
        const range = autoWindow(vp);
        if (range) vp.setProperties({ voiRange: range });
      }
      this.drawSegmentations(index, displaySet.key);
      vp.render();
      this.readState(index);
      this.update(index, { loading: false });
    } catch (error) {
      this.update(index, { error: describeError(error), loading: false });
    }
    if (displaySet.imageIds.length > 1) {
      // Let the browser paint the first image before hundreds of prefetch responses compete
      // for the main thread.
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      if (this.elements.get(index) === element && !this.destroyed) toolUtilities.stackPrefetch.enable(element);
    }
  }

  /** The SEGs loaded so far, each over the series it segments. */
  get segmentations(): readonly LoadedSegmentation[] {
    return this.segmentationList;
  }

  segmentDisplay(sopInstanceUid: string, segmentIndex: number): SegmentDisplay {
    return this.segmentDisplays.get(`${sopInstanceUid}:${segmentIndex}`) ?? defaultSegmentDisplay;
  }

  /**
   * Draws, in every other viewport, where the image of viewport `source` cuts its plane (a
   * reference line: an axial slice's level on a sagittal or coronal series of the same frame
   * of reference). `undefined` turns the lines off (one viewport).
   */
  setReferenceSource(source: number | undefined): void {
    const group = ToolGroupManager.getToolGroup(TOOL_GROUP_ID);
    if (!group) return;
    if (source === undefined) {
      group.setToolDisabled(ToolName.ReferenceLines);
      return;
    }
    group.setToolConfiguration(ToolName.ReferenceLines, { sourceViewportId: viewportId(source) });
    group.setToolEnabled(ToolName.ReferenceLines);
    this.engine.render();
  }

  /** Whether stacks are drawn on a 2D canvas (Cornerstone's CPU path), as on a machine without a GPU. */
  get drawsOnCanvas(): boolean {
    return getShouldUseCPURendering();
  }

  /**
   * Rebuilds the rendering engine with WebGL where stacks were drawn on a 2D canvas (a software
   * rasterizer: see `initCornerstone`), and shows every viewport again where it was. Cornerstone's
   * canvas path draws no labelmaps on a stack viewport, and has no volume viewports at all: a SEG
   * or MPR is worth the slower first image that WebGL costs there. Annotations live in
   * Cornerstone's global state and stay.
   */
  useWebGL(): Promise<void> {
    if (!getShouldUseCPURendering() || !getRenderingCapabilities().webgl || this.destroyed) return Promise.resolve();
    this.switchingToWebGL ??= (async () => {
      const shown = [...this.elements].map(([index, element]) => ({ index, element, displaySet: this.shownSets.get(index), imageIndex: this.state(index).imageIndex }));
      for (const { index } of shown) this.disable(index);
      setUseCPURendering(false, false);
      this.engine.destroy();
      this.engine = new RenderingEngine(RENDERING_ENGINE_ID);
      for (const { index, element } of shown) this.enable(index, element);
      await Promise.all(shown.map(({ index, displaySet, imageIndex }) => (displaySet ? this.show(index, displaySet, imageIndex) : undefined)));
    })();
    return this.switchingToWebGL;
  }

  /** Shows `displaySet` reformatted in three elements (axial, sagittal, coronal), switching to WebGL first. */
  async openMpr(elements: Record<MprPlaneName, HTMLDivElement>, displaySet: DisplaySet): Promise<void> {
    this.closeMpr();
    const request = this.mprRequest;
    await this.useWebGL();
    if (this.destroyed || request !== this.mprRequest) return;
    const close = await openMpr(this.engine, elements, displaySet);
    if (this.destroyed || request !== this.mprRequest) close();
    else this.closeMprViewports = close;
  }

  closeMpr(): void {
    this.mprRequest++;
    this.closeMprViewports?.();
    this.closeMprViewports = undefined;
  }

  /** Adds a loaded SEG and draws it in every viewport already showing its series. */
  async addSegmentation(loaded: LoadedSegmentation): Promise<void> {
    await this.useWebGL();
    this.segmentationList.push(loaded);
    for (const [index, state] of this.states) {
      if (state.displaySetKey === loaded.displaySetKey && !state.loading) {
        showInViewport(viewportId(index), loaded, (segment) => this.segmentDisplay(loaded.seg.sopInstanceUid, segment));
        this.viewport(index)?.render();
      }
    }
    this.emit();
  }

  /** Shows, hides or changes the opacity of one segment wherever its SEG is drawn. */
  setSegmentDisplay(sopInstanceUid: string, segmentIndex: number, patch: Partial<SegmentDisplay>): void {
    this.segmentDisplays.set(`${sopInstanceUid}:${segmentIndex}`, { ...this.segmentDisplay(sopInstanceUid, segmentIndex), ...patch });
    const loaded = this.segmentationList.find((l) => l.seg.sopInstanceUid === sopInstanceUid);
    if (!loaded) return;
    for (const [index, state] of this.states) {
      if (state.displaySetKey !== loaded.displaySetKey) continue;
      applyDisplay(viewportId(index), loaded, (segment) => this.segmentDisplay(sopInstanceUid, segment));
      this.viewport(index)?.render();
    }
    this.emit();
  }

  /** Replaces the labelmaps of viewport `index` with those over the series it now shows. */
  private drawSegmentations(index: number, displaySetKey: string): void {
    if (!this.segmentationList.length) return;
    clearViewport(viewportId(index));
    for (const loaded of this.segmentationList) {
      if (loaded.displaySetKey === displaySetKey) showInViewport(viewportId(index), loaded, (segment) => this.segmentDisplay(loaded.seg.sopInstanceUid, segment));
    }
  }

  async scrollTo(index: number, imageIndex: number): Promise<void> {
    const vp = this.viewport(index);
    if (!vp) return;
    const count = vp.getImageIds().length;
    if (!count) return;
    const target = Math.max(0, Math.min(count - 1, imageIndex));
    if (target === vp.getCurrentImageIdIndex()) return;
    await vp.setImageIdIndex(target).catch((error: unknown) => this.update(index, { error: describeError(error) }));
  }

  scrollBy(index: number, delta: number): Promise<void> {
    const vp = this.viewport(index);
    return vp ? this.scrollTo(index, vp.getCurrentImageIdIndex() + delta) : Promise.resolve();
  }

  setPrimaryTool(name: PrimaryToolName): void {
    const group = ToolGroupManager.getToolGroup(TOOL_GROUP_ID);
    if (!group || name === this.primaryTool) return;
    const previous = this.primaryTool;
    if (isMeasurementTool(previous)) group.setToolPassive(previous);
    else if (previous === ToolName.Pan) group.setToolActive(ToolName.Pan, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
    else if (previous === ToolName.Zoom) group.setToolActive(ToolName.Zoom, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
    else group.setToolPassive(previous);
    const extra = name === ToolName.Pan ? [{ mouseButton: MouseBindings.Auxiliary }] : name === ToolName.Zoom ? [{ mouseButton: MouseBindings.Secondary }] : [];
    group.setToolActive(name, { bindings: [{ mouseButton: MouseBindings.Primary }, ...extra] });
    this.primaryTool = name;
    this.emit();
  }

  get activeTool(): PrimaryToolName {
    return this.primaryTool;
  }

  setWindow(index: number, preset: WindowPreset): void {
    const vp = this.viewport(index);
    if (!vp) return;
    if (preset === 'auto') {
      const range = autoWindow(vp);
      if (range) vp.setProperties({ voiRange: range });
      else vp.resetProperties();
    } else {
      const { width, center } = windowPresets[preset];
      vp.setProperties({ voiRange: { lower: center - width / 2, upper: center + width / 2 } });
    }
    vp.render();
    this.readState(index);
  }

  invert(index: number): void {
    const vp = this.viewport(index);
    if (!vp) return;
    vp.setProperties({ invert: !vp.getProperties().invert });
    vp.render();
    this.readState(index);
  }

  rotate(index: number, degrees: number): void {
    const vp = this.viewport(index);
    if (!vp) return;
    const current = vp.getViewPresentation().rotation ?? 0;
    vp.setViewPresentation({ rotation: (((current + degrees) % 360) + 360) % 360 });
    vp.render();
    this.readState(index);
  }

  flip(index: number, direction: 'horizontal' | 'vertical'): void {
    const vp = this.viewport(index);
    if (!vp) return;
    const camera = vp.getCamera();
    if (direction === 'horizontal') vp.setCamera({ flipHorizontal: !camera.flipHorizontal });
    else vp.setCamera({ flipVertical: !camera.flipVertical });
    vp.render();
    this.readState(index);
  }

  zoomBy(index: number, factor: number): void {
    const vp = this.viewport(index);
    if (!vp) return;
    vp.setZoom(vp.getZoom() * factor);
    vp.render();
    this.readState(index);
  }

  reset(index: number): void {
    const vp = this.viewport(index);
    if (!vp) return;
    vp.resetProperties();
    vp.resetCamera();
    // resetCamera keeps the flips (they are part of Cornerstone's camera, not of its reset).
    vp.setCamera({ flipHorizontal: false, flipVertical: false });
    vp.setViewPresentation({ rotation: 0 });
    vp.render();
    this.readState(index);
  }

  playCine(index: number, framesPerSecond: number): void {
    const element = this.elements.get(index);
    if (!element || this.state(index).imageCount < 2) return;
    toolUtilities.cine.playClip(element, { framesPerSecond, loop: true });
    this.update(index, { playing: true });
  }

  stopCine(index: number): void {
    const element = this.elements.get(index);
    if (element && this.state(index).playing) toolUtilities.cine.stopClip(element);
    if (this.states.has(index) && this.state(index).playing) this.update(index, { playing: false });
  }

  render(): void {
    this.engine.render();
  }

  /**
   * Settles once a viewport has shown its first image (or failed to). Annotations are added
   * after that: in CPU rendering, drawing an annotation on a viewport whose stack is set but
   * whose image has not arrived throws inside Cornerstone.
   */
  firstImageShown(): Promise<void> {
    const shown = () => [...this.states.values()].some((state) => state.imageId !== undefined && !state.loading);
    if (shown() || this.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const stop = this.subscribe(() => {
        if (!shown() && !this.destroyed) return;
        stop();
        resolve();
      });
    });
  }

  /** Moves viewport `index` to the image an annotation is on and selects the annotation. */
  async jumpTo(index: number, displaySet: DisplaySet, imageId: string, annotationUid: string): Promise<void> {
    const position = displaySet.imageIds.indexOf(imageId);
    if (position < 0) return;
    if (this.state(index).displaySetKey !== displaySet.key) await this.show(index, displaySet, position);
    else await this.scrollTo(index, position);
    annotationApi.selection.setAnnotationSelected(annotationUid, true, false);
    this.viewport(index)?.render();
  }

  destroy(): void {
    this.closeMpr();
    for (const index of [...this.elements.keys()]) {
      // An image still loading calls its viewport's render() when it arrives; with the engine
      // gone that throws (Cornerstone looks the engine up by id). Nothing is left to draw on.
      const vp = this.viewport(index);
      if (vp) vp.render = () => undefined;
      this.disable(index);
    }
    this.destroyed = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    ToolGroupManager.destroyToolGroup(TOOL_GROUP_ID);
    if (this.segmentationList.length) segmentation.removeAllSegmentations();
    this.engine.destroy();
    coreUtilities.HistoryMemo.DefaultHistoryMemo.size = 50;
    this.listeners.clear();
  }
}

/** The auto window of the displayed image, in the units Cornerstone windows in (see `autoWindowOf`). */
function autoWindow(vp: Types.IStackViewport): { lower: number; upper: number } | undefined {
  const image = vp.getCornerstoneImage();
  const pixels = image?.getPixelData?.() as ArrayLike<number> | undefined;
  if (!pixels || !pixels.length || image.color) return undefined;
  const slope = image.slope ?? 1;
  const intercept = image.intercept ?? 0;
  const scaled = Boolean(image.preScale?.scaled);
  return autoWindowOf(pixels, scaled ? undefined : (raw) => raw * slope + intercept);
}

/**
 * Modalities whose files' own window is not to be trusted for a first look: a PET's is often
 * in stored values while Cornerstone windows the rescaled activity (W 54281 / L 30157 shows a
 * black slice), and an RT Dose or NM slice has none. These open with the auto window.
 */
const openWithAutoWindow = new Set(['PT', 'NM', 'RTDOSE']);

/** Modalities whose rescaled values are fractions (activity, counts, dose in Gy) rather than whole numbers. */
const fractionalValues = new Set(['PT', 'NM', 'RTDOSE']);

function describeError(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === 'string') return error;
  const message = (error as { error?: { message?: string }; message?: string } | undefined)?.error?.message ?? (error as { message?: string } | undefined)?.message;
  return message ?? 'decode failed';
}

/**
 * The patient directions at a viewport's edges (PS3.3 C.7.6.1.1.1 letters: L/R, A/P, H/F), from
 * the camera: its view-up is the screen's up, and up × normal its right (OHIF computes its
 * orientation markers the same way). Cornerstone keeps a flip as a flag beside the view-up
 * (a rotation turns the view-up), so a flip swaps the letters of its two edges.
 */
export function edgeLetters(camera: Pick<Types.ICamera, 'viewUp' | 'viewPlaneNormal' | 'flipHorizontal' | 'flipVertical'>): EdgeLetters | undefined {
  const { viewUp, viewPlaneNormal } = camera;
  if (!viewUp || !viewPlaneNormal) return undefined;
  const [ux, uy, uz] = viewUp;
  const [nx, ny, nz] = viewPlaneNormal;
  const screenRight: Types.Point3 = [uy * nz - uz * ny, uz * nx - ux * nz, ux * ny - uy * nx];
  const screenDown: Types.Point3 = [-ux, -uy, -uz];
  const { getOrientationStringLPS, invertOrientationStringLPS } = toolUtilities.orientation;
  const rightLetters = getOrientationStringLPS(screenRight);
  const downLetters = getOrientationStringLPS(screenDown);
  if (!rightLetters || !downLetters) return undefined;
  const [right, left] = camera.flipHorizontal ? [invertOrientationStringLPS(rightLetters), rightLetters] : [rightLetters, invertOrientationStringLPS(rightLetters)];
  const [bottom, top] = camera.flipVertical ? [invertOrientationStringLPS(downLetters), downLetters] : [downLetters, invertOrientationStringLPS(downLetters)];
  return { top, bottom, left, right };
}
