import { eventTarget, metaData } from '@cornerstonejs/core';
import { annotation as annotationApi, Enums as ToolEnums } from '@cornerstonejs/tools';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';

import { api, ApiError, type ConsultSummary, type Me } from '../api.js';
import { Link } from '../components/link.js';
import { formatDateTime, useI18n, type MessageKey } from '../i18n.js';
import { refusalText } from '../reasons.js';
import { fromSaved, toSaved, type SavedAnnotation } from '../viewer/measurements.js';
import { ReadingSession, windowPresets, type WindowPreset } from '../viewer/reading-session.js';
import { imageIndex, loadStudy, type DisplaySet, type LoadedStudy } from '../viewer/study-data.js';
import { isMeasurementTool, ToolName, type PrimaryToolName } from '../viewer/tool-names.js';
import { ViewportPane } from '../viewer/viewport-pane.js';

interface BoardCase {
  consultId: string;
  position: number;
  consult: ConsultSummary;
  consensus: { recommendation: Partial<Record<'zh-CN' | 'en', string>>; signedBy: string; signedAt: string } | null;
}

interface BoardParticipant {
  /** This session's name for the participant (user ids stay with each hospital). */
  key: string;
  displayName: string;
  role: string;
  hospital: string;
  joinedAt: string | null;
  me: boolean;
}

/** A measurement the presenter shows, with its image named by position (each side knows the images by its own UIDs). */
type SharedMeasurement = Omit<SavedAnnotation, 'ref'> & { displaySetIndex: number; imageIndex: number };

/** The presenter's viewport: positions, not UIDs, since the reading centre and the sending hospital know the images under different UIDs. */
export interface SharedViewport {
  consultId: string;
  studyIndex: number;
  displaySetIndex: number;
  imageIndex: number;
  voi: { width: number; center: number } | null;
  /** Zoom and pan as the world sees them: the point at the centre, the height shown (see `ReadingSession.presentation`). */
  camera?: { focalPoint: [number, number, number]; parallelScale: number };
  measurements?: SharedMeasurement[];
}

interface BoardState {
  sessionId: string;
  seq: number;
  presenter: { key: string; displayName: string } | null;
  viewport: SharedViewport | null;
}

interface Board {
  id: string;
  title: string;
  scheduledAt: string;
  chair: { displayName: string };
  isChair: boolean;
  cases: BoardCase[];
  participants: BoardParticipant[];
  state: BoardState | null;
}

const presets: Exclude<WindowPreset, 'auto'>[] = Object.keys(windowPresets) as Exclude<WindowPreset, 'auto'>[];
const tools: { name: PrimaryToolName; label: MessageKey }[] = [
  { name: ToolName.WindowLevel, label: 'board.tool.window' },
  { name: ToolName.Pan, label: 'board.tool.pan' },
  { name: ToolName.Zoom, label: 'board.tool.zoom' },
  { name: ToolName.Length, label: 'board.tool.length' },
];

/**
 * A tumour board session: the case list, who attends, and one viewport that every participant
 * sees as the presenter (who holds the pointer) moves it: series, slice, window, zoom, pan and
 * the measurements shown, relayed by the server as server-sent events. Any participant who has
 * joined may take the pointer; the chair signs the consensus per case.
 */
export function BoardPage(props: { me: Me; boardId: string }) {
  const { t, language } = useI18n();
  const { me, boardId } = props;
  const session = useMemo(() => new ReadingSession(), []);
  const [board, setBoard] = useState<Board | null>(null);
  const [failure, setFailure] = useState<'notFound' | 'error' | null>(null);
  const [live, setLive] = useState<BoardState | null>(null);
  const [selectedConsult, setSelectedConsult] = useState<string | null>(null);
  const [studies, setStudies] = useState<{ consultId: string; loaded: LoadedStudy[] } | null>(null);
  const [shownKey, setShownKey] = useState<string | undefined>(undefined);
  const [, setTick] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState<{ 'zh-CN': string; en: string }>({ 'zh-CN': '', en: '' });

  const load = () =>
    api<{ board: Board }>(`/api/boards/${encodeURIComponent(boardId)}`)
      .then(({ board }) => {
        setBoard(board);
        setLive((current) => (current && board.state && current.seq >= board.state.seq ? current : board.state));
      })
      .catch((caught: unknown) => setFailure(caught instanceof ApiError && caught.status === 404 ? 'notFound' : 'error'));

  useEffect(() => void load(), [boardId]);
  useEffect(() => session.subscribe(() => setTick((n) => n + 1)), [session]);
  useEffect(() => () => session.destroy(), [session]);
  // Measurements change without a viewport event: count them as a change too.
  useEffect(() => {
    const bump = () => setTick((n) => n + 1);
    const names = [ToolEnums.Events.ANNOTATION_COMPLETED, ToolEnums.Events.ANNOTATION_MODIFIED, ToolEnums.Events.ANNOTATION_REMOVED];
    for (const name of names) eventTarget.addEventListener(name, bump);
    return () => {
      for (const name of names) eventTarget.removeEventListener(name, bump);
      annotationApi.state.removeAllAnnotations();
    };
  }, []);

  const mine = board?.participants.find((p) => p.me);
  const joined = Boolean(mine?.joinedAt);
  const presenting = Boolean(mine && live?.presenter?.key === mine.key);
  const followed = !presenting && live?.viewport ? live.viewport : null;

  // The board's state as the server relays it, once joined.
  useEffect(() => {
    if (!joined) return;
    const source = new EventSource(`/api/boards/${encodeURIComponent(boardId)}/events`);
    source.addEventListener('state', (event) => {
      const state = JSON.parse((event as MessageEvent<string>).data) as BoardState;
      setLive((current) => (current && current.seq >= state.seq ? current : state));
    });
    return () => source.close();
  }, [joined, boardId]);

  // A new presenter: the attendance and pointer shown come from the board again.
  const presenterId = live?.presenter?.key;
  useEffect(() => {
    if (board) void load();
  }, [presenterId]);

  const cases = board?.cases ?? [];
  const consultId = followed?.consultId ?? selectedConsult ?? cases[0]?.consultId ?? null;
  const currentCase = cases.find((c) => c.consultId === consultId);

  // The case's studies, loaded as the reading page loads them.
  useEffect(() => {
    if (!currentCase) return;
    let cancelled = false;
    setStudies(null);
    setShownKey(undefined);
    annotationApi.state.removeAllAnnotations();
    void (async () => {
      const loaded: LoadedStudy[] = [];
      for (const study of currentCase.consult.studies) {
        loaded.push(await loadStudy(study.studyInstanceUid));
        if (cancelled) return;
      }
      setStudies({ consultId: currentCase.consultId, loaded });
    })().catch(() => !cancelled && setFailure('error'));
    return () => {
      cancelled = true;
    };
  }, [currentCase?.consultId]);

  const positions = useMemo(() => {
    const list: { displaySet: DisplaySet; studyIndex: number }[] = [];
    (studies?.loaded ?? []).forEach((study, studyIndex) => study.displaySets.forEach((displaySet) => list.push({ displaySet, studyIndex })));
    return list;
  }, [studies]);
  const ready = studies !== null && studies.consultId === consultId;
  const displaySet = positions.find((p) => p.displaySet.key === shownKey)?.displaySet ?? (ready ? positions[0]?.displaySet : undefined);
  const view = session.state(0);

  // The presenter's viewport goes to the server whenever it changes, the latest only while a send is under way.
  const sending = useRef<{ busy: boolean; next: SharedViewport | null; last: string }>({ busy: false, next: null, last: '' });
  useEffect(() => {
    if (!presenting || !ready || !displaySet || view.displaySetKey !== displaySet.key || view.loading || !consultId) return;
    const displaySetIndex = positions.findIndex((p) => p.displaySet.key === displaySet.key);
    const presentation = session.presentation(0);
    const shared: SharedViewport = {
      consultId,
      studyIndex: positions[displaySetIndex]?.studyIndex ?? 0,
      displaySetIndex,
      imageIndex: view.imageIndex,
      voi: view.voi ?? null,
      ...(presentation && { camera: presentation }),
      measurements: sharedMeasurements(positions.map((p) => p.displaySet)),
    };
    const text = JSON.stringify(shared);
    if (text === sending.current.last) return;
    sending.current.last = text;
    sending.current.next = shared;
    const pump = async () => {
      if (sending.current.busy) return;
      sending.current.busy = true;
      try {
        while (sending.current.next) {
          const viewport = sending.current.next;
          sending.current.next = null;
          await api(`/api/boards/${encodeURIComponent(boardId)}/viewport`, { method: 'PUT', body: { viewport } }).catch((caught: unknown) => setError(refusalText(caught, language)));
        }
      } finally {
        sending.current.busy = false;
      }
    };
    void pump();
  });

  // A follower shows what the presenter shows: the series first, then (once it is shown) slice, window, zoom, pan, measurements.
  const mirrored = useRef('');
  const appliedView = useRef('');
  useEffect(() => {
    if (!followed || !ready || followed.consultId !== consultId) return;
    const target = positions[followed.displaySetIndex]?.displaySet;
    if (!target) return;
    if (shownKey !== target.key) {
      setShownKey(target.key);
      return;
    }
    if (view.displaySetKey !== target.key || view.loading) return;
    if (view.imageIndex !== followed.imageIndex) void session.scrollTo(0, followed.imageIndex);
    // Window, zoom and pan are applied once per change of the presenter's (or of the series shown),
    // never by comparing with what the viewport reports back: a rounding would apply them again and again.
    const wanted = JSON.stringify({ key: target.key, voi: followed.voi, camera: followed.camera });
    const voiDrifted = followed.voi && (!view.voi || !near(view.voi.width, followed.voi.width) || !near(view.voi.center, followed.voi.center));
    if (wanted !== appliedView.current || voiDrifted) {
      appliedView.current = wanted;
      session.applyView(0, { voi: followed.voi, ...(followed.camera && { camera: followed.camera }) });
    }
    const measurements = JSON.stringify(followed.measurements ?? []);
    if (measurements !== mirrored.current) {
      mirrored.current = measurements;
      showMeasurements(followed.measurements ?? [], positions.map((p) => p.displaySet));
      session.render();
    }
  });

  if (failure === 'notFound') return <main class="page"><p data-testid="not-found">404</p></main>;
  if (failure) return <main class="page"><p class="error" role="alert">{t('reading.loadError')}</p></main>;
  if (!board) return <main class="page"><p>{t('loading')}</p></main>;

  const join = async () => {
    try {
      const { board } = await api<{ board: Board }>(`/api/boards/${encodeURIComponent(boardId)}/join`, { method: 'POST' });
      setBoard(board);
    } catch (caught) {
      setError(refusalText(caught, language));
    }
  };
  const takePointer = async () => {
    setError(null);
    try {
      await api(`/api/boards/${encodeURIComponent(boardId)}/pointer`, { method: 'POST' });
      sending.current.last = ''; // send the new presenter's view at once
      await load();
    } catch (caught) {
      setError(refusalText(caught, language));
    }
  };
  const signConsensus = async (event: Event) => {
    event.preventDefault();
    if (!currentCase) return;
    setError(null);
    const recommendation = Object.fromEntries(Object.entries(draft).filter(([, value]) => value.trim()));
    try {
      const { board } = await api<{ board: Board }>(`/api/boards/${encodeURIComponent(boardId)}/cases/${currentCase.consultId}/consensus`, { method: 'POST', body: { recommendation } });
      setBoard(board);
      setDraft({ 'zh-CN': '', en: '' });
    } catch (caught) {
      setError(refusalText(caught, language));
    }
  };

  return (
    <main class="page board" data-testid="board-page" data-presenting={presenting ? 'true' : 'false'} data-seq={live?.seq ?? -1}>
      <p>
        <Link href="/">{t('back')}</Link>
      </p>
      <h1>{board.title}</h1>
      <dl class="facts">
        <dt>{t('board.when')}</dt>
        <dd>{formatDateTime(board.scheduledAt, language)}</dd>
        <dt>{t('board.chair')}</dt>
        <dd>{board.chair.displayName}</dd>
        <dt>{t('board.presenter')}</dt>
        <dd data-testid="board-presenter">{live?.presenter?.displayName ?? '—'}</dd>
      </dl>
      <section>
        <h2>{t('board.participants')}</h2>
        <ul data-testid="board-participants">
          {board.participants.map((p) => (
            <li key={p.key} data-testid="board-participant" data-joined={p.joinedAt ? 'true' : 'false'}>
              {p.displayName} <span class="muted">({p.hospital})</span> {p.joinedAt ? <span class="badge">{t('board.joined')}</span> : <span class="muted">{t('board.notJoined')}</span>}
            </li>
          ))}
        </ul>
      </section>
      {error && (
        <p class="error" role="alert" data-testid="board-error">
          {error}
        </p>
      )}
      {!joined ? (
        <p>
          <button type="button" data-testid="board-join" onClick={() => void join()}>
            {t('board.join')}
          </button>
        </p>
      ) : (
        <>
          <section class="board-cases">
            <h2>{t('board.cases')}</h2>
            <ol>
              {cases.map((c) => (
                <li key={c.consultId} data-testid="board-case" class={c.consultId === consultId ? 'active' : ''}>
                  <button type="button" disabled={!presenting} onClick={() => setSelectedConsult(c.consultId)}>
                    {c.consult.clinicalQuestion}
                  </button>{' '}
                  <span class="muted">{c.consult.sendingHospital.name}</span> {c.consensus && <span class="badge">{t('board.consensusSigned')}</span>}
                </li>
              ))}
            </ol>
          </section>
          <div class="board-toolbar toolbar">
            {presenting ? (
              <>
                <span class="badge" data-testid="board-you-present">{t('board.youPresent')}</span>
                {presets.map((preset) => (
                  <button key={preset} type="button" data-testid={`board-window-${preset}`} onClick={() => session.setWindow(0, preset)}>
                    {t(`board.window.${preset}` as MessageKey)}
                  </button>
                ))}
                {tools.map((tool) => (
                  <button key={tool.name} type="button" aria-pressed={session.activeTool === tool.name} data-testid={`board-tool-${tool.name}`} onClick={() => session.setPrimaryTool(tool.name)}>
                    {t(tool.label)}
                  </button>
                ))}
              </>
            ) : (
              <>
                <span class="muted" data-testid="board-following">
                  {live?.presenter ? t('board.following').replace('{name}', live.presenter.displayName) : t('board.noPresenter')}
                </span>
                <button type="button" data-testid="board-take-pointer" onClick={() => void takePointer()}>
                  {t('board.takePointer')}
                </button>
              </>
            )}
          </div>
          <div class="board-viewport viewport-grid layout-1x1" data-testid="board-viewport" data-measurements={annotationApi.state.getAllAnnotations().filter((a) => isMeasurementTool(a.metadata?.toolName)).length}>
            <ViewportPane session={session} index={0} active displaySet={displaySet} consult={currentCase?.consult ?? null} onActivate={() => undefined} onDropSeries={() => undefined} />
          </div>
          {presenting && positions.length > 1 && (
            <p>
              {t('board.series')}{' '}
              <select data-testid="board-series" value={displaySet?.key} onChange={(e) => setShownKey((e.target as HTMLSelectElement).value)}>
                {positions.map((p) => (
                  <option key={p.displaySet.key} value={p.displaySet.key}>
                    {p.displaySet.modality} {p.displaySet.seriesNumber ?? ''} {p.displaySet.seriesDescription}
                  </option>
                ))}
              </select>
            </p>
          )}
          {currentCase && (
            <section class="board-consensus" data-testid="board-consensus-section">
              <h2>{t('board.consensus')}</h2>
              {currentCase.consensus ? (
                <div data-testid="board-consensus">
                  {currentCase.consensus.recommendation['zh-CN'] && <p lang="zh-CN">{currentCase.consensus.recommendation['zh-CN']}</p>}
                  {currentCase.consensus.recommendation.en && <p lang="en">{currentCase.consensus.recommendation.en}</p>}
                  <p class="muted">
                    {t('board.signedBy').replace('{name}', currentCase.consensus.signedBy).replace('{time}', formatDateTime(currentCase.consensus.signedAt, language))}
                  </p>
                </div>
              ) : board.isChair ? (
                <form data-testid="board-consensus-form" onSubmit={(e) => void signConsensus(e)}>
                  <label>
                    {t('board.recommendationZh')}
                    <textarea name="recommendationZh" lang="zh-CN" value={draft['zh-CN']} onInput={(e) => setDraft({ ...draft, 'zh-CN': (e.target as HTMLTextAreaElement).value })} />
                  </label>
                  <label>
                    {t('board.recommendationEn')}
                    <textarea name="recommendationEn" lang="en" value={draft.en} onInput={(e) => setDraft({ ...draft, en: (e.target as HTMLTextAreaElement).value })} />
                  </label>
                  <button type="submit" data-testid="board-sign-consensus" disabled={!draft['zh-CN'].trim() && !draft.en.trim()}>
                    {t('board.signConsensus')}
                  </button>
                </form>
              ) : (
                <p class="muted">{t('board.noConsensus')}</p>
              )}
            </section>
          )}
        </>
      )}
    </main>
  );
}

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

/** The presenter's measurements, with their images named by position in the case's display sets. */
function sharedMeasurements(displaySets: DisplaySet[]): SharedMeasurement[] {
  const shared: SharedMeasurement[] = [];
  for (const annotation of annotationApi.state.getAllAnnotations()) {
    if (!isMeasurementTool(annotation.metadata?.toolName)) continue;
    const saved = toSaved(annotation);
    const imageId = annotation.metadata?.referencedImageId;
    if (!saved || !imageId) continue;
    const displaySetIndex = displaySets.findIndex((d) => d.imageIds.includes(imageId));
    if (displaySetIndex < 0) continue;
    const { ref: _ref, ...rest } = saved;
    shared.push({ ...rest, displaySetIndex, imageIndex: displaySets[displaySetIndex]!.imageIds.indexOf(imageId) });
  }
  return shared;
}

/** Replaces the measurements shown with the presenter's, locked (a follower looks, the presenter draws). */
function showMeasurements(measurements: SharedMeasurement[], displaySets: DisplaySet[]): void {
  annotationApi.state.removeAllAnnotations();
  for (const m of measurements) {
    const imageId = displaySets[m.displaySetIndex]?.imageIds[m.imageIndex];
    const ref = imageId ? imageIndex.get(imageId)?.ref : undefined;
    if (!imageId || !ref) continue;
    // This side's frame of reference: the two sides know the images under different UIDs.
    const frameOfReference = (metaData.get('imagePlaneModule', imageId) as { frameOfReferenceUID?: string } | undefined)?.frameOfReferenceUID;
    const annotation = fromSaved({ ...m, ref, metadata: { ...m.metadata, FrameOfReferenceUID: frameOfReference ?? m.metadata.FrameOfReferenceUID } }, { locked: true });
    if (annotation) annotationApi.state.addAnnotation(annotation, frameOfReference ?? '');
  }
}
