import { getRenderingCapabilities } from '@cornerstonejs/core';
import { useEffect, useState } from 'preact/hooks';

import { useI18n } from '../i18n.js';
import type { ReadingSession } from './reading-session.js';
import type { DisplaySet, LoadedStudy, SegInstance } from './study-data.js';

type SegLoadState = { kind: 'loading' } | { kind: 'shown' } | { kind: 'failed'; reason: string } | { kind: 'noSeries' } | { kind: 'noWebGL' };

/**
 * Loads every SEG of the consult's studies once they are all listed and the first image is on
 * screen (a SEG never holds the first image back), and adds each to the session, which draws it
 * over its series. Answers each SEG's state by SOP Instance UID.
 */
export function useSegmentations(session: ReadingSession, studies: LoadedStudy[], studiesComplete: boolean): Map<string, SegLoadState> {
  const [states, setStates] = useState(new Map<string, SegLoadState>());
  useEffect(() => {
    const segs = studiesComplete ? studies.flatMap((study) => study.segmentations) : [];
    if (!segs.length) return;
    let cancelled = false;
    const set = (sop: string, state: SegLoadState) => !cancelled && setStates((current) => new Map(current).set(sop, state));
    const displaySets = studies.flatMap((study) => study.displaySets);
    for (const seg of segs) set(seg.sopInstanceUid, { kind: 'loading' });
    void (async () => {
      await session.firstImageShown();
      const module = await import('./segmentation-overlays.js').catch((error: unknown) => error as Error);
      for (const seg of segs) {
        if (cancelled) return;
        const referenced = referencedDisplaySet(seg, displaySets);
        if (!referenced) {
          set(seg.sopInstanceUid, { kind: 'noSeries' });
          continue;
        }
        // Cornerstone draws labelmaps on stack viewports with WebGL only.
        if (!getRenderingCapabilities().webgl) {
          set(seg.sopInstanceUid, { kind: 'noWebGL' });
          continue;
        }
        if (module instanceof Error) {
          set(seg.sopInstanceUid, { kind: 'failed', reason: module.message });
          continue;
        }
        try {
          const loaded = await module.loadSegmentation(seg, referenced);
          if (cancelled) return;
          await session.addSegmentation(loaded);
          set(seg.sopInstanceUid, { kind: 'shown' });
        } catch (error) {
          set(seg.sopInstanceUid, { kind: 'failed', reason: error instanceof Error ? error.message : String(error) });
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [session, studiesComplete]);
  return states;
}

/** The single-frame stack of the series a SEG names (a SEG over a multi-frame image is not drawn yet). */
function referencedDisplaySet(seg: SegInstance, displaySets: DisplaySet[]): DisplaySet | undefined {
  return displaySets.find((d) => d.seriesInstanceUid === seg.referencedSeriesInstanceUid && !d.multiFrame);
}

/** A study's SEGs in the series panel: per segment its colour, a switch and an opacity slider. */
export function SegmentList(props: { session: ReadingSession; study: LoadedStudy; states: Map<string, SegLoadState> }) {
  const { t } = useI18n();
  const { session, study } = props;
  return (
    <>
      {study.segmentations.map((seg) => {
        const state = props.states.get(seg.sopInstanceUid) ?? { kind: 'loading' };
        const loaded = session.segmentations.find((l) => l.seg.sopInstanceUid === seg.sopInstanceUid);
        const over = study.displaySets.find((d) => d.seriesInstanceUid === seg.referencedSeriesInstanceUid);
        return (
          <div key={seg.sopInstanceUid} class="thumb other seg" data-testid="seg-series" data-state={state.kind}>
            <span class="thumb-label">
              SEG <bdi>{seg.seriesDescription || t('seg.title')}</bdi>
              {over && <span class="muted"> {t('seg.over').replace('{series}', String(over.seriesNumber ?? over.seriesDescription))}</span>}
            </span>
            {state.kind === 'loading' && <span class="muted">{t('seg.loading')}</span>}
            {state.kind === 'noSeries' && <span class="muted">{t('seg.noSeries')}</span>}
            {state.kind === 'noWebGL' && (
              <span class="error" role="alert">
                {t('seg.noWebGL')}
              </span>
            )}
            {state.kind === 'failed' && (
              <span class="error" role="alert" title={state.reason}>
                {t('seg.failed')}
              </span>
            )}
            {loaded && (
              <ul class="segments">
                {loaded.segments.map((segment) => {
                  const display = session.segmentDisplay(seg.sopInstanceUid, segment.index);
                  return (
                    <li key={segment.index} data-testid="segment" data-segment={segment.index}>
                      <label>
                        <input
                          type="checkbox"
                          checked={display.visible}
                          data-testid="segment-visible"
                          aria-label={`${t('seg.visible')}: ${segment.label}`}
                          onChange={(e) => session.setSegmentDisplay(seg.sopInstanceUid, segment.index, { visible: (e.target as HTMLInputElement).checked })}
                        />
                        <span class="swatch" style={{ background: `rgb(${segment.color.join(',')})` }} />
                        <bdi>{segment.label}</bdi>
                      </label>
                      <input
                        type="range"
                        min={0}
                        max={100}
                        value={Math.round(display.opacity * 100)}
                        data-testid="segment-opacity"
                        aria-label={`${t('seg.opacity')}: ${segment.label}`}
                        onInput={(e) => session.setSegmentDisplay(seg.sopInstanceUid, segment.index, { opacity: Number((e.target as HTMLInputElement).value) / 100 })}
                      />
                    </li>
                  );
                })}
              </ul>
            )}
          </div>
        );
      })}
    </>
  );
}
