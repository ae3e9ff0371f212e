import { useRef, useState } from 'preact/hooks';

import { api, type InstanceSummary, type StudySummary, type TextProposal } from '../api.js';
import { useI18n } from '../i18n.js';
import { refusalText } from '../reasons.js';
import { dicomweb } from '../viewer/dicomweb-paths.js';

/** A box in image pixel coordinates, as the server takes it. */
export interface MaskBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A box on the page: drawn by hand, or proposed by the pixel scan (with what it found). */
type EditedBox = MaskBox & { proposal?: Pick<TextProposal, 'source' | 'identity'> };

/** The scan's proposals for the images to mask, each box once (a clip's images share their overlay). */
function proposedBoxes(instances: InstanceSummary[]): EditedBox[] {
  const boxes: EditedBox[] = [];
  for (const instance of instances) {
    for (const p of instance.textProposals ?? []) {
      const same = boxes.find((b) => b.x === p.x && b.y === p.y && b.width === p.width && b.height === p.height);
      if (same) same.proposal = { source: same.proposal?.source ?? p.source, identity: [...new Set([...(same.proposal?.identity ?? []), ...p.identity])] };
      else boxes.push({ x: p.x, y: p.y, width: p.width, height: p.height, proposal: { source: p.source, identity: p.identity } });
    }
  }
  // Identity first: if there are more than the server takes, those are the ones kept.
  return boxes.sort((a, b) => (b.proposal?.identity.length ?? 0) - (a.proposal?.identity.length ?? 0)).slice(0, MAX_BOXES);
}

/** The server's limit of boxes per request. */
const MAX_BOXES = 32;

const sameSize = (a: InstanceSummary, b: InstanceSummary) => a.rows === b.rows && a.columns === b.columns;

/**
 * Masks burned-in identity: the page starts from the boxes the pixel scan proposed (OCR'd text,
 * red where it names the patient; the modality's template), the radiographer adjusts them (drag
 * a corner to resize, click to remove, drag elsewhere to add), previews them filled black, and
 * confirms. The server fills them in
 * every frame of the image, or of every image of the series with the same size, and releases
 * the masked copies; the unmasked originals are deleted.
 */
export function PixelMask(props: { study: StudySummary; instances: InstanceSummary[]; series: boolean; onMasked: (masked: InstanceSummary[]) => void; onClose: () => void }) {
  const { t, language } = useI18n();
  const first = props.instances[0]!;
  const [boxes, setBoxes] = useState<EditedBox[]>(() => proposedBoxes(props.series ? props.instances.filter((i) => sameSize(i, first)) : [first]));
  const [drawing, setDrawing] = useState<MaskBox | null>(null);
  const [preview, setPreview] = useState(false);
  const [wholeSeries, setWholeSeries] = useState(props.series);
  const [size, setSize] = useState<{ width: number; height: number } | null>(first.columns && first.rows ? { width: first.columns, height: first.rows } : null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const surface = useRef<HTMLDivElement>(null);
  const start = useRef<{ x: number; y: number; pointer: number } | null>(null);
  const resizing = useRef<{ index: number; pointer: number } | null>(null);

  const targets = wholeSeries ? props.instances.filter((i) => sameSize(i, first)) : [first];
  const otherSize = wholeSeries ? props.instances.length - targets.length : 0;

  /** The image pixel under a pointer event, clamped to the image. */
  const pixelAt = (event: PointerEvent) => {
    const rect = surface.current!.getBoundingClientRect();
    const { width, height } = size!;
    // Within a few screen pixels of an edge snaps to it: a band over the header must reach row 0.
    const snap = (value: number, end: number) => {
      const near = Math.max(1, Math.round((4 * end) / (end === width ? rect.width : rect.height)));
      return value <= near ? 0 : value >= end - near ? end : value;
    };
    const x = snap(Math.min(width, Math.max(0, Math.round(((event.clientX - rect.left) / rect.width) * width))), width);
    const y = snap(Math.min(height, Math.max(0, Math.round(((event.clientY - rect.top) / rect.height) * height))), height);
    return { x, y };
  };
  const boxBetween = (a: { x: number; y: number }, b: { x: number; y: number }): MaskBox => ({
    x: Math.min(a.x, b.x),
    y: Math.min(a.y, b.y),
    width: Math.abs(a.x - b.x),
    height: Math.abs(a.y - b.y),
  });

  const onPointerDown = (event: PointerEvent) => {
    if (!size || preview || event.button !== 0 || (event.target as HTMLElement).dataset.box !== undefined) return;
    event.preventDefault();
    surface.current!.setPointerCapture?.(event.pointerId);
    start.current = { ...pixelAt(event), pointer: event.pointerId };
    setDrawing({ ...pixelAt(event), width: 0, height: 0 });
  };
  /** Dragging a box's corner handle resizes it; the opposite corner stays. */
  const onHandleDown = (event: PointerEvent, index: number) => {
    if (preview || event.button !== 0) return;
    event.preventDefault();
    event.stopPropagation();
    surface.current!.setPointerCapture?.(event.pointerId);
    resizing.current = { index, pointer: event.pointerId };
  };
  const onPointerMove = (event: PointerEvent) => {
    const resize = resizing.current;
    if (resize?.pointer === event.pointerId) {
      const at = pixelAt(event);
      setBoxes((current) => current.map((box, i) => (i === resize.index ? { ...box, width: Math.max(2, at.x - box.x), height: Math.max(2, at.y - box.y) } : box)));
      return;
    }
    if (start.current?.pointer === event.pointerId) setDrawing(boxBetween(start.current, pixelAt(event)));
  };
  const onPointerUp = (event: PointerEvent) => {
    if (resizing.current?.pointer === event.pointerId) {
      resizing.current = null;
      return;
    }
    if (start.current?.pointer !== event.pointerId) return;
    const box = boxBetween(start.current, pixelAt(event));
    start.current = null;
    setDrawing(null);
    // A click without a drag adds nothing.
    if (box.width >= 2 && box.height >= 2 && boxes.length < MAX_BOXES) setBoxes([...boxes, box]);
  };

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const body = { instanceIds: targets.map((i) => i.id), boxes: boxes.map(({ x, y, width, height }) => ({ x, y, width, height })), frames: 'all' };
      await api(`/api/studies/${props.study.id}/pixel-review/mask`, { method: 'POST', body });
      props.onMasked(targets);
    } catch (caught) {
      setError(refusalText(caught, language));
      setBusy(false);
    }
  };

  const percent = (box: MaskBox) =>
    size && {
      left: `${(box.x / size.width) * 100}%`,
      top: `${(box.y / size.height) * 100}%`,
      width: `${(box.width / size.width) * 100}%`,
      height: `${(box.height / size.height) * 100}%`,
    };
  const frames = first.numberOfFrames ?? 1;
  const proposed = boxes.filter((box) => box.proposal).length;
  const naming = boxes.filter((box) => box.proposal?.identity.length).length;
  const scanning = targets.some((i) => i.pixelScan === 'pending');
  const boxTitle = (box: EditedBox) => {
    if (box.proposal?.identity.length) return t('mask.identityBox').replace('{kinds}', box.proposal.identity.map((kind) => t(`identity.${kind}`)).join(', '));
    if (box.proposal?.source === 'template') return t('mask.templateBox');
    if (box.proposal) return t('mask.proposedBox');
    return t('mask.removeBox');
  };
  // Small ultrasound images are shown enlarged, large ones fit the window: boxes are kept in image pixels either way.
  const scale = size ? Math.min(720 / size.width, (0.5 * innerHeight) / size.height, (0.85 * innerWidth) / size.width) : 1;
  const shown = size ? { width: `${Math.round(size.width * scale)}px`, height: `${Math.round(size.height * scale)}px` } : undefined;

  return (
    <div class="dialog-backdrop" role="dialog" aria-modal="true" aria-label={t('mask.title')} onKeyDown={(e) => e.key === 'Escape' && !busy && props.onClose()}>
      <div class="dialog mask-dialog" data-testid="mask-dialog">
        <header>
          <h2>{t('mask.title')}</h2>
          <button type="button" class="secondary" disabled={busy} onClick={props.onClose} data-testid="mask-cancel">
            {t('mask.cancel')}
          </button>
        </header>
        <p class="intro">{t('mask.intro')}</p>
        {proposed > 0 && (
          <p class="intro" data-testid="mask-proposed">
            {t('mask.proposedIntro')} {t('mask.proposalCount').replace('{count}', String(proposed)).replace('{identity}', String(naming))}
          </p>
        )}
        {scanning && <p class="muted" data-testid="mask-scanning">{t('mask.scanning')}</p>}
        <div
          ref={surface}
          class={`mask-surface${preview ? ' preview' : ''}`}
          data-testid="mask-surface"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
        >
          <img
            alt=""
            draggable={false}
            style={shown}
            src={dicomweb.rendered(props.study.studyInstanceUid, first.seriesInstanceUid, first.sopInstanceUid)}
            onLoad={(e) => {
              const img = e.currentTarget as HTMLImageElement;
              if (!size) setSize({ width: img.naturalWidth, height: img.naturalHeight });
            }}
          />
          {boxes.map((box, index) => (
            <div
              key={index}
              class={`mask-box${box.proposal?.identity.length ? ' identity' : box.proposal ? ' proposed' : ''}`}
              data-box={index}
              data-testid="mask-box"
              data-proposal={box.proposal ? (box.proposal.identity.length ? 'identity' : box.proposal.source) : undefined}
              title={boxTitle(box)}
              style={percent(box) ?? undefined}
              onPointerDown={(e) => e.stopPropagation()}
              onClick={() => !preview && setBoxes(boxes.filter((_, i) => i !== index))}
            >
              {!preview && <span class="mask-handle" data-testid="mask-handle" onPointerDown={(e) => onHandleDown(e, index)} onClick={(e) => e.stopPropagation()} />}
            </div>
          ))}
          {drawing && <div class="mask-box drawing" style={percent(drawing) ?? undefined} />}
        </div>
        <p class="muted" data-testid="mask-summary">
          {t('mask.boxCount').replace('{count}', String(boxes.length))} · {t('mask.allFrames').replace('{count}', String(frames))}
          {boxes.length >= MAX_BOXES && ` · ${t('mask.tooManyBoxes').replace('{count}', String(MAX_BOXES))}`}
        </p>
        {props.instances.length > 1 && (
          <fieldset class="mask-scope">
            <label>
              <input type="radio" name="mask-scope" checked={!wholeSeries} onChange={() => setWholeSeries(false)} data-testid="mask-scope-image" /> {t('mask.scopeImage')}
            </label>
            <label>
              <input type="radio" name="mask-scope" checked={wholeSeries} onChange={() => setWholeSeries(true)} data-testid="mask-scope-series" />{' '}
              {t('mask.scopeSeries').replace('{count}', String(targets.length))}
            </label>
            {otherSize > 0 && <p class="muted">{t('mask.otherSize').replace('{count}', String(otherSize))}</p>}
          </fieldset>
        )}
        {error && (
          <p class="error" role="alert" data-testid="mask-error">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="secondary" disabled={boxes.length === 0 || busy} onClick={() => setPreview(!preview)} aria-pressed={preview} data-testid="mask-preview">
            {preview ? t('mask.edit') : t('mask.preview')}
          </button>
          <button type="button" class="secondary" disabled={boxes.length === 0 || busy || preview} onClick={() => setBoxes([])} data-testid="mask-clear">
            {t('mask.clear')}
          </button>
          <button type="button" disabled={boxes.length === 0 || busy || !preview} onClick={() => void confirm()} data-testid="mask-confirm" title={preview ? undefined : t('mask.previewFirst')}>
            {t('mask.confirm').replace('{count}', String(targets.length))}
          </button>
        </div>
      </div>
    </div>
  );
}
