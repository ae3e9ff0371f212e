import { useEffect, useState } from 'preact/hooks';

import { api, ApiError, sendsStudies, type ConsultSummary, type Me } from '../api.js';
import { AddAttachments, AttachmentReview } from '../components/attachments.js';
import { BoardScheduler } from '../components/boards.js';
import { ConsultThread } from '../components/consult-thread.js';
import { Link } from '../components/link.js';
import { PacsDeliveries } from '../components/pacs-deliveries.js';
import { PixelReview } from '../components/pixel-review.js';
import { ReferralPanel } from '../components/referral-panel.js';
import { StudyTable } from '../components/study-table.js';
import { formatDateTime, useI18n, type MessageKey } from '../i18n.js';
import { SenderReport } from '../report/report-view.js';
import { Turnaround } from '../components/turnaround.js';

export function ConsultPage(props: { me: Me; id: string }) {
  const { t, language } = useI18n();
  const [consult, setConsult] = useState<ConsultSummary | null>(null);
  const [missing, setMissing] = useState(false);
  const load = () =>
    api<{ consult: ConsultSummary }>(`/api/consults/${encodeURIComponent(props.id)}`)
      .then((body) => setConsult(body.consult))
      .catch((error: unknown) => setMissing(error instanceof ApiError && error.status === 404));
  useEffect(() => {
    void load();
  }, [props.id]);

  if (missing) return <main class="page"><p data-testid="not-found">404</p></main>;
  if (!consult) return <main class="page"><p>{t('loading')}</p></main>;
  // Only the sending hospital is told how many images it still holds back (the centre never learns of them).
  const isSender = consult.sendingHospital.id === props.me.tenant.id && sendsStudies(props.me.user.role);
  const held = consult.studies.reduce((sum, study) => sum + (study.pendingReviewCount ?? 0), 0);
  return (
    <main class="page consult" data-testid="consult-page">
      <p>
        <Link href="/">{t('back')}</Link>
      </p>
      <h1>
        <span class={`badge priority-${consult.priority}`}>{t(`priority.${consult.priority}`)}</span> {consult.clinicalQuestion}
      </h1>
      {consult.clinicalHistory && (
        <section class="clinical-history" data-testid="clinical-history">
          <h2>{t('consultForm.history')}</h2>
          <p>
            <bdi>{consult.clinicalHistory}</bdi>
          </p>
        </section>
      )}
      {consult.preArrival && (
        <p class="banner" data-testid="pre-arrival">
          {t('preArrival.banner')
            .replace('{language}', t(consult.preArrival.patientLanguage === 'en' ? 'preArrival.english' : 'preArrival.chinese'))
            .replace('{date}', consult.preArrival.arrivalDate ?? '—')}
          {consult.sendingHospital.id === props.me.tenant.id && consult.reportStatus && ['final', 'amended'].includes(consult.reportStatus) && (
            <>
              {' '}
              <a href={`/api/consults/${consult.id}/report/patient-summary.pdf`} data-testid="patient-summary">
                {t('preArrival.summary')}
              </a>
            </>
          )}
        </p>
      )}
      <dl class="facts">
        <dt>{t('consult.status')}</dt>
        <dd data-testid="consult-status">{t(`status.${consult.status}`)}</dd>
        <dt>{t('consult.sender')}</dt>
        <dd>{consult.sendingHospital.name}</dd>
        <dt>{t('consult.centre')}</dt>
        <dd>{consult.readingCentre.name}</dd>
        <dt>{t('consult.created')}</dt>
        <dd>{formatDateTime(consult.createdAt, language)}</dd>
        <dt>{t('consult.due')}</dt>
        <dd>
          {formatDateTime(consult.dueAt, language)} {consult.overdue && <span class="badge danger">{t('consult.overdue')}</span>}
        </dd>
      </dl>
      {held > 0 && (
        <p class="warning banner" role="alert" data-testid="held-warning">
          {t('review.heldWarning').replace('{count}', String(held))}
        </p>
      )}
      <p>
        <Link href={`/consults/${consult.id}/read`} class="button" testId="open-viewer">
          {t('consult.read')}
        </Link>
      </p>
      {consult.turnaround && <Turnaround turnaround={consult.turnaround} />}
      {consult.readingCentre.id === props.me.tenant.id && props.me.user.role === 'specialist' && props.me.user.licensed && consult.status !== 'cancelled' && (
        <BoardScheduler me={props.me} consult={consult} />
      )}
      <ReferralPanel consultId={consult.id} me={props.me} consult={consult} onChanged={() => void load()} />
      {consult.sendingHospital.id === props.me.tenant.id && (
        <SenderReport
          consultId={consult.id}
          me={props.me}
          acknowledgedAt={consult.turnaround?.acknowledgedAt ?? null}
          onAcknowledged={(acknowledgedAt) => setConsult({ ...consult, turnaround: consult.turnaround && { ...consult.turnaround, acknowledgedAt } })}
        />
      )}
      {consult.sendingHospital.id === props.me.tenant.id && <PacsDeliveries consultId={consult.id} />}
      {/* The conversation is between the sender and its reading centre; a partner centre a consult was referred to is not part of it. */}
      {(consult.sendingHospital.id === props.me.tenant.id || consult.readingCentre.id === props.me.tenant.id) && <ConsultThread consultId={consult.id} onAttached={() => void load()} />}
      <h2>{t('consult.studies')}</h2>
      <StudyTable studies={consult.studies} testId="consult-studies" />
      {held > 0 && <PixelReview studies={consult.studies} onDecided={() => void load()} />}
      {((consult.attachments?.length ?? 0) > 0 || isSender) && <h2>{t('consult.attachments')}</h2>}
      {consult.attachments && consult.attachments.length > 0 && (
        <ul data-testid="attachment-list">
          {consult.attachments.map((a) =>
            a.review ? (
              <AttachmentReview key={a.id} consultId={consult.id} attachment={a} onChanged={() => void load()} />
            ) : (
              <li key={a.id} data-testid="attachment">
                <a href={`/api/consults/${consult.id}/attachments/${a.id}`}>{t(`attachments.${a.label}` as MessageKey)}.pdf</a>
              </li>
            ),
          )}
        </ul>
      )}
      {isSender && <AddAttachments consultId={consult.id} onAdded={() => void load()} />}
    </main>
  );
}
