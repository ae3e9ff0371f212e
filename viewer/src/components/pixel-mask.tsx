import { useRef, useState } from 'preact/hooks';

import { api, type InstanceSummary, type StudySummary } from '../api.js';
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

/** The server's limit of boxes per request. */
const MAX_BOXES = 32;

const sameSize = (a: InstanceSummary, b: InstanceSummary) => a.rows === b.rows && a.columns === b.columns;

/**
 * Masks burned-in identity: the radiographer draws boxes over the rendered image (drag to add,
 * click a box to remove), previews them filled black, and confirms. The server fills them in
 * every frame of the image, or of every image of the series with the same size, and releases
 * the masked copies; the unmasked originals are deleted.
 */
export function PixelMask(props: { study: StudySummary; instances: InstanceSummary[]; series: boolean; onMasked: (masked: InstanceSummary[]) => void; onClose: () => void }) {
  const { t, language } = useI18n();
  const first = props.instances[0]!;
  const [boxes, setBoxes] = useState<MaskBox[]>([]);
  const [drawing, setDrawing] = useState<MaskBox | null>(null);
  const [preview, setPreview] = useState(false);
  const [wholeSeries, setWholeSeries] = useState(props.series);
  const [size, setSize] = useState<{ width: number; height: number } | null>(first.columns && first.rows ? { width: first.columns, height: first.rows } : null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const surface = useRef<HTMLDivElement>(null);
  const start = useRef<{ x: number; y: number; pointer: number } | null>(null);

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
  const onPointerMove = (event: PointerEvent) => {
    if (start.current?.pointer === event.pointerId) setDrawing(boxBetween(start.current, pixelAt(event)));
  };
  const onPointerUp = (event: PointerEvent) => {
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
      await api(`/api/studies/${props.study.id}/pixel-review/mask`, { method: 'POST', body: { instanceIds: targets.map((i) => i.id), boxes, frames: 'all' } });
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
              key={`${box.x},${box.y},${box.width},${box.height},${index}`}
              class="mask-box"
              data-box={index}
              data-testid="mask-box"
              title={t('mask.removeBox')}
              style={percent(box) ?? undefined}
              onPointerDown={(e) => e.stopPropagation()}
              onClick={() => !preview && setBoxes(boxes.filter((_, i) => i !== index))}
            />
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
