import { useEffect, useRef, useState } from 'preact/hooks';

import { useI18n, type MessageKey } from '../i18n.js';
import { mprPlanes, mprSupport, type MprPlaneName } from './mpr.js';
import type { ReadingSession } from './reading-session.js';
import type { DisplaySet } from './study-data.js';

type MprState = { kind: 'loading' } | { kind: 'shown' } | { kind: 'failed'; reason: string };

/**
 * The MPR layout in place of the viewport grid: axial, sagittal and coronal of one series with
 * crosshairs, or a message saying why this browser or series cannot have it.
 */
export function MprView(props: { session: ReadingSession; displaySet: DisplaySet | undefined; onClose: () => void }) {
  const { t } = useI18n();
  const { session, displaySet } = props;
  const support = mprSupport(displaySet);
  const axial = useRef<HTMLDivElement>(null);
  const sagittal = useRef<HTMLDivElement>(null);
  const coronal = useRef<HTMLDivElement>(null);
  const refs: Record<MprPlaneName, typeof axial> = { axial, sagittal, coronal };
  const [state, setState] = useState<MprState>({ kind: 'loading' });

  useEffect(() => {
    if (support !== 'ok' || !displaySet) return;
    let cancelled = false;
    setState({ kind: 'loading' });
    const elements = { axial: axial.current!, sagittal: sagittal.current!, coronal: coronal.current! };
    session.openMpr(elements, displaySet).then(
      () => !cancelled && setState({ kind: 'shown' }),
      (error: unknown) => !cancelled && setState({ kind: 'failed', reason: error instanceof Error ? error.message : String(error) }),
    );
    const observer = new ResizeObserver(() => session.resize());
    for (const element of Object.values(elements)) observer.observe(element);
    return () => {
      cancelled = true;
      observer.disconnect();
      session.closeMpr();
    };
  }, [session, displaySet?.key, support]);

  if (support !== 'ok') {
    return (
      <section class="viewport-grid mpr-unavailable" data-testid="mpr" data-state="unavailable">
        <div class="viewport-error" role="alert" data-testid="mpr-unavailable" data-reason={support}>
          <strong>{t(support === 'noWebGL' ? 'mpr.noWebGL' : 'mpr.notVolume')}</strong>
          <button type="button" class="secondary" onClick={props.onClose}>
            {t('mpr.back')}
          </button>
        </div>
      </section>
    );
  }
  return (
    <section class="viewport-grid layout-mpr" data-testid="mpr" data-state={state.kind}>
      {mprPlanes.map((plane) => (
        <div key={plane.name} class="viewport-pane" data-testid="mpr-viewport" data-plane={plane.name}>
          <div class="viewport-element" ref={refs[plane.name]} data-testid="viewport-element" onContextMenu={(e) => e.preventDefault()} />
          <div class="overlay top-left">{t(`mpr.${plane.name}` as MessageKey)}</div>
        </div>
      ))}
      {state.kind === 'loading' && <div class="mpr-status muted">{t('loading')}</div>}
      {state.kind === 'failed' && (
        <div class="viewport-error" role="alert" data-testid="mpr-failed">
          <strong>{t('mpr.failed')}</strong>
          <span class="muted">{state.reason}</span>
        </div>
      )}
    </section>
  );
}
