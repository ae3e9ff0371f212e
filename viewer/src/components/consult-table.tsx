import type { ConsultSummary, Me } from '../api.js';
import { formatDateTime, useI18n } from '../i18n.js';
import { Link } from './link.js';
import { PatientLabel } from './study-table.js';
import { UnreadBadge } from './consult-thread.js';

/** Consults as a list: the other side's hospital, the patient as this viewer may see them, priority and due time. */
export function ConsultTable(props: { me: Me; consults: ConsultSummary[] }) {
  const { t, language } = useI18n();
  if (props.consults.length === 0) return <p class="empty" data-testid="empty-list">{t('empty')}</p>;
  const reading = props.me.tenant.kind === 'reading';
  return (
    <table class="table" data-testid="consult-list">
      <thead>
        <tr>
          <th>{t('consult.priority')}</th>
          <th>{t('consult.status')}</th>
          <th>{t('study.patient')}</th>
          <th>{t('consult.studies')}</th>
          <th>{reading ? t('consult.sender') : t('consult.centre')}</th>
          <th>{t('consult.created')}</th>
          <th>{t('consult.due')}</th>
        </tr>
      </thead>
      <tbody>
        {props.consults.map((consult) => (
          <tr key={consult.id} data-testid="consult-row" class={consult.overdue ? 'overdue' : undefined}>
            <td>
              <span class={`badge priority-${consult.priority}`}>{t(`priority.${consult.priority}`)}</span>
            </td>
            <td>
              {t(`status.${consult.status}`)}
              <UnreadBadge count={consult.unreadMessages} />
            </td>
            <td>
              {distinctPatients(consult).map((study) => (
                <div key={study.id}>
                  <PatientLabel study={study} />
                </div>
              ))}
            </td>
            <td>
              <Link href={`/consults/${consult.id}`} testId="consult-link">
                {consult.studies.map((s) => `${s.modalities.join('/')} ${s.description ?? ''}`.trim()).join('; ') || consult.id.slice(0, 8)}
              </Link>
            </td>
            <td>{reading ? consult.sendingHospital.name : consult.readingCentre.name}</td>
            <td>{formatDateTime(consult.createdAt, language)}</td>
            <td>
              {formatDateTime(consult.dueAt, language)}
              {consult.overdue && <span class="badge danger"> {t('consult.overdue')}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One study per patient of the consult, so each patient is shown once. */
export function distinctPatients(consult: ConsultSummary) {
  const seen = new Set<string>();
  return consult.studies.filter((study) => !seen.has(study.patient.pseudonymId) && seen.add(study.patient.pseudonymId));
}
