import { useI18n, type MessageKey } from '../i18n.js';
import { formatMeasurement, sourceOfAnnotation, type MeasurementSummary } from './measurements.js';

/** The measurements of the consult: value, label, where it is, jump to it, relabel, delete. */
export function MeasurementPanel(props: {
  measurements: MeasurementSummary[];
  selected: string[];
  readOnly: (uid: string) => boolean;
  onJump: (m: MeasurementSummary) => void;
  onDelete: (uid: string) => void;
  onLabel: (uid: string) => void;
}) {
  const { t } = useI18n();
  return (
    <aside class="measurement-panel" data-testid="measurement-panel" aria-label={t('measure.title')}>
      {props.measurements.length === 0 && <p class="muted">{t('measure.none')}</p>}
      <ol>
        {props.measurements.map((m) => {
          const readOnly = props.readOnly(m.uid);
          return (
            <li
              key={m.uid}
              class={props.selected.includes(m.uid) ? 'selected' : undefined}
              data-testid="measurement"
              data-tool={m.tool}
              data-uid={m.uid}
              data-source={sourceOfAnnotation(m.uid) ?? 'drawn'}
            >
              <button type="button" class="link" data-testid="measurement-jump" onClick={() => props.onJump(m)} title={t('measure.jump')}>
                <span class="measurement-tool">{t(`tool.${m.tool}` as MessageKey)}</span>
                <span class="measurement-value" data-testid="measurement-value">
                  {formatMeasurement(m)}
                </span>
              </button>
              {m.label && m.tool !== 'ArrowAnnotate' && (
                <div class="measurement-label" data-testid="measurement-label">
                  <bdi>{m.label}</bdi>
                </div>
              )}
              {m.uncalibrated && (
                <div class="warning" data-testid="measurement-uncalibrated">
                  {t('measure.uncalibrated')}
                </div>
              )}
              {sourceOfAnnotation(m.uid) === 'sr' && <span class="badge">{t('measure.fromSr')}</span>}
              {!readOnly && (
                <span class="measurement-actions">
                  <button type="button" class="secondary small" data-testid="measurement-label-edit" onClick={() => props.onLabel(m.uid)}>
                    {t('measure.label')}
                  </button>
                  <button type="button" class="secondary small" data-testid="measurement-delete" onClick={() => props.onDelete(m.uid)}>
                    {t('measure.delete')}
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ol>
    </aside>
  );
}
