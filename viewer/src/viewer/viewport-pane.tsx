import { useEffect, useRef } from 'preact/hooks';

import type { ConsultSummary } from '../api.js';
import { displayName, formatAge, useI18n } from '../i18n.js';
import { number, numbers, pixelSpacingOf, Tag, text, type DicomJson } from './dicom-json.js';
import type { ReadingSession } from './reading-session.js';
import { StructureOverlay } from './structure-overlay.js';
import type { StructureRoi } from './structure-sets.js';
import { imageIndex, type DisplaySet } from './study-data.js';

/**
 * One viewport: the Cornerstone element (which Preact never renders into), the corner overlay
 * of anonymized study data and slice position (text only), a scrollbar, and a message when
 * the image cannot be shown.
 */
export function ViewportPane(props: {
  session: ReadingSession;
  index: number;
  active: boolean;
  displaySet: DisplaySet | undefined;
  consult: ConsultSummary | null;
  onActivate: () => void;
  onDropSeries: (key: string) => void;
  /** RT structure ROIs to outline over the images (those of the shown image's plane are drawn). */
  structures?: StructureRoi[];
}) {
  const { t, language } = useI18n();
  const { session, index, displaySet } = props;
  const elementRef = useRef<HTMLDivElement>(null);
  const state = session.state(index);

  useEffect(() => {
    const element = elementRef.current!;
    session.enable(index, element);
    const observer = new ResizeObserver(() => session.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      session.disable(index);
    };
  }, [session, index]);

  useEffect(() => {
    if (displaySet && state.displaySetKey !== displaySet.key) {
      const middle = displaySet.multiFrame || displaySet.imageIds.length < 3 ? 0 : Math.floor(displaySet.imageIds.length / 2);
      void session.show(index, displaySet, middle);
    }
  }, [displaySet?.key, session, index]);

  const json = state.imageId ? imageIndex.get(state.imageId)?.json : undefined;
  const study = props.consult?.studies.find((s) => s.studyInstanceUid === displaySet?.studyInstanceUid);
  // The sending hospital sees the real identity (from the API); everyone else the pseudonym in the DICOM.
  const patientName = displayName(study?.identity?.name || text(json, Tag.PatientName));
  const patientId = study?.identity?.id || text(json, Tag.PatientID);
  // The server decides which study date each side sees (the real one for the sender, the shifted one for readers).
  const studyDate = study ? (study.studyDate ?? '') : formatDate(text(json, Tag.StudyDate));

  return (
    <div
      class={`viewport-pane ${props.active ? 'active' : ''}`}
      data-testid="viewport"
      data-index={index}
      data-image-index={state.imageIndex}
      data-image-count={state.imageCount}
      data-loading={state.loading ? 'true' : 'false'}
      data-image-id={state.imageId ?? ''}
      data-voi={state.voi ? `${state.voi.center},${state.voi.width}` : ''}
      data-error={state.error ? 'true' : 'false'}
      onMouseDown={props.onActivate}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        const key = e.dataTransfer?.getData('text/x-yunzhen-series');
        if (key) props.onDropSeries(key);
      }}
    >
      <div class="viewport-element" ref={elementRef} data-testid="viewport-element" onContextMenu={(e) => e.preventDefault()} />
      {props.structures && props.structures.length > 0 && !state.error && <StructureOverlay session={session} index={index} imageId={state.imageId} rois={props.structures} />}
      {json && !state.error && (
        <>
          <div class="overlay top-left" data-testid="overlay-top-left">
            <div>
              <bdi>{patientName}</bdi>
            </div>
            <div>
              <bdi>{patientId}</bdi> {text(json, Tag.PatientSex)} {formatAge(text(json, Tag.PatientAge), language)}
            </div>
            <div>
              <bdi>{text(json, Tag.StudyDescription)}</bdi>
            </div>
            <div data-testid="overlay-study-date">{studyDate}</div>
          </div>
          <div class="overlay top-right" data-testid="overlay-top-right">
            <div>
              {text(json, Tag.Modality)} {displaySet?.bodyPart ?? ''}
            </div>
            <div>
              {t('overlay.series')} {text(json, Tag.SeriesNumber)} <bdi>{text(json, Tag.SeriesDescription)}</bdi>
            </div>
            <div>
              {t('overlay.instance')} {text(json, Tag.InstanceNumber)}
            </div>
          </div>
          <div class="overlay bottom-left" data-testid="overlay-bottom-left">
            <div data-testid="slice-position">
              {t('overlay.image')} {state.imageIndex + 1} / {state.imageCount}
            </div>
            <div>{slicePosition(json)}</div>
            {number(json, Tag.SliceThickness) !== undefined && (
              <div>
                {t('overlay.thickness')} {number(json, Tag.SliceThickness)!.toFixed(2)} mm
              </div>
            )}
          </div>
          {state.orientation && numbers(json, Tag.ImageOrientationPatient).length === 6 && (
            <>
              <div class="orientation top" data-testid="orientation-top">{state.orientation.top}</div>
              <div class="orientation bottom" data-testid="orientation-bottom">{state.orientation.bottom}</div>
              <div class="orientation left" data-testid="orientation-left">{state.orientation.left}</div>
              <div class="orientation right" data-testid="orientation-right">{state.orientation.right}</div>
            </>
          )}
          <div class="overlay bottom-right" data-testid="overlay-bottom-right">
            {state.voi && (
              <div data-testid="overlay-voi">
                W {windowNumber(state.voi.width, state.voi.width)} L {windowNumber(state.voi.center, state.voi.width)}
              </div>
            )}
            <div>
              {t('overlay.zoom')} {Math.round(state.zoom * 100)}%{state.rotation ? ` ↻${state.rotation}°` : ''}
              {state.flipHorizontal ? ' ⇋' : ''}
              {state.flipVertical ? ' ⇵' : ''}
              {state.invert ? ` ${t('view.invert')}` : ''}
            </div>
            {!pixelSpacingOf(json, frameOf(state.imageId)) && <div class="warning">{t('overlay.noSpacing')}</div>}
          </div>
        </>
      )}
      {state.imageCount > 1 && (
        <input
          class="scrollbar"
          type="range"
          min={0}
          max={state.imageCount - 1}
          value={state.imageIndex}
          aria-label={t('overlay.image')}
          data-testid="scrollbar"
          onInput={(e) => void session.scrollTo(index, Number((e.target as HTMLInputElement).value))}
        />
      )}
      {state.error && (
        <div class="viewport-error" role="alert" data-testid="viewport-error">
          <strong>{t('viewport.cannotDecode')}</strong>
          <span>{transferSyntaxOf(json)}</span>
          <span class="muted">{state.error}</span>
        </div>
      )}
      {!displaySet && <div class="viewport-empty">{t('viewport.empty')}</div>}
    </div>
  );
}

function formatDate(da: string): string {
  return /^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : da;
}

function slicePosition(json: DicomJson): string {
  const location = number(json, Tag.SliceLocation);
  if (location !== undefined) return `Loc ${location.toFixed(2)} mm`;
  const position = numbers(json, Tag.ImagePositionPatient);
  if (position.length === 3) return `Pos ${position.map((p) => p.toFixed(1)).join(', ')}`;
  return '';
}

const frameOf = (imageId: string | undefined) => (imageId ? imageIndex.get(imageId)?.ref.frame : undefined) ?? 1;

/** A window's numbers as the overlay shows them: whole numbers, with decimals where the window is narrow (PET in SUV, RT Dose in Gy). */
const windowNumber = (value: number, width: number) => (Math.abs(width) < 10 ? value.toPrecision(3) : String(Math.round(value)));

function transferSyntaxOf(json: DicomJson | undefined): string {
  return text(json, Tag.TransferSyntaxUID);
}
