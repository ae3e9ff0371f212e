import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { Link } from '../components/link.js';
import { useI18n } from '../i18n.js';
import { refusalText } from '../reasons.js';

interface Device {
  id: string;
  name: string;
  aeTitle: string;
  allowedCidrs: string[];
  maySend: boolean;
  mayReceive: boolean;
  host: string | null;
  port: number | null;
  enabled: boolean;
}

interface Draft {
  name: string;
  aeTitle: string;
  cidrs: string;
  maySend: boolean;
  mayReceive: boolean;
  host: string;
  port: string;
  enabled: boolean;
}

const emptyDraft: Draft = { name: '', aeTitle: '', cidrs: '', maySend: true, mayReceive: false, host: '', port: '', enabled: true };

const draftOf = (d: Device): Draft => ({
  name: d.name,
  aeTitle: d.aeTitle,
  cidrs: d.allowedCidrs.join(', '),
  maySend: d.maySend,
  mayReceive: d.mayReceive,
  host: d.host ?? '',
  port: d.port === null ? '' : String(d.port),
  enabled: d.enabled,
});

const bodyOf = (d: Draft) => ({
  name: d.name.trim(),
  aeTitle: d.aeTitle.trim(),
  allowedCidrs: d.cidrs
    .split(/[\s,;]+/)
    .map((c) => c.trim())
    .filter(Boolean),
  maySend: d.maySend,
  mayReceive: d.mayReceive,
  host: d.host.trim() || null,
  port: d.port.trim() ? Number(d.port.trim()) : null,
  enabled: d.enabled,
});

/**
 * A hospital admin's DICOM devices: the PACS and modalities that may send studies by C-STORE
 * (recognised by AE title and source address) and the PACS that receives signed reports.
 */
export function DevicesPage() {
  const { t, language } = useI18n();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [editing, setEditing] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const load = async () => setDevices((await api<{ devices: Device[] }>('/api/devices')).devices);
  useEffect(() => void attempt(load), []);

  async function attempt(action: () => Promise<void>) {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (caught) {
      setError(refusalText(caught, language));
    } finally {
      setBusy(false);
    }
  }

  const save = () =>
    attempt(async () => {
      setSaved(false);
      if (editing) await api(`/api/devices/${editing}`, { method: 'PATCH', body: bodyOf(draft) });
      else await api('/api/devices', { method: 'POST', body: bodyOf(draft) });
      setDraft(emptyDraft);
      setEditing(null);
      await load();
      setSaved(true);
    });
  const toggle = (d: Device) =>
    attempt(async () => {
      await api(`/api/devices/${d.id}`, { method: 'PATCH', body: { enabled: !d.enabled } });
      await load();
    });
  const remove = (d: Device) =>
    attempt(async () => {
      if (!confirm(t('devices.confirmDelete'))) return;
      await api(`/api/devices/${d.id}`, { method: 'DELETE' });
      await load();
    });
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft({ ...draft, [key]: value });

  return (
    <main class="page" data-testid="devices-page">
      <p>
        <Link href="/">{t('devices.back')}</Link>
      </p>
      <h1>{t('devices.title')}</h1>
      <p class="intro">{t('devices.intro')}</p>
      {error && (
        <p class="error" role="alert" data-testid="devices-error">
          {error}
        </p>
      )}
      {devices === null ? (
        !error && <p class="loading">{t('loading')}</p>
      ) : devices.length === 0 ? (
        <p class="muted" data-testid="devices-empty">
          {t('devices.none')}
        </p>
      ) : (
        <table class="table" data-testid="devices-table">
          <thead>
            <tr>
              <th>{t('devices.name')}</th>
              <th>{t('devices.aeTitle')}</th>
              <th>{t('devices.cidrs')}</th>
              <th>{t('devices.roles')}</th>
              <th>{t('devices.address')}</th>
              <th>{t('devices.state')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.id} data-testid="device-row">
                <td>{d.name}</td>
                <td>
                  <code>{d.aeTitle}</code>
                </td>
                <td>{d.allowedCidrs.join(', ') || '—'}</td>
                <td>{[d.maySend && t('devices.maySend'), d.mayReceive && t('devices.mayReceive')].filter(Boolean).join(' · ')}</td>
                <td>{d.host && d.port ? `${d.host}:${d.port}` : '—'}</td>
                <td>{d.enabled ? t('devices.enabled') : t('devices.disabled')}</td>
                <td class="actions">
                  <button
                    type="button"
                    class="secondary"
                    disabled={busy}
                    onClick={() => {
                      setEditing(d.id);
                      setDraft(draftOf(d));
                      setSaved(false);
                    }}
                  >
                    {t('devices.edit')}
                  </button>{' '}
                  <button type="button" class="secondary" disabled={busy} onClick={() => void toggle(d)}>
                    {d.enabled ? t('devices.disable') : t('devices.enable')}
                  </button>{' '}
                  <button type="button" class="secondary" disabled={busy} onClick={() => void remove(d)}>
                    {t('devices.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <form
        class="card wide consult-form"
        data-testid="device-form"
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <h2>{editing ? t('devices.editTitle') : t('devices.add')}</h2>
        <label>
          {t('devices.name')}
          <input name="name" required maxLength={200} value={draft.name} onInput={(e) => set('name', e.currentTarget.value)} />
        </label>
        <label>
          {t('devices.aeTitle')}
          <input name="aeTitle" required maxLength={16} pattern="[ -\[\]-~]{1,16}" placeholder="XUHUI_CT1" value={draft.aeTitle} onInput={(e) => set('aeTitle', e.currentTarget.value)} />
        </label>
        <label class="checkbox">
          <input type="checkbox" name="maySend" checked={draft.maySend} onChange={(e) => set('maySend', e.currentTarget.checked)} />
          {t('devices.maySendLong')}
        </label>
        <label>
          {t('devices.cidrs')}
          <input name="cidrs" placeholder="10.20.0.0/16, 192.168.1.7" value={draft.cidrs} onInput={(e) => set('cidrs', e.currentTarget.value)} />
          <small class="muted">{t('devices.cidrsHelp')}</small>
        </label>
        <label class="checkbox">
          <input type="checkbox" name="mayReceive" checked={draft.mayReceive} onChange={(e) => set('mayReceive', e.currentTarget.checked)} />
          {t('devices.mayReceiveLong')}
        </label>
        {draft.mayReceive && (
          <>
            <label>
              {t('devices.host')}
              <input name="host" required maxLength={253} placeholder="10.20.1.5" value={draft.host} onInput={(e) => set('host', e.currentTarget.value)} />
            </label>
            <label>
              {t('devices.port')}
              <input name="port" required type="number" min={1} max={65535} placeholder="104" value={draft.port} onInput={(e) => set('port', e.currentTarget.value)} />
            </label>
          </>
        )}
        <label class="checkbox">
          <input type="checkbox" name="enabled" checked={draft.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} />
          {t('devices.enabled')}
        </label>
        <p>
          <button type="submit" data-testid="device-save" disabled={busy}>
            {editing ? t('devices.saveChanges') : t('devices.register')}
          </button>{' '}
          {editing && (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setEditing(null);
                setDraft(emptyDraft);
              }}
            >
              {t('devices.cancel')}
            </button>
          )}
        </p>
        {saved && !error && (
          <p class="success" data-testid="device-saved">
            {t('devices.saved')}
          </p>
        )}
        <p class="muted">{t('devices.ourAe')}</p>
      </form>
    </main>
  );
}
