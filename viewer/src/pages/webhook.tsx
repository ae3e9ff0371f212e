import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { Link } from '../components/link.js';
import { useAttempt } from '../components/use-attempt.js';
import { formatDateTime, useI18n, type MessageKey } from '../i18n.js';

type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'given_up';
type ErrorClass = 'http' | 'timeout' | 'refused' | 'dns' | 'tls' | 'connection' | 'disabled' | 'payload' | 'other';

interface Webhook {
  url: string;
  enabled: boolean;
  updatedAt: string;
}

interface Delivery {
  id: string;
  consultId: string | null;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: ErrorClass | null;
  lastAttemptAt: string | null;
  lastDurationMs: number | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

interface TestResult {
  delivered: boolean;
  statusCode: number | null;
  error: ErrorClass | null;
  durationMs: number;
}

const PAGE = 50;

const eventKeys: Record<string, MessageKey> = {
  'webhook.test': 'webhook.event.test',
  'report.signed': 'webhook.event.signed',
  'report.amended': 'webhook.event.amended',
};

/**
 * A hospital admin's report webhook: where signed reports go, the signing secret (shown once,
 * when it is made), a test event, and the log of every delivery with a retry for given-up ones.
 */
export function WebhookPage() {
  const { t, language } = useI18n();
  const [webhook, setWebhook] = useState<Webhook | null | undefined>(undefined);
  const [url, setUrl] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [saved, setSaved] = useState(false);
  const [test, setTest] = useState<TestResult | null>(null);
  const { busy, error, attempt } = useAttempt();
  const [log, setLog] = useState<Delivery[] | null>(null);
  const [nextBefore, setNextBefore] = useState<string | null>(null);

  const loadLog = async () => {
    const body = await api<{ deliveries: Delivery[]; nextBefore: string | null }>(`/api/webhook/deliveries?limit=${PAGE}`);
    setLog(body.deliveries);
    setNextBefore(body.nextBefore);
  };
  const load = async () => {
    const body = await api<{ webhook: Webhook | null }>('/api/webhook');
    setWebhook(body.webhook);
    if (body.webhook) {
      setUrl(body.webhook.url);
      setEnabled(body.webhook.enabled);
    }
    await loadLog();
  };
  useEffect(() => void attempt(load), []);


  const showSecret = (value: string | null | undefined) => {
    setCopied(false);
    setSecret(value ?? null);
  };

  const save = () =>
    attempt(async () => {
      setSaved(false);
      const body = await api<{ webhook: Webhook; secret?: string }>('/api/webhook', { method: 'PUT', body: { url: url.trim(), enabled } });
      if (body.secret) showSecret(body.secret);
      await load();
      setSaved(true);
    });

  const rotate = () =>
    attempt(async () => {
      const body = await api<{ secret: string | null }>('/api/webhook/secret', { method: 'POST', body: {} });
      showSecret(body.secret);
    });

  const sendTest = () =>
    attempt(async () => {
      setTest(null);
      const body = await api<{ result: TestResult }>('/api/webhook/test', { method: 'POST', body: {} });
      setTest(body.result);
      await loadLog();
    });

  const retry = (id: string) =>
    attempt(async () => {
      await api(`/api/webhook/deliveries/${id}/retry`, { method: 'POST', body: {} });
      await loadLog();
    });

  const older = () =>
    attempt(async () => {
      if (!nextBefore || !log) return;
      const body = await api<{ deliveries: Delivery[]; nextBefore: string | null }>(`/api/webhook/deliveries?limit=${PAGE}&before=${nextBefore}`);
      setLog([...log, ...body.deliveries]);
      setNextBefore(body.nextBefore);
    });

  const copy = () => {
    if (!secret) return;
    navigator.clipboard?.writeText(secret).then(
      () => setCopied(true),
      () => undefined, // no clipboard (insecure origin, permission): the field is selectable
    );
  };

  const result = (d: { lastStatusCode: number | null; lastError: ErrorClass | null; status: DeliveryStatus }) => {
    if (d.lastStatusCode !== null) return `HTTP ${d.lastStatusCode}`;
    if (d.lastError) return t(`webhook.error.${d.lastError}`);
    return '—';
  };

  if (webhook === undefined) {
    return (
      <main class="page" data-testid="webhook-page">
        <h1>{t('webhook.title')}</h1>
        {error ? <p class="error">{error}</p> : <p class="loading">{t('loading')}</p>}
      </main>
    );
  }

  return (
    <main class="page" data-testid="webhook-page">
      <p>
        <Link href="/">{t('webhook.back')}</Link>
      </p>
      <h1>{t('webhook.title')}</h1>
      <p class="intro">{t('webhook.intro')}</p>

      <form
        class="card wide consult-form"
        data-testid="webhook-form"
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        {!webhook && <p class="muted">{t('webhook.notConfigured')}</p>}
        <label>
          {t('webhook.url')}
          <input name="url" type="url" required maxLength={2000} placeholder="https://his.example.org/yunzhen" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
        <label class="checkbox">
          <input type="checkbox" name="enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
          {t('webhook.enabled')}
        </label>
        <p>
          <button type="submit" data-testid="webhook-save" disabled={busy}>
            {t('webhook.save')}
          </button>{' '}
          {webhook && (
            <>
              <button type="button" class="secondary" data-testid="webhook-rotate" disabled={busy} onClick={() => void rotate()}>
                {t('webhook.rotate')}
              </button>{' '}
              <button type="button" class="secondary" data-testid="webhook-test" disabled={busy} onClick={() => void sendTest()}>
                {t('webhook.test')}
              </button>
            </>
          )}
        </p>
        {saved && !error && (
          <p class="success" data-testid="webhook-saved">
            {t('webhook.saved')}
          </p>
        )}
        {error && (
          <p class="error" role="alert" data-testid="webhook-error">
            {error}
          </p>
        )}
        {secret && (
          <div data-testid="webhook-secret">
            <label>
              {t('webhook.secret')}
              <input readOnly name="secret" value={secret} onFocus={(e) => e.currentTarget.select()} data-testid="webhook-secret-value" />
            </label>
            <p class="warning">{t('webhook.secretOnce')}</p>
            <button type="button" class="secondary small" data-testid="webhook-copy" onClick={copy}>
              {copied ? t('webhook.copied') : t('webhook.copy')}
            </button>
          </div>
        )}
        {test && (
          <p class={test.delivered ? 'success' : 'error'} data-testid="webhook-test-result" data-delivered={String(test.delivered)}>
            {t(test.delivered ? 'webhook.testDelivered' : 'webhook.testFailed')}: {result({ lastStatusCode: test.statusCode, lastError: test.error, status: test.delivered ? 'delivered' : 'given_up' })} ·{' '}
            {test.durationMs} {t('webhook.ms')}
          </p>
        )}
      </form>

      <section>
        <h2>
          {t('webhook.log')}{' '}
          <button type="button" class="secondary small" data-testid="webhook-refresh" disabled={busy} onClick={() => void attempt(loadLog)}>
            {t('webhook.refresh')}
          </button>
        </h2>
        {log && log.length === 0 && <p class="muted">{t('webhook.logEmpty')}</p>}
        {log && log.length > 0 && (
          <table class="table" data-testid="webhook-log">
            <thead>
              <tr>
                <th>{t('webhook.time')}</th>
                <th>{t('webhook.event')}</th>
                <th>{t('webhook.status')}</th>
                <th>{t('webhook.attempts')}</th>
                <th>{t('webhook.lastResult')}</th>
                <th>{t('webhook.nextAttempt')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {log.map((d) => (
                <tr key={d.id} data-testid="webhook-delivery" data-status={d.status} data-id={d.id}>
                  <td>{formatDateTime(d.createdAt, language)}</td>
                  <td>{eventKeys[d.event] ? t(eventKeys[d.event]!) : d.event}</td>
                  <td>{t(`webhook.status.${d.status}`)}</td>
                  <td>{d.attempts}</td>
                  <td>
                    {result(d)}
                    {d.lastDurationMs !== null && <span class="muted"> · {d.lastDurationMs} {t('webhook.ms')}</span>}
                  </td>
                  <td>{d.nextAttemptAt ? formatDateTime(d.nextAttemptAt, language) : '—'}</td>
                  <td>
                    {d.status === 'given_up' && (
                      <button type="button" class="secondary small" data-testid="webhook-retry" disabled={busy} onClick={() => void retry(d.id)}>
                        {t('webhook.retry')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {nextBefore && (
          <p>
            <button type="button" class="secondary" data-testid="webhook-older" disabled={busy} onClick={() => void older()}>
              {t('webhook.more')}
            </button>
          </p>
        )}
      </section>
    </main>
  );
}
