import { useState } from 'preact/hooks';

import { api, ApiError, type Attachment, type IdentityFinding, type PageBox } from '../api.js';
import { useI18n } from '../i18n.js';
import { refusalText } from '../reasons.js';

interface Box extends PageBox {
  page: number;
  /** Proposed where the patient is named (outlined red), or drawn by the radiographer. */
  proposed: boolean;
}

/** Boxes smaller than this (a click, not a drag) are not boxes. */
const MIN_SIDE = 0.004;

const boxesOf = (findings: IdentityFinding[]): Box[] => findings.flatMap((f) => f.boxes.map((box) => ({ ...box, page: f.page, proposed: true })));

/**
 * The sender redacts a document before the reading centre gets it: every page as the server
 * renders it, the boxes the check proposes over the patient's identifiers, more drawn by
 * dragging, any removed by a click. The server burns the boxes into pictures of the pages and
 * reads them back; where the patient is still named it answers with the places, which are
 * added here for the radiographer to confirm.
 */
export function RedactionEditor(props: { consultId: string; attachment: Attachment; onDone: () => void; onCancel: () => void }) {
  const { t, language } = useI18n();
  const check = props.attachment.check;
  const [boxes, setBoxes] = useState<Box[]>(() => boxesOf(check?.findings ?? []));
  const [drawing, setDrawing] = useState<{ page: number; x0: number; y0: number; box: PageBox } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const base = `/api/consults/${props.consultId}/attachments/${props.attachment.id}`;
  const pages = Array.from({ length: Math.min(check?.pages ?? 1, 40) }, (_, i) => i + 1);

  const at = (event: PointerEvent) => {
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    return { x: Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width)), y: Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height)) };
  };
  const redact = async () => {
    setBusy(true);
    setError(null);
    try {
      await api(`${base}/redact`, { method: 'POST', body: { boxes: boxes.map(({ page, x, y, width, height }) => ({ page, x, y, width, height })) } });
      props.onDone();
    } catch (caught) {
      const remaining = caught instanceof ApiError ? (caught.body as { error?: { remaining?: IdentityFinding[] } } | null)?.error?.remaining : undefined;
      if (remaining?.length) setBoxes((current) => [...current, ...boxesOf(remaining)]);
      setError(refusalText(caught, language));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="redaction-editor" data-testid="redaction-editor">
      <p class="muted">{t('attachments.redactHint')}</p>
      {pages.map((page) => (
        <figure key={page} class="redaction-page">
          <figcaption>{t('attachments.page').replace('{n}', String(page))}</figcaption>
          <div
            class="redaction-sheet"
            data-testid="redaction-page"
            data-page={page}
            onPointerDown={(event) => {
              if ((event.target as HTMLElement).closest('.redaction-box')) return;
              const { x, y } = at(event);
              (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
              setDrawing({ page, x0: x, y0: y, box: { x, y, width: 0, height: 0 } });
            }}
            onPointerMove={(event) => {
              if (drawing?.page !== page) return;
              const { x, y } = at(event);
              setDrawing({ ...drawing, box: { x: Math.min(x, drawing.x0), y: Math.min(y, drawing.y0), width: Math.abs(x - drawing.x0), height: Math.abs(y - drawing.y0) } });
            }}
            onPointerUp={() => {
              if (drawing?.page !== page) return;
              if (drawing.box.width > MIN_SIDE && drawing.box.height > MIN_SIDE) setBoxes((current) => [...current, { ...drawing.box, page, proposed: false }]);
              setDrawing(null);
            }}
          >
            <img src={`${base}/pages/${page}`} alt={t('attachments.page').replace('{n}', String(page))} draggable={false} loading="lazy" />
            {boxes.map((box, i) =>
              box.page === page ? (
                <button
                  key={i}
                  type="button"
                  class={`redaction-box ${box.proposed ? 'proposed' : ''}`}
                  data-testid="redaction-box"
                  title={t('attachments.removeBox')}
                  aria-label={t('attachments.removeBox')}
                  style={{ left: `${box.x * 100}%`, top: `${box.y * 100}%`, width: `${box.width * 100}%`, height: `${box.height * 100}%` }}
                  onClick={() => setBoxes((current) => current.filter((_, j) => j !== i))}
                />
              ) : null,
            )}
            {drawing?.page === page && (
              <div class="redaction-box drawing" style={{ left: `${drawing.box.x * 100}%`, top: `${drawing.box.y * 100}%`, width: `${drawing.box.width * 100}%`, height: `${drawing.box.height * 100}%` }} />
            )}
          </div>
        </figure>
      ))}
      <div class="actions">
        <button type="button" disabled={busy} onClick={redact} data-testid="redaction-confirm">
          {busy ? t('attachments.redactBusy') : t('attachments.redactConfirm')}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={props.onCancel}>
          {t('attachments.redactCancel')}
        </button>
      </div>
      {error && (
        <p class="error" role="alert" data-testid="redaction-error">
          {error}
        </p>
      )}
    </div>
  );
}
