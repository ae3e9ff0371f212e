import type { ConsultSummary, Me } from '../api.js';
import { formatDateTime, useI18n } from '../i18n.js';
import { Link } from './link.js';
import { ReferralBadge } from './referral-panel.js';
import { PatientLabel } from './study-table.js';
import { UnreadBadge } from './consult-thread.js';

/** A signed report the sending hospital has not yet acknowledged: what a referring doctor opens the list for. */
export const hasNewReport = (consult: ConsultSummary) => Boolean(consult.turnaround?.signedAt && !consult.turnaround.acknowledgedAt);

/** The sending hospital's order: consults with a new report first (newest signature first), then the rest as they came. */
export function newReportsFirst(consults: ConsultSummary[]): ConsultSummary[] {
  const signed = (c: ConsultSummary) => c.turnaround?.signedAt ?? '';
  return [...consults.filter(hasNewReport).sort((a, b) => signed(b).localeCompare(signed(a))), ...consults.filter((c) => !hasNewReport(c))];
}

/** A consult's studies in one short line: a few, then how many more (a row must not grow with a long series of studies). */
const STUDIES_SHOWN = 3;

/** Consults as a list: the other side's hospital, the patient as this viewer may see them, priority and due time. */
export function ConsultTable(props: { me: Me; consults: ConsultSummary[] }) {
  const { t, language } = useI18n();
  if (props.consults.length === 0) return <p class="empty" data-testid="empty-list">{t('empty')}</p>;
  const reading = props.me.tenant.kind === 'reading';
  const studiesText = (consult: ConsultSummary) => {
    const names = consult.studies.map((s) => `${s.modalities.join('/')} ${s.description ?? ''}`.trim());
    const more = names.length - STUDIES_SHOWN;
    return names.slice(0, STUDIES_SHOWN).join('; ') + (more > 0 ? ` ${t('consult.moreStudies').replace('{count}', String(more))}` : '');
  };
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
          <tr key={consult.id} data-testid="consult-row" class={[consult.overdue && 'overdue', !reading && hasNewReport(consult) && 'new-report'].filter(Boolean).join(' ') || undefined}>
            <td>
              <span class={`badge priority-${consult.priority}`}>{t(`priority.${consult.priority}`)}</span>
            </td>
            <td>
              <span class="nowrap">{t(`status.${consult.status}`)}</span>
              {!reading && hasNewReport(consult) && (
                <span class="badge status-new nowrap" data-testid="report-new">
                  {t('consult.newReport')}
                </span>
              )}
              <UnreadBadge count={consult.unreadMessages} />
              <ReferralBadge referral={consult.referral} />
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
                {studiesText(consult) || consult.id.slice(0, 8)}
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
