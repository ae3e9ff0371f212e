import { Fragment } from 'preact';

import type { ConsultSummary } from '../api.js';
import { useI18n } from '../i18n.js';

const steps = ['uploadedAt', 'createdAt', 'claimedAt', 'preliminaryAt', 'signedAt', 'acknowledgedAt'] as const;

const labels = {
  uploadedAt: { en: 'Uploaded', 'zh-CN': '上传' },
  createdAt: { en: 'Consult sent', 'zh-CN': '发起会诊' },
  claimedAt: { en: 'Claimed', 'zh-CN': '认领' },
  preliminaryAt: { en: 'Preliminary report', 'zh-CN': '初步报告' },
  signedAt: { en: 'Signed', 'zh-CN': '签发' },
  acknowledgedAt: { en: 'Acknowledged', 'zh-CN': '确认已阅' },
  total: { en: 'Turnaround (sent → signed)', 'zh-CN': '周转时间（发起 → 签发）' },
} as const;

/** The consult's milestones and its turnaround time, from sending to signing. */
export function Turnaround(props: { turnaround: NonNullable<ConsultSummary['turnaround']> }) {
  const { language } = useI18n();
  const { turnaround } = props;
  const minutes = turnaround.signedAt ? Math.round((Date.parse(turnaround.signedAt) - Date.parse(turnaround.createdAt)) / 60_000) : undefined;
  return (
    <dl class="facts turnaround" data-testid="turnaround">
      {steps.map((step) => (
        <Fragment key={step}>
          <dt>{labels[step][language]}</dt>
          <dd data-testid={`turnaround-${step}`}>{turnaround[step] ? new Date(turnaround[step]!).toLocaleString() : '—'}</dd>
        </Fragment>
      ))}
      {minutes !== undefined && (
        <>
          <dt>{labels.total[language]}</dt>
          <dd data-testid="turnaround-total">{minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`}</dd>
        </>
      )}
    </dl>
  );
}
