import type { ComponentChildren } from 'preact';

import type { StudySummary } from '../api.js';
import { displayName, formatAge, useI18n } from '../i18n.js';

/** The patient as this viewer may see them: the real name for the sending hospital, the pseudonym for everyone else. */
export function PatientLabel(props: { study: StudySummary }) {
  const { study } = props;
  return study.identity ? (
    <span class="patient" data-testid="patient-real">
      <bdi>{displayName(study.identity.name) || '—'}</bdi> <span class="muted">{study.identity.id}</span>
    </span>
  ) : (
    <span class="patient" data-testid="patient-pseudonym">
      <bdi>{displayName(study.patient.pseudonymName)}</bdi>
    </span>
  );
}

/** Studies as a table; `actions` adds a last column of what the viewer can do with each. */
export function StudyTable(props: { studies: StudySummary[]; testId?: string; actions?: (study: StudySummary) => ComponentChildren }) {
  const { t, language } = useI18n();
  if (props.studies.length === 0) return <p class="empty">{t('empty')}</p>;
  return (
    <table class="table" data-testid={props.testId}>
      <thead>
        <tr>
          <th>{t('study.patient')}</th>
          <th>{t('study.date')}</th>
          <th>{t('study.description')}</th>
          <th>{t('study.modalities')}</th>
          <th>{t('study.instances')}</th>
          {props.actions && <th />}
        </tr>
      </thead>
      <tbody>
        {props.studies.map((study) => (
          <tr key={study.id} data-study={study.id}>
            <td>
              <PatientLabel study={study} />
              <span class="muted">
                {' '}
                {study.patient.sex ?? ''} {formatAge(study.patient.age, language)}
              </span>
              {study.identity?.identityConflict && (
                <div class="warning" data-testid="identity-conflict" title={t('study.identityConflictHelp')}>
                  {t('study.identityConflict')}
                </div>
              )}
            </td>
            <td>{study.studyDate ?? '—'}</td>
            <td>{study.description ?? ''}</td>
            <td>{study.modalities.join(', ')}</td>
            <td>
              {study.imageCount}
              {(study.pendingReviewCount ?? 0) > 0 && (
                <span class="badge warning">
                  {' '}
                  {study.pendingReviewCount} {t('study.pendingReview')}
                </span>
              )}
              {(study.scanningCount ?? 0) > 0 && (
                <span class="badge" data-testid="study-scanning">
                  {' '}
                  {study.scanningCount} {t('study.scanning')}
                </span>
              )}
              {(study.withheldCount ?? 0) > 0 && (
                <span class="badge" data-testid="study-withheld">
                  {' '}
                  {t('study.withheld').replace('{n}', String(study.withheldCount))}
                </span>
              )}
            </td>
            {props.actions && <td class="actions">{props.actions(study)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
