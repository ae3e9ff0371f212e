import { Fragment } from 'preact';

import type { ConsultSummary } from '../api.js';
import { formatDateTime, useI18n, type MessageKey } from '../i18n.js';

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
  const { language, t } = useI18n();
  const { turnaround } = props;
  const total = turnaround.signedAt ? Date.parse(turnaround.signedAt) - Date.parse(turnaround.createdAt) : undefined;
  return (
    <dl class="facts turnaround" data-testid="turnaround">
      {steps.map((step) => (
        <Fragment key={step}>
          <dt>{labels[step][language]}</dt>
          <dd data-testid={`turnaround-${step}`}>{turnaround[step] ? formatDateTime(turnaround[step]!, language) : '—'}</dd>
        </Fragment>
      ))}
      {total !== undefined && (
        <>
          <dt>{labels.total[language]}</dt>
          <dd data-testid="turnaround-total">{formatDuration(total, t)}</dd>
        </>
      )}
    </dl>
  );
}

/** A duration as `3 d 4 h`, `2 h 5 min` or `12 min`. */
export function formatDuration(ms: number, t: (key: MessageKey) => string): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return `${days} ${t('time.d')} ${hours} ${t('time.h')}`;
  if (hours > 0) return `${hours} ${t('time.h')} ${rest} ${t('time.min')}`;
  return `${rest} ${t('time.min')}`;
}
