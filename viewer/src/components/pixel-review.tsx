import { useEffect, useRef, useState } from 'preact/hooks';

import { api, type InstanceSummary, type StudySummary } from '../api.js';
import { dicomweb } from '../viewer/dicomweb-paths.js';
import { displayName, useI18n } from '../i18n.js';
import { reasonText, refusalText } from '../reasons.js';
import { PixelMask } from './pixel-mask.js';

/** Images of one series awaiting review: the unit a radiographer decides on when a series has hundreds. */
interface HeldSeries {
  key: string;
  study: StudySummary;
  seriesInstanceUid: string;
  instances: InstanceSummary[];
}

/** A series with more held images than this shows the first ones and a "show all". */
const CARDS_PER_SERIES = 12;

type Decision = 'release' | 'remove';

/** Held images by series, and whether any image of these studies is still being OCR'd (its proposals are still to come). */
async function heldSeriesOf(studies: StudySummary[]): Promise<{ held: HeldSeries[]; scanning: boolean }> {
  const found = new Map<string, HeldSeries>();
  let scanning = false;
  // Images still being scanned may turn out held: their studies are read too (and read again, below).
  for (const study of studies.filter((s) => (s.pendingReviewCount ?? 0) > 0 || (s.scanningCount ?? 0) > 0)) {
    const detail = await api<{ instances: InstanceSummary[] }>(`/api/studies/${study.id}`);
    if (detail.instances.some((i) => i.pixelReview === 'scanning' || i.pixelScan === 'pending')) scanning = true;
    for (const instance of detail.instances) {
      if (instance.pixelReview !== 'pending') continue;
      const key = `${study.id}|${instance.seriesInstanceUid}`;
      const series = found.get(key) ?? { key, study, seriesInstanceUid: instance.seriesInstanceUid, instances: [] };
      series.instances.push(instance);
      found.set(key, series);
    }
  }
  for (const series of found.values()) series.instances.sort((a, b) => (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0));
  return { held: [...found.values()], scanning };
}

/** How often the page reads the held images again while the pixel scan still runs on some. */
const SCAN_POLL_MS = 3000;

/** One request per study: the server decides per study, up to 10,000 instances at a time. */
async function decide(study: StudySummary, instances: InstanceSummary[], decision: Decision): Promise<void> {
  await api(`/api/studies/${study.id}/pixel-review`, { method: 'POST', body: { [decision]: instances.map((i) => i.id) } });
}

/**
 * Images the engine flagged as possibly carrying burned-in identity (ultrasound, secondary
 * capture, BurnedInAnnotation YES…). The reading centre gets them only once a radiographer of
 * the sending hospital has looked and released them: one image, one series or all at once.
 */
export function PixelReview(props: { studies: StudySummary[]; onDecided?: () => void }) {
  const { t, language } = useI18n();
  const [held, setHeld] = useState<HeldSeries[] | null>(null);
  const [expanded, setExpanded] = useState(new Set<string>());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [masking, setMasking] = useState<{ series: HeldSeries; instances: InstanceSummary[]; wholeSeries: boolean } | null>(null);

  // Ids decided on this page: a list read before the decision (still on its way when the
  // radiographer clicked) must not bring those images back.
  const decided = useRef(new Set<string>());
  const withoutDecided = (series: HeldSeries[]) =>
    series.map((s) => ({ ...s, instances: s.instances.filter((i) => !decided.current.has(i.id)) })).filter((s) => s.instances.length > 0);

  const [scanRound, setScanRound] = useState(0);
  useEffect(() => {
    let latest = true; // only the newest read of the held images is shown
    let timer: ReturnType<typeof setTimeout> | undefined;
    heldSeriesOf(props.studies).then(
      (found) => {
        if (!latest) return;
        setHeld(withoutDecided(found.held));
        // Proposed boxes (and images the scan holds) arrive when the scan is done: read again until then.
        if (found.scanning) timer = setTimeout(() => setScanRound((round) => round + 1), SCAN_POLL_MS);
      },
      (caught: unknown) => latest && setError(refusalText(caught, language)),
    );
    return () => {
      latest = false;
      clearTimeout(timer);
    };
  }, [props.studies, scanRound]);

  /** Takes decided (or masked and released) images off the page. */
  const drop = (instances: InstanceSummary[]) => {
    for (const instance of instances) decided.current.add(instance.id);
    setHeld((current) => withoutDecided(current ?? []));
    props.onDecided?.();
  };

  /** Applies a decision, then drops what was decided from the page. */
  const apply = async (targets: { series: HeldSeries; instances: InstanceSummary[] }[], decision: Decision) => {
    setBusy(true);
    setError(null);
    try {
      const perStudy = new Map<string, { study: StudySummary; instances: InstanceSummary[] }>();
      for (const { series, instances } of targets) {
        const entry = perStudy.get(series.study.id) ?? { study: series.study, instances: [] };
        entry.instances.push(...instances);
        perStudy.set(series.study.id, entry);
      }
      for (const { study, instances } of perStudy.values()) await decide(study, instances, decision);
      drop(targets.flatMap((target) => target.instances));
    } catch (caught) {
      setError(refusalText(caught, language));
    } finally {
      setBusy(false);
    }
  };

  if (!held) return error ? <p class="error" role="alert">{error}</p> : null;
  const total = held.reduce((sum, series) => sum + series.instances.length, 0);
  const everything = held.map((series) => ({ series, instances: series.instances }));
  const confirmAll = (decision: Decision) => {
    if (confirm(t(decision === 'release' ? 'review.confirmReleaseAll' : 'review.confirmRemoveAll').replace('{count}', String(total)))) void apply(everything, decision);
  };
  const listSeparator = language === 'zh-CN' ? '、' : ', ';
  return (
    <section class="card wide" data-testid="pixel-review">
      <h2>
        {t('review.title')} <span class="muted">({total})</span>
      </h2>
      <p class="intro">{t('review.intro')}</p>
      {error && (
        <p class="error" role="alert" data-testid="review-error">
          {error}
        </p>
      )}
      {total === 0 && <p data-testid="review-none">{t('review.none')}</p>}
      {held.length > 1 && (
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => confirmAll('release')} data-testid="review-release-all">
            {t('review.releaseAll')} ({total})
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => confirmAll('remove')} data-testid="review-remove-all">
            {t('review.removeAll')} ({total})
          </button>
        </div>
      )}
      {held.map((series) => {
        const { study } = series;
        const first = series.instances[0]!;
        const shown = expanded.has(series.key) ? series.instances : series.instances.slice(0, CARDS_PER_SERIES);
        const patient = study.identity ? displayName(study.identity.name) || study.identity.id || '—' : displayName(study.patient.pseudonymName);
        return (
          <section key={series.key} class="review-series" data-testid="review-series" data-study={study.id}>
            <header>
              <h3>
                <bdi>{patient}</bdi> · {(study.studyDate ?? '—')} · <bdi>{study.description ?? ''}</bdi>
              </h3>
              <p>
                {first.modality} · {t('review.series')} {first.seriesNumber ?? ''} <bdi>{first.seriesDescription ?? ''}</bdi> ·{' '}
                {t('review.imageCount').replace('{count}', String(series.instances.length))}
              </p>
              {series.instances.length > 1 && (
                <div class="actions">
                  <button type="button" disabled={busy} onClick={() => apply([{ series, instances: series.instances }], 'release')} data-testid="review-release-series">
                    {t('review.releaseSeries')} ({series.instances.length})
                  </button>
                  <button type="button" class="secondary" disabled={busy} onClick={() => apply([{ series, instances: series.instances }], 'remove')} data-testid="review-remove-series">
                    {t('review.removeSeries')} ({series.instances.length})
                  </button>
                  <button type="button" class="secondary" disabled={busy} onClick={() => setMasking({ series, instances: series.instances, wholeSeries: true })} data-testid="review-mask-series">
                    {t('mask.openSeries')}
                  </button>
                </div>
              )}
            </header>
            <div class="review-grid">
              {shown.map((instance) => (
                <figure key={instance.id} class="review-item" data-testid="review-item" data-study={study.id}>
                  <img alt="" loading="lazy" src={dicomweb.rendered(study.studyInstanceUid, instance.seriesInstanceUid, instance.sopInstanceUid)} />
                  <figcaption>
                    <bdi>{patient}</bdi> · {(study.studyDate ?? '—')}
                    <br />
                    {instance.modality} · {t('review.series')} {instance.seriesNumber ?? ''} · {t('review.image')} {instance.instanceNumber ?? ''}
                    <br />
                    {t('review.reason')}: {instance.pixelReviewReasons.map((reason) => reasonText(reason, language)).join(listSeparator)}
                    {(instance.textProposals ?? []).some((p) => p.identity.length > 0) && (
                      <>
                        <br />
                        <span class="error" data-testid="review-identity-found">
                          {t('review.identityFound')}
                        </span>
                      </>
                    )}
                  </figcaption>
                  <div class="actions">
                    <button type="button" disabled={busy} onClick={() => apply([{ series, instances: [instance] }], 'release')} data-testid="review-release">
                      {t('review.release')}
                    </button>
                    <button type="button" class="secondary" disabled={busy} onClick={() => apply([{ series, instances: [instance] }], 'remove')} data-testid="review-remove">
                      {t('review.remove')}
                    </button>
                    <button type="button" class="secondary" disabled={busy} onClick={() => setMasking({ series, instances: [instance, ...series.instances.filter((i) => i !== instance)], wholeSeries: false })} data-testid="review-mask">
                      {t('mask.open')}
                    </button>
                  </div>
                </figure>
              ))}
            </div>
            {shown.length < series.instances.length && (
              <button type="button" class="link" onClick={() => setExpanded(new Set([...expanded, series.key]))} data-testid="review-show-all">
                {t('review.showAll').replace('{count}', String(series.instances.length))}
              </button>
            )}
          </section>
        );
      })}
      {masking && (
        <PixelMask
          study={masking.series.study}
          instances={masking.instances}
          series={masking.wholeSeries}
          onClose={() => setMasking(null)}
          onMasked={(masked) => {
            setMasking(null);
            drop(masked);
          }}
        />
      )}
    </section>
  );
}
