import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { formatDateTime, useI18n } from '../i18n.js';

interface PacsDelivery {
  id: string;
  device: { name: string; aeTitle: string };
  reportVersion: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
}

/** Where the signed report went by DICOM: "delivered to PACS … at …", or the last error in words. */
export function PacsDeliveries(props: { consultId: string }) {
  const { t, language } = useI18n();
  const [deliveries, setDeliveries] = useState<PacsDelivery[]>([]);
  useEffect(() => {
    api<{ deliveries: PacsDelivery[] }>(`/api/consults/${encodeURIComponent(props.consultId)}/pacs-deliveries`)
      .then((body) => setDeliveries(body.deliveries))
      .catch(() => setDeliveries([]));
  }, [props.consultId]);
  if (deliveries.length === 0) return null;
  const fill = (text: string, values: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? ''));
  return (
    <section class="pacs-deliveries" data-testid="pacs-deliveries">
      <h2>{t('devices.delivery.title')}</h2>
      <ul>
        {deliveries.map((d) => {
          const device = `${d.device.name} (${d.device.aeTitle})`;
          const line =
            d.status === 'delivered'
              ? fill(t('devices.delivery.delivered'), { device, time: formatDateTime(d.deliveredAt!, language) })
              : d.status === 'failed'
                ? fill(t('devices.delivery.failed'), { device, attempts: d.attempts })
                : d.attempts === 0
                  ? fill(t('devices.delivery.queued'), { device })
                  : fill(t('devices.delivery.pending'), { device, attempts: d.attempts, time: d.nextAttemptAt ? formatDateTime(d.nextAttemptAt, language) : '—' });
          return (
            <li key={d.id} data-testid="pacs-delivery" data-status={d.status}>
              {line} · v{d.reportVersion}
              {d.status !== 'delivered' && d.lastError && <div class="muted">{fill(t('devices.delivery.error'), { error: d.lastError })}</div>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
