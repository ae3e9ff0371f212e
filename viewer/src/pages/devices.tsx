import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { Link } from '../components/link.js';
import { useAttempt } from '../components/use-attempt.js';
import { PrioritySelect } from '../components/priority-select.js';
import { useI18n } from '../i18n.js';

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
  tls: boolean;
  certificateSha256: string | null;
  autoConsult: AutoConsultRule | null;
}

interface AutoConsultRule {
  readingCentreId: string;
  priority: 'routine' | 'urgent' | 'stat';
  quietSeconds: number;
  clinicalQuestion: string;
  onBehalfOf: string;
}

/** What the form offers beside the devices: TLS if the server has it; a rule's centres and radiographers. */
interface DeviceOptions {
  tlsAvailable: boolean;
  readingCentres: { id: string; name: string }[];
  radiographers: { id: string; displayName: string }[];
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
  tls: boolean;
  certificate: string;
  rule: boolean;
  ruleCentre: string;
  rulePriority: AutoConsultRule['priority'];
  ruleQuiet: string;
  ruleQuestion: string;
  ruleOnBehalfOf: string;
}

const emptyDraft: Draft = {
  name: '',
  aeTitle: '',
  cidrs: '',
  maySend: true,
  mayReceive: false,
  host: '',
  port: '',
  enabled: true,
  tls: false,
  certificate: '',
  rule: false,
  ruleCentre: '',
  rulePriority: 'routine',
  ruleQuiet: '120',
  ruleQuestion: '',
  ruleOnBehalfOf: '',
};

const draftOf = (d: Device): Draft => ({
  name: d.name,
  aeTitle: d.aeTitle,
  cidrs: d.allowedCidrs.join(', '),
  maySend: d.maySend,
  mayReceive: d.mayReceive,
  host: d.host ?? '',
  port: d.port === null ? '' : String(d.port),
  enabled: d.enabled,
  tls: d.tls,
  certificate: d.certificateSha256 ?? '',
  rule: Boolean(d.autoConsult),
  ruleCentre: d.autoConsult?.readingCentreId ?? '',
  rulePriority: d.autoConsult?.priority ?? 'routine',
  ruleQuiet: String(d.autoConsult?.quietSeconds ?? 120),
  ruleQuestion: d.autoConsult?.clinicalQuestion ?? '',
  ruleOnBehalfOf: d.autoConsult?.onBehalfOf ?? '',
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
  tls: d.tls,
  certificateSha256: d.certificate.trim() || null,
  autoConsult:
    d.rule && d.maySend
      ? { readingCentreId: d.ruleCentre, priority: d.rulePriority, quietSeconds: Number(d.ruleQuiet), clinicalQuestion: d.ruleQuestion.trim(), onBehalfOf: d.ruleOnBehalfOf }
      : null,
});

/**
 * A hospital admin's DICOM devices: the PACS and modalities that may send studies by C-STORE
 * (recognised by AE title and source address) and the PACS that receives signed reports.
 */
export function DevicesPage() {
  const { t } = useI18n();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [options, setOptions] = useState<DeviceOptions>({ tlsAvailable: false, readingCentres: [], radiographers: [] });
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [editing, setEditing] = useState<string | null>(null);
  const { busy, error, attempt } = useAttempt();
  const [saved, setSaved] = useState(false);

  const load = async () => {
    const { devices, ...offered } = await api<{ devices: Device[] } & DeviceOptions>('/api/devices');
    setDevices(devices);
    setOptions(offered);
  };
  const centreName = (id: string) => options.readingCentres.find((centre) => centre.id === id)?.name ?? '—';
  useEffect(() => void attempt(load), []);


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
                <td>
                  {[
                    d.maySend && t('devices.maySend'),
                    d.mayReceive && t('devices.mayReceive'),
                    d.tls && t('devices.tls'),
                    d.autoConsult && t('devices.ruleShort').replace('{centre}', centreName(d.autoConsult.readingCentreId)).replace('{seconds}', String(d.autoConsult.quietSeconds)),
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </td>
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
          <input type="checkbox" name="tls" checked={draft.tls} disabled={!options.tlsAvailable && !draft.tls} onChange={(e) => set('tls', e.currentTarget.checked)} />
          {t('devices.tlsLong')}
        </label>
        {!options.tlsAvailable && <small class="muted">{t('devices.tlsUnavailable')}</small>}
        {draft.tls && (
          <label>
            {t('devices.certificate')}
            <input name="certificate" maxLength={120} placeholder="AB:CD:…" value={draft.certificate} onInput={(e) => set('certificate', e.currentTarget.value)} />
            <small class="muted">{t('devices.certificateHelp')}</small>
          </label>
        )}
        {draft.maySend && (
          <label class="checkbox">
            <input type="checkbox" name="rule" checked={draft.rule} onChange={(e) => set('rule', e.currentTarget.checked)} />
            {t('devices.ruleLong')}
          </label>
        )}
        {draft.maySend && draft.rule && (
          <fieldset data-testid="device-rule">
            <legend>{t('devices.rule')}</legend>
            {options.radiographers.length === 0 && <p class="error">{t('devices.ruleNoRadiographer')}</p>}
            <label>
              {t('devices.ruleCentre')}
              <select name="ruleCentre" required value={draft.ruleCentre} onChange={(e) => set('ruleCentre', e.currentTarget.value)}>
                <option value="" />
                {options.readingCentres.map((centre) => (
                  <option key={centre.id} value={centre.id}>
                    {centre.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('devices.rulePriority')}
              <PrioritySelect name="rulePriority" value={draft.rulePriority} onChange={(p) => set('rulePriority', p)} />
            </label>
            <label>
              {t('devices.ruleQuiet')}
              <input name="ruleQuiet" type="number" required min={10} max={86400} value={draft.ruleQuiet} onInput={(e) => set('ruleQuiet', e.currentTarget.value)} />
            </label>
            <label>
              {t('devices.ruleQuestion')}
              <input name="ruleQuestion" required maxLength={4000} value={draft.ruleQuestion} onInput={(e) => set('ruleQuestion', e.currentTarget.value)} />
            </label>
            <label>
              {t('devices.ruleOnBehalfOf')}
              <select name="ruleOnBehalfOf" required value={draft.ruleOnBehalfOf} onChange={(e) => set('ruleOnBehalfOf', e.currentTarget.value)}>
                <option value="" />
                {options.radiographers.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.displayName}
                  </option>
                ))}
              </select>
            </label>
          </fieldset>
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
