import { useEffect, useState } from 'preact/hooks';

import { assessmentLines, getTemplate, localesOf, measurementSummary, textIn, type LocalizedText } from '@yunzhen/report';

import type { Me } from '../api.js';
import { displayName, formatAge, formatDateTime, useI18n } from '../i18n.js';
import { reportText, type ReportMessage } from './messages.js';
import { reportApi, type ReportView } from './report-api.js';

const FINDINGS_FIELD = 'findings';

/**
 * A report as its readers see it: fields in every language of the report (bilingual side by
 * side), measurements, key images, assessment, signatures, addenda and second opinions. The
 * patient block is whatever the server sent: the real identity for the sending hospital.
 */
export function ReportDetails(props: { view: ReportView; consultId: string }) {
  const { language } = useI18n();
  const t = (key: ReportMessage) => reportText(language, key);
  const { report: doc, context } = props.view;
  const template = getTemplate(doc.template.id, doc.template.version);
  const locales = localesOf(doc.language);
  const ui = language === 'en' ? 'en' : 'zh-CN';
  const findingsValue = doc.values[FINDINGS_FIELD];
  const findingsShownWithField = template.fields.some((f) => f.key === FINDINGS_FIELD) && findingsValue !== undefined && findingsValue !== '';
  const texts = (value: LocalizedText | undefined) => (
    <div class={`localized-text${locales.length > 1 ? ' side-by-side' : ''}`}>
      {locales.map((locale) => (
        <p key={locale} lang={locale}>
          {textIn(value, locale)}
        </p>
      ))}
    </div>
  );
  return (
    <article class="report-details" data-testid="report-details">
      <dl class="facts">
        <dt>{t('patient')}</dt>
        <dd data-testid="report-patient">
          <bdi>{displayName(context.patient.name)}</bdi> · {context.patient.id} {context.patient.sex} {formatAge(context.patient.age, language)}
        </dd>
        <dt>{t('accession')}</dt>
        <dd>{context.study.accessionNumber || '—'}</dd>
        <dt>{t('studyDate')}</dt>
        <dd>{context.study.studyDate || '—'}</dd>
      </dl>
      {template.fields.map((field) => {
        const value = doc.values[field.key];
        if (value === undefined || value === '') return null;
        return (
          <section key={field.key}>
            <h4>{field.label[ui]}</h4>
            {typeof value === 'object' ? texts(value) : <p>{field.kind === 'choice' ? (field.options.find((o) => o.code === value)?.label[ui] ?? String(value)) : String(value)}</p>}
            {/* The findings inserted from measurements belong under the Findings field: one heading, not two. */}
            {field.key === FINDINGS_FIELD && doc.findings.map((finding) => <div key={finding.id}>{texts(finding.text)}</div>)}
          </section>
        );
      })}
      {doc.findings.length > 0 && !findingsShownWithField && (
        <section>
          <h4>{t('findingsList')}</h4>
          {doc.findings.map((finding) => (
            <div key={finding.id}>{texts(finding.text)}</div>
          ))}
        </section>
      )}
      {doc.measurements.length > 0 && (
        <section>
          <h4>{t('measurements')}</h4>
          <ul>
            {doc.measurements.map((m) => (
              <li key={m.id}>
                {m.label ?? m.tool}: {measurementSummary(m, ui)}
              </li>
            ))}
          </ul>
        </section>
      )}
      {doc.assessment && (
        <section data-testid="report-assessment">
          <h4>{t('assessment')}</h4>
          {assessmentLines(doc, ui).map((line) => (
            <p key={line}>{line}</p>
          ))}
        </section>
      )}
      {doc.keyImages.length > 0 && (
        <section>
          <h4>{t('keyImages')}</h4>
          <div class="key-images">
            {doc.keyImages.map((k) => (
              <figure key={k.id}>
                <img alt="" src={`/api/consults/${props.consultId}/key-images/${k.id}`} data-testid="key-image" />
                {k.caption && <figcaption>{textIn(k.caption, ui)}</figcaption>}
              </figure>
            ))}
          </div>
        </section>
      )}
      {doc.signatures.map((s) => (
        <p key={s.signedAt} class="signature" data-testid="signature">
          {t(`status_${s.kind}` as ReportMessage)} · {t('signedBy')} {s.signer.displayName} · {formatDateTime(s.signedAt, language)} · {t('contentHash')} <code>{s.contentHash.slice(0, 16)}</code>
        </p>
      ))}
      {doc.addenda.map((a) => (
        <section key={a.id} data-testid="addendum">
          <h4>
            {t('addendum')} · {a.signer.displayName} · {formatDateTime(a.signedAt, language)}
          </h4>
          {texts(a.text)}
        </section>
      ))}
      {doc.secondOpinions.length > 0 && (
        <section>
          <h4>{t('opinions')}</h4>
          {doc.secondOpinions.map((o) => (
            <p key={o.id} data-testid="second-opinion">
              {o.reader.displayName}: {t(o.verdict)} {o.comment ? `— ${textIn(o.comment, ui) || textIn(o.comment, 'zh-CN')}` : ''}
            </p>
          ))}
        </section>
      )}
    </article>
  );
}

/** The sending hospital's view of a consult's report: the report, downloads, and the read receipt. */
export function SenderReport(props: { consultId: string; me: Me; acknowledgedAt: string | null; onAcknowledged: (at: string) => void }) {
  const { language } = useI18n();
  const t = (key: ReportMessage) => reportText(language, key);
  const [view, setView] = useState<ReportView | null | 'none'>(null);
  const { acknowledgedAt } = props;
  useEffect(() => {
    void reportApi.get(props.consultId).then((loaded) => setView(loaded ?? 'none'));
  }, [props.consultId]);
  if (view === null) return null;
  if (view === 'none') return <p data-testid="no-report">{t('noReport')}</p>;
  const signed = view.report.status === 'final' || view.report.status === 'amended';
  const base = `/api/consults/${props.consultId}/report`;
  return (
    <section class="card wide" data-testid="sender-report">
      <h2>
        {t('title')} <span class="badge">{t(`status_${view.report.status}` as ReportMessage)}</span>
      </h2>
      <ReportDetails view={view} consultId={props.consultId} />
      <h3>{t('downloads')}</h3>
      <div class="actions">
        <a class="button" href={`${base}/pdf`} data-testid="download-pdf">
          PDF
        </a>
        <a class="button" href={`${base}/sr`} data-testid="download-sr">
          DICOM SR
        </a>
        <a class="button" href={`${base}/fhir`} data-testid="download-fhir">
          FHIR R4
        </a>
      </div>
      {signed && props.me.user.role !== 'admin' && (
        <p>
          {acknowledgedAt ? (
            <span class="badge" data-testid="acknowledged">
              {t('acknowledged')} {formatDateTime(acknowledgedAt, language)}
            </span>
          ) : (
            <button type="button" data-testid="acknowledge" onClick={async () => props.onAcknowledged((await reportApi.acknowledge(props.consultId)).acknowledgedAt)}>
              {t('acknowledge')}
            </button>
          )}
        </p>
      )}
    </section>
  );
}
