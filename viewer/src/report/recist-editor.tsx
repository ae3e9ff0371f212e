import { useEffect, useState } from 'preact/hooks';

import {
  describeIssue,
  formatNumber,
  measurementSummary,
  targetLesionDiameterMm,
  validateReport,
  type Measurement,
  type RecistHistory,
  type RecistInput,
  type RecistNonTargetLesion,
  type RecistTargetLesion,
  type ReportDocument,
  type ReportTemplate,
} from '@yunzhen/report';

import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import type { ReportMessage } from './messages.js';

/** RECIST 1.1 §3.3.1: at most five target lesions, two per organ. */
const MAX_TARGETS = 5;
const emptyBaseline = (): RecistInput => ({ timepoint: 'baseline', targetLesions: [], nonTargetLesions: [], newLesions: [], priorSumsMm: [] });
const organSuggestions = ['liver', 'lung', 'lymph node', 'adrenal', 'kidney', 'pancreas', 'spleen', 'peritoneum', 'bone', 'brain', 'pleura'];

export interface RecistEditorProps {
  consultId: string;
  doc: ReportDocument;
  template: ReportTemplate;
  locale: 'zh-CN' | 'en';
  /** The reader's current measurements in the viewer: a target's diameter is taken from one of them. */
  viewerMeasurements: Measurement[];
  t: (key: ReportMessage) => string;
  /** The new RECIST block, with the report's measurements when a viewer measurement was linked. */
  onChange: (recist: RecistInput, measurements?: Measurement[]) => void;
  /**
   * Linked measurements the reader moved on the image. Only these change: the effect that notices
   * may run after the reader's next keystroke, so it must not send back this render's RECIST block.
   */
  onLinkedMeasurementsAdjusted: (adjusted: Measurement[]) => void;
}

/**
 * The RECIST 1.1 lesions of a response report: target lesions (≤ 5, ≤ 2 per organ) each linked
 * to a length (or, for a lymph node, bidirectional) measurement on the image, non-target lesions
 * with their status, new lesions at follow-up. A follow-up starts from the patient's latest
 * signed baseline at this centre, with the baseline diameters and the sums since (the nadir);
 * sums and the response are computed by the report model and shown in the assessment below.
 */
export function RecistEditor(props: RecistEditorProps) {
  const { doc, locale, t } = props;
  const { language } = useI18n();
  const [history, setHistory] = useState<RecistHistory | null>(null);
  const [followUp, setFollowUp] = useState<RecistInput | null>(null);
  const recist = doc.recist ?? emptyBaseline();

  useEffect(() => {
    let live = true;
    void api<{ history: RecistHistory; followUp: RecistInput | null }>(`/api/consults/${props.consultId}/report/recist-history`).then((loaded) => {
      if (!live) return;
      setHistory(loaded.history);
      setFollowUp(loaded.followUp);
      // A new RECIST report (no lesions yet) of a patient with a signed baseline is a follow-up of it.
      const current = props.doc.recist;
      const untouched = !current || current.targetLesions.length + current.nonTargetLesions.length + current.newLesions.length === 0;
      if (untouched && loaded.followUp) props.onChange(loaded.followUp);
      else if (!current) props.onChange(emptyBaseline());
    });
    return () => {
      live = false;
    };
  }, [props.consultId]);

  // A linked measurement the reader adjusts on the image afterwards: the report takes the new value.
  useEffect(() => {
    const linked = new Set(recist.targetLesions.map((lesion) => lesion.measurementId));
    const adjusted = props.viewerMeasurements.filter((live) => {
      const inReport = linked.has(live.id) && doc.measurements.find((m) => m.id === live.id);
      return inReport && JSON.stringify(live.values) !== JSON.stringify(inReport.values);
    });
    if (adjusted.length > 0) props.onLinkedMeasurementsAdjusted(adjusted);
  }, [props.viewerMeasurements]);

  const set = (patch: Partial<RecistInput>, measurements?: Measurement[]) => props.onChange({ ...recist, ...patch }, measurements);
  const setTarget = (id: string, patch: Partial<RecistTargetLesion>, measurements?: Measurement[]) =>
    set({ targetLesions: recist.targetLesions.map((l) => (l.id === id ? { ...l, ...patch } : l)) }, measurements);
  const setNonTarget = (id: string, patch: Partial<RecistNonTargetLesion>) => set({ nonTargetLesions: recist.nonTargetLesions.map((l) => (l.id === id ? { ...l, ...patch } : l)) });

  // Lengths and bidirectional measurements, those already in the report and those on the images now.
  const candidates = new Map<string, Measurement>();
  for (const m of [...doc.measurements, ...props.viewerMeasurements]) if (m.tool === 'Length' || m.tool === 'Bidirectional') candidates.set(m.id, m);
  const linkMeasurement = (lesionId: string, measurementId: string) => {
    if (!measurementId) {
      const { measurementId: _dropped, ...rest } = recist.targetLesions.find((l) => l.id === lesionId)!;
      return set({ targetLesions: recist.targetLesions.map((l) => (l.id === lesionId ? rest : l)) });
    }
    const chosen = candidates.get(measurementId)!;
    const measurements = doc.measurements.some((m) => m.id === measurementId) ? doc.measurements.map((m) => (m.id === measurementId ? chosen : m)) : [...doc.measurements, chosen];
    const { state: _state, ...lesion } = recist.targetLesions.find((l) => l.id === lesionId)!;
    set({ targetLesions: recist.targetLesions.map((l) => (l.id === lesionId ? { ...lesion, measurementId } : l)) }, measurements);
  };

  const followUpMode = recist.timepoint === 'follow-up';
  const byId = new Map(doc.measurements.map((m) => [m.id, m]));
  const recistIssues = validateReport({ ...doc, recist }, props.template).errors.filter((issue) => issue.path.startsWith('recist'));
  const nextId = (prefix: string, taken: { id: string }[]) => {
    for (let n = 1; ; n++) if (!taken.some((l) => l.id === `${prefix}${n}`)) return `${prefix}${n}`;
  };

  return (
    <section class="recist-editor" data-testid="recist-editor">
      <h3>RECIST 1.1</h3>
      <label class="field">
        {t('recistTimepoint')}
        <select
          name="recist-timepoint"
          data-testid="recist-timepoint"
          value={recist.timepoint}
          onChange={(e) => {
            const timepoint = e.currentTarget.value as RecistInput['timepoint'];
            // Choosing follow-up on an empty report starts from the baseline; baseline has no new lesions or earlier sums.
            if (timepoint === 'follow-up' && recist.targetLesions.length === 0 && followUp) return props.onChange(followUp);
            set(timepoint === 'baseline' ? { timepoint, newLesions: [], priorSumsMm: [] } : { timepoint, priorSumsMm: history?.priorSumsMm ?? [] });
          }}
        >
          <option value="baseline">{t('recistBaseline')}</option>
          <option value="follow-up">{t('recistFollowUp')}</option>
        </select>
      </label>

      <p class="muted" data-testid="recist-history">
        {history?.baseline
          ? `${t('recistEarlier')}: ${t('recistBaseline')} ${new Date(history.baseline.signedAt).toLocaleDateString(language)} ${history.baseline.sumMm === null ? '—' : `${formatNumber(history.baseline.sumMm)} mm`}` +
            ` · ${t('recistNadir')} ${history.nadirMm === null ? '—' : `${formatNumber(history.nadirMm)} mm`} · ${history.followUps.length} ${t('recistFollowUps')}`
          : history
            ? t('recistNoBaseline')
            : '…'}
      </p>
      {followUpMode && followUp && (
        <button type="button" class="secondary" data-testid="recist-pull" onClick={() => props.onChange({ ...followUp, newLesions: recist.newLesions })}>
          {t('recistPull')}
        </button>
      )}

      <h4>
        {t('recistTargets')} ({recist.targetLesions.length}/{MAX_TARGETS})
      </h4>
      <datalist id="recist-organs">
        {organSuggestions.map((organ) => (
          <option key={organ} value={organ} />
        ))}
      </datalist>
      {recist.targetLesions.map((lesion, i) => {
        const measurement = lesion.measurementId ? byId.get(lesion.measurementId) : undefined;
        const diameter = targetLesionDiameterMm(lesion, measurement);
        return (
          <div key={lesion.id} class="recist-lesion" data-testid="recist-target">
            <strong>{lesion.id}</strong>
            <input aria-label={t('recistOrgan')} name={`target-organ-${i}`} list="recist-organs" value={lesion.organ} onInput={(e) => setTarget(lesion.id, { organ: e.currentTarget.value })} />
            <label class="checkbox">
              <input type="checkbox" name={`target-nodal-${i}`} checked={lesion.nodal} onChange={(e) => setTarget(lesion.id, { nodal: e.currentTarget.checked })} />
              {t('recistNodal')}
            </label>
            <select aria-label={t('measurement')} name={`target-measurement-${i}`} data-testid="recist-target-measurement" value={lesion.measurementId ?? ''} onChange={(e) => linkMeasurement(lesion.id, e.currentTarget.value)}>
              <option value="">—</option>
              {[...candidates.values()].map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label ?? m.tool} {measurementSummary(m, locale)}
                </option>
              ))}
            </select>
            {!lesion.measurementId && (
              <select
                aria-label={t('recistState')}
                name={`target-state-${i}`}
                value={lesion.state ?? ''}
                onChange={(e) => {
                  const { state: _old, ...rest } = lesion;
                  const state = e.currentTarget.value as RecistTargetLesion['state'] | '';
                  set({ targetLesions: recist.targetLesions.map((l) => (l.id === lesion.id ? (state ? { ...rest, state } : rest) : l)) });
                }}
              >
                <option value="">—</option>
                <option value="disappeared">{t('recistDisappeared')}</option>
                <option value="too-small-to-measure">{t('recistTooSmall')}</option>
                <option value="not-evaluated">{t('recistNotEvaluated')}</option>
              </select>
            )}
            <span data-testid="recist-target-diameter">
              {lesion.nodal ? t('recistShortAxis') : t('recistLongest')} {diameter === undefined ? '—' : `${formatNumber(diameter)} mm`}
            </span>
            {followUpMode && (
              <label>
                {t('recistBaseline')}
                <input
                  type="number"
                  min="0"
                  step="0.1"
                  name={`target-baseline-${i}`}
                  value={lesion.baselineMm ?? ''}
                  onInput={(e) => {
                    const value = e.currentTarget.valueAsNumber;
                    const { baselineMm: _old, ...rest } = lesion;
                    set({ targetLesions: recist.targetLesions.map((l) => (l.id === lesion.id ? (Number.isFinite(value) ? { ...rest, baselineMm: value } : rest) : l)) });
                  }}
                />
                mm
              </label>
            )}
            <button type="button" class="secondary" onClick={() => set({ targetLesions: recist.targetLesions.filter((l) => l.id !== lesion.id) })}>
              {t('remove')}
            </button>
          </div>
        );
      })}
      <button
        type="button"
        class="secondary"
        data-testid="recist-add-target"
        disabled={recist.targetLesions.length >= MAX_TARGETS}
        onClick={() => {
          // A new target takes the latest length on the image, the usual order of work: measure, then add.
          const latest = [...props.viewerMeasurements].reverse().find((m) => (m.tool === 'Length' || m.tool === 'Bidirectional') && !recist.targetLesions.some((l) => l.measurementId === m.id));
          const lesion: RecistTargetLesion = { id: nextId('T', recist.targetLesions), organ: '', nodal: false, ...(latest && { measurementId: latest.id }) };
          const measurements = latest && !doc.measurements.some((m) => m.id === latest.id) ? [...doc.measurements, latest] : undefined;
          set({ targetLesions: [...recist.targetLesions, lesion] }, measurements);
        }}
      >
        {t('recistAddTarget')}
      </button>

      <h4>{t('recistNonTargets')}</h4>
      {recist.nonTargetLesions.map((lesion, i) => (
        <div key={lesion.id} class="recist-lesion" data-testid="recist-non-target">
          <strong>{lesion.id}</strong>
          <input aria-label={t('recistOrgan')} name={`non-target-organ-${i}`} list="recist-organs" value={lesion.organ} onInput={(e) => setNonTarget(lesion.id, { organ: e.currentTarget.value })} />
          <label class="checkbox">
            <input type="checkbox" checked={lesion.nodal} onChange={(e) => setNonTarget(lesion.id, { nodal: e.currentTarget.checked })} />
            {t('recistNodal')}
          </label>
          <select aria-label={t('recistStatus')} name={`non-target-status-${i}`} value={lesion.status} onChange={(e) => setNonTarget(lesion.id, { status: e.currentTarget.value as RecistNonTargetLesion['status'] })}>
            <option value="present">{t('recistPresent')}</option>
            <option value="absent">{t('recistAbsent')}</option>
            <option value="unequivocal-progression">{t('recistProgression')}</option>
            <option value="not-evaluated">{t('recistNotEvaluated')}</option>
          </select>
          <button type="button" class="secondary" onClick={() => set({ nonTargetLesions: recist.nonTargetLesions.filter((l) => l.id !== lesion.id) })}>
            {t('remove')}
          </button>
        </div>
      ))}
      <button
        type="button"
        class="secondary"
        data-testid="recist-add-non-target"
        onClick={() => set({ nonTargetLesions: [...recist.nonTargetLesions, { id: nextId('N', recist.nonTargetLesions), organ: '', nodal: false, status: 'present' }] })}
      >
        {t('recistAddNonTarget')}
      </button>

      {followUpMode && (
        <>
          <h4>{t('recistNewLesions')}</h4>
          {recist.newLesions.map((lesion, i) => (
            <div key={lesion.id} class="recist-lesion" data-testid="recist-new-lesion">
              <strong>{lesion.id}</strong>
              <input
                aria-label={t('recistSite')}
                name={`new-lesion-site-${i}`}
                value={lesion.site?.[locale] ?? ''}
                onInput={(e) => set({ newLesions: recist.newLesions.map((l) => (l.id === lesion.id ? { ...l, site: { ...l.site, [locale]: e.currentTarget.value } } : l)) })}
              />
              <label class="checkbox">
                <input
                  type="checkbox"
                  name={`new-lesion-equivocal-${i}`}
                  checked={lesion.equivocal}
                  onChange={(e) => set({ newLesions: recist.newLesions.map((l) => (l.id === lesion.id ? { ...l, equivocal: e.currentTarget.checked } : l)) })}
                />
                {t('recistEquivocal')}
              </label>
              <button type="button" class="secondary" onClick={() => set({ newLesions: recist.newLesions.filter((l) => l.id !== lesion.id) })}>
                {t('remove')}
              </button>
            </div>
          ))}
          <button type="button" class="secondary" data-testid="recist-add-new-lesion" onClick={() => set({ newLesions: [...recist.newLesions, { id: nextId('L', recist.newLesions), equivocal: false }] })}>
            {t('recistAddNewLesion')}
          </button>
        </>
      )}

      {recistIssues.length > 0 && (
        <ul class="muted recist-issues" data-testid="recist-issues">
          {recistIssues.map((issue) => (
            <li key={`${issue.path}:${issue.code}`}>{describeIssue(issue, props.template, language)}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
