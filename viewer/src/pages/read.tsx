import { eventTarget, utilities as coreUtilities } from '@cornerstonejs/core';
import { annotation as annotationApi, AnnotationTool, Enums as ToolEnums, utilities as toolUtilities, type Types as ToolTypes } from '@cornerstonejs/tools';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';

import { api, ApiError, onBeforeSignOut, type ConsultSummary, type Me } from '../api.js';
import { Link } from '../components/link.js';
import { ConsultThread, UnreadBadge } from '../components/consult-thread.js';
import { useWindowKeydown } from '../components/use-window-keydown.js';
import { displayName, useI18n, type MessageKey } from '../i18n.js';
import { Autosave, loadAnnotations, type SaveState } from '../viewer/autosave.js';
import { number, Tag, text } from '../viewer/dicom-json.js';
import { SrStoreError } from '../viewer/dicomweb-paths.js';
import { DockPanel, DockResizer, useDockState } from '../viewer/dock.js';
import { HelpPanel } from '../viewer/help-panel.js';
import { MeasurementPanel } from '../viewer/measurement-panel.js';
import { emptyDocument, fromSaved, markSource, parseDocument, reportsToImport, summarize, toDocument, type MeasurementSummary, type SavedAnnotations } from '../viewer/measurements.js';
import { ReadingSession, windowPresets, type WindowPreset } from '../viewer/reading-session.js';
import { findShortcut, layouts, viewportCount, type Layout, type ShortcutAction } from '../viewer/shortcuts.js';
import { imageIndex, loadStudy, type LoadedStudy } from '../viewer/study-data.js';
import { TagBrowser } from '../viewer/tag-browser.js';
import { TextDialog } from '../viewer/text-dialog.js';
import { isMeasurementTool, primaryTools, TOOL_GROUP_ID, type PrimaryToolName } from '../viewer/tool-names.js';
import { setTextRequest } from '../viewer/init.js';
import { SegmentList, useSegmentations } from '../viewer/segment-list.js';
import { SeriesThumbnail } from '../viewer/series-thumbnail.js';
import { ViewportPane } from '../viewer/viewport-pane.js';
import { MprView } from '../viewer/mpr-view.js';
import { toReportMeasurement } from '../report/from-viewer.js';
import { ReportPanel } from '../report/report-panel.js';

type Annotation = ToolTypes.Annotation;

type SrState = { kind: 'idle' } | { kind: 'busy' } | { kind: 'done'; count: number } | { kind: 'failed'; reason: string };

/**
 * Readies Cornerstone while a reader's worklist sits idle: its rendering-capability probe, tool
 * registration and decoder worker (a few hundred milliseconds on two cores) then no longer sit
 * between the click on a consult and its first image.
 */
export { initCornerstone as prepareReading } from '../viewer/init.js';

/** The reading page: a consult's studies in a diagnostic viewer, with measurements saved as the reader works. */
export function ReadingPage(props: { me: Me; consultId: string }) {
  const { t } = useI18n();
  const { me, consultId } = props;
  const isReader = me.user.role === 'specialist';
  const session = useMemo(() => new ReadingSession(), []);
  const [consult, setConsult] = useState<ConsultSummary | null>(null);
  const [failure, setFailure] = useState<'notFound' | 'error' | null>(null);
  const [studies, setStudies] = useState<LoadedStudy[]>([]);
  const [studiesComplete, setStudiesComplete] = useState(false);
  const [layout, setLayout] = useState<Layout>('1x1');
  /** The display set shown reformatted (MPR) in place of the viewport grid, if any. */
  const [mprKey, setMprKey] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const [assigned, setAssigned] = useState<(string | undefined)[]>([]);
  const [, setTick] = useState(0);
  const [measurements, setMeasurements] = useState<MeasurementSummary[]>([]);
  // The page re-renders at scroll and cine rate; the report's view of the measurements changes only with them.
  const reportMeasurements = useMemo(() => measurements.flatMap((m) => toReportMeasurement(m) ?? []), [measurements]);
  const [selected, setSelected] = useState<string[]>([]);
  const [saveState, setSaveState] = useState<SaveState>(isReader ? 'idle' : 'readonly');
  const [srState, setSrState] = useState<SrState>({ kind: 'idle' });
  const [panel, setPanel] = useState<'help' | 'tags' | 'messages' | null>(null);
  const [unreadMessages, setUnreadMessages] = useState(0);
  const [textRequest, setTextRequestState] = useState<{ initial: string; resolve: (value: string | null) => void } | null>(null);
  const [cineFps, setCineFps] = useState(15);
  const dock = useDockState(me.user.id);
  const autosave = useRef<Autosave | null>(null);
  const othersUids = useRef(new Set<string>());
  const srInstances = useRef(new Set<string>());
  const loadingAnnotations = useRef(true);
  const changedWhileLoading = useRef(false);

  const displaySets = useMemo(() => studies.flatMap((s) => s.displaySets), [studies]);
  // Images of each study the reading centre does not have yet (held, or still being checked for burned-in text).
  const withheldCounts = useMemo(() => new Map((consult?.studies ?? []).map((s) => [s.studyInstanceUid, s.withheldCount ?? 0])), [consult]);
  // RT structure ROIs shown as outlines (each viewport draws those in its image's plane and frame of reference).
  const [hiddenStructures, setHiddenStructures] = useState<Set<string>>(() => new Set());
  const visibleStructures = useMemo(() => studies.flatMap((s) => s.structureSets.flatMap((set) => set.rois)).filter((roi) => !hiddenStructures.has(roi.key)), [studies, hiddenStructures]);
  const segStates = useSegmentations(session, studies, studiesComplete);
  const byKey = useMemo(() => new Map(displaySets.map((d) => [d.key, d])), [displaySets]);

  useEffect(() => session.subscribe(() => setTick((n) => n + 1)), [session]);
  useEffect(() => () => session.destroy(), [session]);

  // Arrow labels come from our own dialog (text only), never window.prompt.
  useEffect(() => {
    setTextRequest((initial) => new Promise((resolve) => setTextRequestState({ initial, resolve })));
    return () => setTextRequest(async () => null);
  }, []);

  const myAnnotations = useCallback(
    () => annotationApi.state.getAllAnnotations().filter((a) => isMeasurementTool(a.metadata?.toolName) && !othersUids.current.has(a.annotationUID ?? '')),
    [],
  );

  const refreshMeasurements = useCallback(() => {
    const all = annotationApi.state.getAllAnnotations().map(summarize).filter((m): m is MeasurementSummary => m !== undefined);
    setMeasurements(all);
    setSelected(annotationApi.selection.getAnnotationsSelected() ?? []);
  }, []);

  // Consult and studies.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      const { consult } = await api<{ consult: ConsultSummary }>(`/api/consults/${encodeURIComponent(consultId)}`);
      if (cancelled) return;
      setConsult(consult);
      setUnreadMessages(consult.unreadMessages ?? 0);
      const loaded: LoadedStudy[] = [];
      for (const study of consult.studies) {
        const result = await loadStudy(study.studyInstanceUid, (partial) => {
          if (!cancelled) setStudies([...loaded, partial]);
        });
        loaded.push(result);
        if (cancelled) return;
        setStudies([...loaded]);
      }
      setStudiesComplete(true);
      await restoreAnnotations(loaded);
    })().catch((error: unknown) => {
      if (!cancelled) setFailure(error instanceof ApiError && error.status === 404 ? 'notFound' : 'error');
    });
    return () => {
      cancelled = true;
    };
  }, [consultId]);

  // The first display sets go into the viewports as soon as they are known.
  useEffect(() => {
    const count = viewportCount(layout);
    setAssigned((current) => {
      const next = [...current];
      let changed = false;
      for (let i = 0; i < count; i++) {
        if (next[i] === undefined && displaySets.length) {
          const used = new Set(next.filter(Boolean));
          const free = displaySets.find((d) => !used.has(d.key)) ?? displaySets[0];
          if (free) {
            next[i] = free.key;
            changed = true;
          }
        }
      }
      return changed ? next : current;
    });
  }, [displaySets, layout]);

  async function restoreAnnotations(loaded: LoadedStudy[]) {
    loadingAnnotations.current = true;
    let mine: SavedAnnotations = emptyDocument();
    const othersDocuments: SavedAnnotations[] = [];
    const imagesShown = loaded.some((study) => study.displaySets.length) ? session.firstImageShown() : Promise.resolve();
    if (isReader) {
      const saver = new Autosave({
        consultId,
        current: () => toDocument(myAnnotations(), srInstances.current),
        apply: applyDocument,
        onState: (state) => setSaveState(state),
      });
      try {
        const response = await loadAnnotations(consultId);
        await imagesShown;
        mine = saver.start(response.mine);
        for (const other of response.others) {
          const document = parseDocument(other.data);
          othersDocuments.push(document);
          for (const saved of document.annotations) {
            const annotation = fromSaved(saved, { locked: true });
            if (!annotation) continue;
            othersUids.current.add(saved.uid);
            (annotation.data as { label?: string }).label = saved.label ? `${saved.label} (${other.author.displayName})` : other.author.displayName;
            annotationApi.state.addAnnotation(annotation, saved.metadata.FrameOfReferenceUID ?? '');
          }
        }
        autosave.current = saver;
      } catch {
        setSaveState('error');
      }
    }
    await imagesShown;
    for (const saved of mine.annotations) {
      const annotation = fromSaved(saved);
      if (annotation) annotationApi.state.addAnnotation(annotation, saved.metadata.FrameOfReferenceUID ?? '');
    }
    for (const sop of mine.srInstances) srInstances.current.add(sop);
    // TID 1500 reports in the studies that no saved annotations on the page already hold.
    let imported = 0;
    const reports = reportsToImport(
      loaded.flatMap((study) => study.structuredReports),
      srInstances.current,
      othersDocuments,
    );
    // The SR code (dcmjs and the adapters) loads only when there is a report to read; if it
    // cannot load, the images and saved measurements still open.
    const sr = reports.length ? await import('../viewer/sr.js').catch(() => undefined) : undefined;
    if (sr) {
      for (const report of reports) {
        try {
          for (const annotation of sr.readMeasurementReport(report)) {
            markSource(annotation.annotationUID!, 'sr');
            annotationApi.state.addAnnotation(annotation, annotation.metadata?.FrameOfReferenceUID ?? '');
            imported++;
          }
          if (isReader) srInstances.current.add(report.sopInstanceUid);
        } catch {
          // A report this viewer cannot read is left alone; the rest still loads.
        }
      }
    }
    loadingAnnotations.current = false;
    refreshMeasurements();
    session.render();
    if (imported > 0 || changedWhileLoading.current) autosave.current?.schedule();
    changedWhileLoading.current = false;
  }

  function applyDocument(doc: SavedAnnotations) {
    loadingAnnotations.current = true;
    const wanted = new Map(doc.annotations.map((a) => [a.uid, a]));
    for (const existing of myAnnotations()) {
      if (!wanted.has(existing.annotationUID ?? '')) annotationApi.state.removeAnnotation(existing.annotationUID!);
    }
    const present = new Set(myAnnotations().map((a) => a.annotationUID));
    for (const saved of doc.annotations) {
      if (present.has(saved.uid)) continue;
      const annotation = fromSaved(saved);
      if (annotation) annotationApi.state.addAnnotation(annotation, saved.metadata.FrameOfReferenceUID ?? '');
    }
    for (const sop of doc.srInstances) srInstances.current.add(sop);
    loadingAnnotations.current = false;
    refreshMeasurements();
    session.render();
  }

  // Annotation events: refresh the panel; save changes to my own annotations.
  useEffect(() => {
    const Events = ToolEnums.Events;
    const onChange = (event: Event) => {
      refreshMeasurements();
      const changed = (event as CustomEvent<{ annotation?: Annotation; changeType?: string }>).detail;
      const uid = changed?.annotation?.annotationUID;
      if (uid && othersUids.current.has(uid)) return;
      const toolName = changed?.annotation?.metadata?.toolName;
      const contour = toolName === 'PlanarFreehandROI' || toolName === 'SplineROI';
      // Freehand and spline ROIs compute their statistics on a later render without announcing
      // them (Cornerstone 5 tells only of an invalidated annotation, which a just-completed one is
      // not): render, and look on the next frames until they are there, then list and save them
      // (the statistics are part of what is saved and exported).
      if (contour && event.type === Events.ANNOTATION_COMPLETED && changed?.annotation) {
        const completed = changed.annotation;
        const hasStats = () => Object.values((completed.data as { cachedStats?: Record<string, { area?: unknown }> }).cachedStats ?? {}).some((stats) => typeof stats?.area === 'number');
        const look = (framesLeft: number) =>
          requestAnimationFrame(() => {
            if (hasStats()) {
              refreshMeasurements();
              autosave.current?.schedule();
            } else if (framesLeft > 0) look(framesLeft - 1);
          });
        toolUtilities.triggerAnnotationRenderForToolGroupIds([TOOL_GROUP_ID]);
        look(240);
      }
      if (changed?.changeType === 'StatsUpdated') return;
      // The image can show before the saved annotations arrive, and the reader may draw then:
      // remember it, so the save runs once loading is done instead of the line being lost.
      if (loadingAnnotations.current) {
        changedWhileLoading.current = true;
        return;
      }
      autosave.current?.schedule();
    };
    const onSelection = () => setSelected(annotationApi.selection.getAnnotationsSelected() ?? []);
    const changes = [Events.ANNOTATION_COMPLETED, Events.ANNOTATION_MODIFIED, Events.ANNOTATION_REMOVED];
    for (const name of changes) eventTarget.addEventListener(name, onChange);
    eventTarget.addEventListener(Events.ANNOTATION_ADDED, refreshMeasurements);
    eventTarget.addEventListener(Events.ANNOTATION_SELECTION_CHANGE, onSelection);
    const flush = () => {
      if (document.visibilityState === 'hidden') void autosave.current?.flush();
    };
    document.addEventListener('visibilitychange', flush);
    const unregister = onBeforeSignOut(async () => autosave.current?.flush());
    return () => {
      unregister();
      for (const name of changes) eventTarget.removeEventListener(name, onChange);
      eventTarget.removeEventListener(Events.ANNOTATION_ADDED, refreshMeasurements);
      eventTarget.removeEventListener(Events.ANNOTATION_SELECTION_CHANGE, onSelection);
      document.removeEventListener('visibilitychange', flush);
      autosave.current?.stop();
      annotationApi.state.removeAllAnnotations();
    };
  }, []);

  const count = viewportCount(layout);
  const sideOpen = dock.open.measurements || (isReader && dock.open.report);
  /** The width a docked side has on screen now, where a drag starts from. */
  const widthOf = (selector: string) => document.querySelector<HTMLElement>(selector)?.getBoundingClientRect().width ?? 0;
  // Thumbnails wait until the first viewport shows its image: the first image comes first.
  const thumbnailsReady = studies.length > 0 && (session.state(0).imageId !== undefined && !session.state(0).loading);
  const activeIndex = Math.min(active, count - 1);
  const activeState = session.state(activeIndex);
  const activeSet = byKey.get(assigned[activeIndex] ?? '');

  const assign = (index: number, key: string) => setAssigned((current) => Object.assign([...current], { [index]: key }));

  const setTool = (tool: PrimaryToolName) => session.setPrimaryTool(tool);

  const removeAnnotation = (uid: string) => {
    const annotation = annotationApi.state.getAnnotation(uid);
    if (!annotation || othersUids.current.has(uid)) return;
    AnnotationTool.createAnnotationMemo(session.element(activeIndex) as HTMLDivElement, annotation, { deleting: true });
    annotationApi.state.removeAnnotation(uid);
    session.render();
  };

  const relabel = async (uid: string) => {
    const annotation = annotationApi.state.getAnnotation(uid);
    if (!annotation || othersUids.current.has(uid)) return;
    const data = annotation.data as { label?: string };
    const label = await new Promise<string | null>((resolve) => setTextRequestState({ initial: data.label ?? '', resolve }));
    if (label === null) return;
    AnnotationTool.createAnnotationMemo(session.element(activeIndex) as HTMLDivElement, annotation, {});
    data.label = label;
    annotationApi.state.triggerAnnotationModified(annotation, session.element(activeIndex));
    session.render();
  };

  const jumpTo = async (m: MeasurementSummary) => {
    if (!m.imageId) return;
    const target = displaySets.find((d) => d.imageIds.includes(m.imageId!));
    if (!target) return;
    let index = assigned.slice(0, count).indexOf(target.key);
    if (index < 0) {
      index = activeIndex;
      assign(index, target.key);
    }
    setActive(index);
    await session.jumpTo(index, target, m.imageId, m.uid);
  };

  const exportSr = async () => {
    if (!consult) return;
    setSrState({ kind: 'busy' });
    try {
      let total = 0;
      await autosave.current?.flush();
      const { exportMeasurementReport } = await import('../viewer/sr.js');
      for (const study of studies) {
        const uids = new Set(study.displaySets.flatMap((d) => d.imageIds));
        const annotations = myAnnotations().filter((a) => uids.has(a.metadata?.referencedImageId ?? ''));
        if (!annotations.length) continue;
        const existingSr = new Set(study.structuredReports.map((s) => s.seriesInstanceUid)).size;
        const result = await exportMeasurementReport(annotations, {
          studyInstanceUid: study.studyInstanceUid,
          patientName: text(study.study, Tag.PatientName),
          patientId: text(study.study, Tag.PatientID),
          observerName: me.user.displayName,
          seriesNumber: 9000 + existingSr + 1,
        });
        srInstances.current.add(result.sopInstanceUid);
        total += result.count;
      }
      if (total === 0) throw new SrStoreError('Empty', 'no measurements');
      autosave.current?.schedule();
      setSrState({ kind: 'done', count: total });
    } catch (error) {
      setSrState({ kind: 'failed', reason: error instanceof SrStoreError ? error.reason : error instanceof Error ? error.message : 'error' });
    }
  };

  const runAction = (action: ShortcutAction) => {
    switch (action.kind) {
      case 'tool':
        return setTool(action.tool);
      case 'preset':
        return session.setWindow(activeIndex, action.preset);
      case 'scroll':
        return void session.scrollBy(activeIndex, action.delta);
      case 'scrollTo':
        return void session.scrollTo(activeIndex, action.position === 'first' ? 0 : activeState.imageCount - 1);
      case 'series': {
        if (!displaySets.length) return;
        const at = displaySets.findIndex((d) => d.key === assigned[activeIndex]);
        const next = displaySets[(at + action.delta + displaySets.length) % displaySets.length];
        if (next) assign(activeIndex, next.key);
        return;
      }
      case 'layout':
        return setLayout(action.layout);
      case 'nextViewport':
        return setActive((activeIndex + 1) % count);
      case 'view':
        switch (action.op) {
          case 'invert':
            return session.invert(activeIndex);
          case 'rotateRight':
            return session.rotate(activeIndex, 90);
          case 'rotateLeft':
            return session.rotate(activeIndex, -90);
          case 'flipH':
            return session.flip(activeIndex, 'horizontal');
          case 'flipV':
            return session.flip(activeIndex, 'vertical');
          case 'zoomIn':
            return session.zoomBy(activeIndex, 1.25);
          case 'zoomOut':
            return session.zoomBy(activeIndex, 0.8);
          case 'reset':
            return session.reset(activeIndex);
        }
        return;
      case 'cine':
        return activeState.playing ? session.stopCine(activeIndex) : session.playCine(activeIndex, cineFps);
      case 'undo':
        coreUtilities.HistoryMemo.DefaultHistoryMemo.undo();
        session.render();
        return refreshMeasurements();
      case 'redo':
        coreUtilities.HistoryMemo.DefaultHistoryMemo.redo();
        session.render();
        return refreshMeasurements();
      case 'delete':
        for (const uid of annotationApi.selection.getAnnotationsSelected() ?? []) removeAnnotation(uid);
        return;
      case 'save':
        return void autosave.current?.flush();
      case 'help':
        return setPanel((p) => (p === 'help' ? null : 'help'));
      case 'tags':
        return setPanel((p) => (p === 'tags' ? null : 'tags'));
    }
  };

  useWindowKeydown((event) => {
    const target = event.target as HTMLElement | null;
    if (textRequest || (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && event.key !== 'Escape')) return;
    if (event.key === 'Escape') {
      if (panel) setPanel(null);
      return;
    }
    const shortcut = findShortcut(event);
    if (!shortcut) return;
    event.preventDefault();
    runAction(shortcut.action);
  });

  // Reference lines from the active viewport, wherever more than one viewport shows.
  useEffect(() => session.setReferenceSource(count > 1 && !mprKey ? activeIndex : undefined), [session, count, activeIndex, mprKey]);

  useEffect(() => {
    for (let i = count; i < 4; i++) session.stopCine(i);
    requestAnimationFrame(() => session.resize());
  }, [count, session]);

  if (failure) {
    return (
      <main class="page">
        <p data-testid={failure === 'notFound' ? 'not-found' : 'load-error'} role="alert">
          {t(failure === 'notFound' ? 'reading.notFound' : 'reading.loadError')}
        </p>
      </main>
    );
  }
  const firstStudy = consult?.studies[0];
  const patient = displayName(firstStudy?.identity ? firstStudy.identity.name : firstStudy?.patient.pseudonymName);

  /** The active viewport as a PNG key image, with the image it shows. */
  const captureKeyImage = async () => {
    const canvas = session.viewport(activeIndex)?.getCanvas();
    const imageId = activeState.imageId;
    const entry = imageId ? imageIndex.get(imageId) : undefined;
    if (!canvas || !entry) return null;
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!png) return null;
    const frames = number(entry.json, Tag.NumberOfFrames) ?? 1;
    return {
      png,
      image: {
        studyInstanceUid: entry.ref.studyInstanceUid,
        seriesInstanceUid: entry.ref.seriesInstanceUid,
        sopInstanceUid: entry.ref.sopInstanceUid,
        sopClassUid: text(entry.json, Tag.SOPClassUID),
        ...(frames > 1 && { frameNumber: entry.ref.frame }),
      },
    };
  };

  return (
    <main class="reading" data-testid="reading-page">
      <div class="reading-bar">
        <Link href={`/consults/${consultId}`}>{t('back')}</Link>
        {consult && (
          <>
            <span class={`badge priority-${consult.priority}`}>{t(`priority.${consult.priority}`)}</span>
            <bdi class="reading-patient" data-testid="reading-patient">
              {patient}
            </bdi>
            <span class="reading-question" title={consult.clinicalQuestion}>
              {consult.clinicalQuestion}
            </span>
            {consult.clinicalHistory && (
              <details class="reading-history" data-testid="reading-history">
                <summary>{t('consultForm.history')}</summary>
                <p>
                  <bdi>{consult.clinicalHistory}</bdi>
                </p>
              </details>
            )}
          </>
        )}
        <span class="spacer" />
        <span class={`save-state save-${saveState}`} data-testid="save-state" data-state={saveState} role="status">
          {t(`save.${saveState}`)}
        </span>
        {saveState === 'conflict' && (
          <button type="button" class="secondary" onClick={() => location.reload()}>
            {t('save.reload')}
          </button>
        )}
        {isReader && (
          <button type="button" data-testid="export-sr" disabled={srState.kind === 'busy' || measurements.length === 0} onClick={() => void exportSr()}>
            {t('sr.export')}
          </button>
        )}
        <span data-testid="sr-status" data-state={srState.kind} role="status" class={srState.kind === 'failed' ? 'error' : 'muted'}>
          {srState.kind === 'busy' && t('sr.busy')}
          {srState.kind === 'done' && `${t('sr.done')} (${srState.count})`}
          {srState.kind === 'failed' && `${t('sr.failed')}: ${srState.reason}`}
        </span>
        <button type="button" class="secondary" data-testid="open-messages" onClick={() => setPanel(panel === 'messages' ? null : 'messages')}>
          {t('thread.open')}
          <UnreadBadge count={unreadMessages} />
        </button>
        <button type="button" class="secondary" data-testid="open-tags" onClick={() => setPanel(panel === 'tags' ? null : 'tags')}>
          {t('tags.title')}
        </button>
        <button type="button" class="secondary" data-testid="open-help" aria-label={t('help.title')} onClick={() => setPanel(panel === 'help' ? null : 'help')}>
          ?
        </button>
      </div>
      <div class="toolbar" role="toolbar" aria-label={t('reading.toolbar')}>
        <div class="tool-group">
          {primaryTools.map((tool) => (
            <button
              type="button"
              key={tool}
              class={`tool ${session.activeTool === tool ? 'active' : ''}`}
              aria-pressed={session.activeTool === tool}
              data-testid={`tool-${tool}`}
              onClick={() => setTool(tool)}
            >
              {t(`tool.${tool}` as MessageKey)}
            </button>
          ))}
        </div>
        <div class="tool-group">
          {(Object.keys(windowPresets) as (keyof typeof windowPresets)[]).map((preset) => (
            <button type="button" key={preset} class="tool" data-testid={`preset-${preset}`} onClick={() => session.setWindow(activeIndex, preset as WindowPreset)}>
              {t(`preset.${preset}` as MessageKey)}
            </button>
          ))}
          <button type="button" class="tool" data-testid="preset-auto" onClick={() => session.setWindow(activeIndex, 'auto')}>
            {t('preset.auto')}
          </button>
        </div>
        <div class="tool-group">
          <button type="button" class="tool" aria-pressed={activeState.invert} data-testid="view-invert" onClick={() => session.invert(activeIndex)}>
            {t('view.invert')}
          </button>
          <button type="button" class="tool" data-testid="view-rotate" onClick={() => session.rotate(activeIndex, 90)}>
            {t('view.rotateRight')}
          </button>
          <button type="button" class="tool" data-testid="view-flip-h" onClick={() => session.flip(activeIndex, 'horizontal')}>
            {t('view.flipH')}
          </button>
          <button type="button" class="tool" data-testid="view-flip-v" onClick={() => session.flip(activeIndex, 'vertical')}>
            {t('view.flipV')}
          </button>
          <button type="button" class="tool" data-testid="view-reset" onClick={() => session.reset(activeIndex)}>
            {t('view.reset')}
          </button>
          <button type="button" class="tool" data-testid="undo" onClick={() => runAction({ kind: 'undo' })}>
            {t('shortcut.undo')}
          </button>
        </div>
        <div class="tool-group">
          <button
            type="button"
            class={`tool ${mprKey ? 'active' : ''}`}
            aria-pressed={mprKey !== null}
            title={t('mpr.title')}
            data-testid="view-mpr"
            onClick={() => setMprKey(mprKey ? null : (activeSet?.key ?? null))}
          >
            {t('mpr.open')}
          </button>
          {layouts.map((l) => (
            <button type="button" key={l} class={`tool ${layout === l && !mprKey ? 'active' : ''}`} aria-pressed={layout === l && !mprKey} data-testid={`layout-${l}`} onClick={() => {
                setMprKey(null);
                setLayout(l);
              }}>
              {t(`layout.${l}` as MessageKey)}
            </button>
          ))}
        </div>
        {activeState.imageCount > 1 && (
          <div class="tool-group cine" data-testid="cine">
            <button type="button" class="tool" data-testid="cine-toggle" aria-pressed={activeState.playing} onClick={() => runAction({ kind: 'cine' })}>
              {activeState.playing ? t('cine.stop') : t('cine.play')}
            </button>
            <label class="cine-rate">
              <span>{t('cine.fps')}</span>
              <input
                type="number"
                min={1}
                max={60}
                value={cineFps}
                data-testid="cine-fps"
                onInput={(e) => {
                  const fps = Math.max(1, Math.min(60, Number((e.target as HTMLInputElement).value) || 1));
                  setCineFps(fps);
                  if (activeState.playing) session.playCine(activeIndex, fps);
                }}
              />
            </label>
          </div>
        )}
      </div>
      <div class="reading-body">
        <DockPanel name="series" title={t('reading.series')} open={dock.open.series} onToggle={() => dock.toggle('series')} hideLabel={t('dock.hide')} showLabel={t('dock.show')} width={dock.widths.series}>
        <aside class="series-panel" data-testid="series-panel" aria-label={t('reading.series')}>
          {studies.map((study) => (
            <section key={study.studyInstanceUid}>
              <h3>
                <bdi>{text(study.study, Tag.StudyDescription) || text(study.study, Tag.StudyDate)}</bdi>
              </h3>
              {study.displaySets.map((d) => (
                <button
                  type="button"
                  key={d.key}
                  class={`thumb ${assigned.slice(0, count).includes(d.key) ? 'shown' : ''}`}
                  data-testid="series-thumb"
                  draggable
                  onDragStart={(e) => e.dataTransfer?.setData('text/x-yunzhen-series', d.key)}
                  onClick={() => assign(activeIndex, d.key)}
                >
                  <SeriesThumbnail displaySet={d} enabled={thumbnailsReady} />
                  <span class="thumb-label">
                    <bdi>
                      {d.modality} {d.seriesNumber ?? ''} {d.seriesDescription}
                    </bdi>
                    <span class="muted">
                      {d.imageIds.length} {t(d.multiFrame ? 'reading.frames' : 'reading.images')}
                    </span>
                  </span>
                </button>
              ))}
              {(withheldCounts.get(study.studyInstanceUid) ?? 0) > 0 && (
                <p class="notice" data-testid="study-withheld">
                  {t('reading.withheld').replace('{n}', String(withheldCounts.get(study.studyInstanceUid)))}
                </p>
              )}
              <SegmentList session={session} study={study} states={segStates} />
              {study.structureSets.map((set) => (
                <div key={set.sopInstanceUid} class="structure-set" data-testid="structure-set">
                  <span class="thumb-label">
                    RTSTRUCT <bdi>{set.label}</bdi>
                  </span>
                  <ul class="segment-list">
                    {set.rois.map((roi) => (
                      <li key={roi.key}>
                        <label>
                          <input
                            type="checkbox"
                            data-testid="structure-roi"
                            data-roi={roi.name}
                            checked={!hiddenStructures.has(roi.key)}
                            onChange={(e) => {
                              const shown = e.currentTarget.checked;
                              setHiddenStructures((hidden) => {
                                const next = new Set(hidden);
                                if (shown) next.delete(roi.key);
                                else next.add(roi.key);
                                return next;
                              });
                            }}
                          />
                          <span class="swatch" style={{ background: `rgb(${roi.color.join(',')})` }} /> <bdi>{roi.name}</bdi>
                        </label>
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
              {study.structuredReports.map((sr) => (
                <div key={sr.sopInstanceUid} class="thumb other" data-testid="sr-series">
                  <span class="thumb-label">
                    SR <bdi>{text(sr.json, Tag.SeriesDescription)}</bdi>
                  </span>
                </div>
              ))}
              {study.otherSeries.map((s) => (
                <div key={s.seriesInstanceUid} class="thumb other">
                  <span class="thumb-label">
                    {s.modality} <bdi>{s.seriesDescription}</bdi> <span class="muted">{t('reading.notDisplayable')}</span>
                  </span>
                </div>
              ))}
            </section>
          ))}
          {!studies.length && <p class="muted">{t('loading')}</p>}
        </aside>
        </DockPanel>
        {dock.open.series && (
          <DockResizer side="series" edge="left" label={t('dock.resize')} width={() => widthOf('[data-testid=dock-series]')} onResize={(width) => dock.setWidth('series', width)} />
        )}
        {mprKey ? (
          <MprView session={session} displaySet={byKey.get(mprKey)} onClose={() => setMprKey(null)} />
        ) : (
        <section class={`viewport-grid layout-${layout}`} data-testid="viewport-grid">
          {Array.from({ length: count }, (_, index) => (
            <ViewportPane
              key={index}
              session={session}
              index={index}
              active={index === activeIndex}
              displaySet={byKey.get(assigned[index] ?? '')}
              consult={consult}
              onActivate={() => setActive(index)}
              onDropSeries={(key) => assign(index, key)}
              structures={visibleStructures}
            />
          ))}
        </section>
        )}
        {sideOpen && <DockResizer side="side" edge="right" label={t('dock.resize')} width={() => widthOf('[data-testid=dock-side]')} onResize={(width) => dock.setWidth('side', width)} />}
        <div
          class={`dock-side ${sideOpen ? 'open' : ''} ${isReader && dock.open.report ? 'with-report' : ''}`}
          data-testid="dock-side"
          style={sideOpen && dock.widths.side ? { width: `${dock.widths.side}px` } : undefined}
        >
          <DockPanel
            name="measurements"
            title={`${t('measure.title')} (${measurements.length})`}
            open={dock.open.measurements}
            onToggle={() => dock.toggle('measurements')}
            hideLabel={t('dock.hide')}
            showLabel={t('dock.show')}
          >
            <MeasurementPanel
              measurements={measurements}
              selected={selected}
              readOnly={(uid) => othersUids.current.has(uid) || !isReader}
              onJump={(m) => void jumpTo(m)}
              onDelete={removeAnnotation}
              onLabel={(uid) => void relabel(uid)}
            />
          </DockPanel>
          {isReader && (
            <DockPanel name="report" title={t('dock.report')} open={dock.open.report} onToggle={() => dock.toggle('report')} hideLabel={t('dock.hide')} showLabel={t('dock.show')}>
              <ReportPanel
                consultId={consultId}
                me={me}
                measurements={reportMeasurements}
                captureKeyImage={captureKeyImage}
                studyInstanceUid={studies[0]?.studyInstanceUid}
                bilingual={Boolean(consult?.preArrival)}
              />
            </DockPanel>
          )}
        </div>
      </div>
      {panel === 'help' && <HelpPanel onClose={() => setPanel(null)} />}
      {panel === 'messages' && (
        <div class="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && setPanel(null)}>
          <div class="dialog thread-dialog" role="dialog" aria-modal="true" aria-label={t('thread.title')}>
            <button type="button" class="secondary close" onClick={() => setPanel(null)}>
              {t('close')}
            </button>
            <ConsultThread consultId={consultId} onUnread={setUnreadMessages} />
          </div>
        </div>
      )}
      {panel === 'tags' && <TagBrowser imageId={activeState.imageId} onClose={() => setPanel(null)} />}
      {textRequest && (
        <TextDialog
          initial={textRequest.initial}
          onDone={(value) => {
            textRequest.resolve(value);
            setTextRequestState(null);
          }}
        />
      )}
      <span hidden data-testid="active-series">
        {activeSet?.key ?? ''}
      </span>
    </main>
  );
}
