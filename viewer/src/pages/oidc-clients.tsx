import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { Link } from '../components/link.js';
import { useAttempt } from '../components/use-attempt.js';
import { useI18n } from '../i18n.js';

/** One OpenID Connect client as `GET /api/oidc-clients` lists it. */
interface OidcClient {
  clientId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  firstParty: boolean;
  confidential: boolean;
  /** `config`: from `OIDC_CLIENTS`, changed there only; `admin`: registered on this page. */
  source: 'config' | 'admin';
}

interface ClientForm {
  clientId: string;
  name: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  firstParty: boolean;
  confidential: boolean;
}

const emptyForm: ClientForm = { clientId: '', name: '', redirectUris: '', postLogoutRedirectUris: '', firstParty: false, confidential: false };

/** One address a line (blank lines dropped), as the API takes them. */
const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/**
 * A reading centre admin's applications that sign users in through Yunzhen (OpenID Connect),
 * such as an OHIF deployment: the list, registration (a browser app as a public client with
 * PKCE, or a server-side app with a secret shown once), edits and removal.
 */
export function OidcClientsPage() {
  const { t } = useI18n();
  const [clients, setClients] = useState<OidcClient[] | undefined>(undefined);
  const [form, setForm] = useState<ClientForm>(emptyForm);
  /** The client being edited, or null while the form registers a new one. */
  const [editing, setEditing] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ clientId: string; value: string } | null>(null);
  const { busy, error, attempt } = useAttempt();

  const load = async () => setClients((await api<{ clients: OidcClient[] }>('/api/oidc-clients')).clients);
  useEffect(() => void attempt(load), []);


  const field = <K extends keyof ClientForm>(key: K, value: ClientForm[K]) => setForm({ ...form, [key]: value });

  const edit = (client: OidcClient) => {
    setSecret(null);
    setEditing(client.clientId);
    setForm({ clientId: client.clientId, name: client.name, redirectUris: client.redirectUris.join('\n'), postLogoutRedirectUris: client.postLogoutRedirectUris.join('\n'), firstParty: client.firstParty, confidential: client.confidential });
  };
  const reset = () => {
    setEditing(null);
    setForm(emptyForm);
  };

  const save = () =>
    attempt(async () => {
      const fields = { name: form.name.trim(), redirectUris: lines(form.redirectUris), postLogoutRedirectUris: lines(form.postLogoutRedirectUris), firstParty: form.firstParty };
      if (editing) {
        await api(`/api/oidc-clients/${encodeURIComponent(editing)}`, { method: 'PATCH', body: fields });
      } else {
        const body = await api<{ client: OidcClient; clientSecret?: string }>('/api/oidc-clients', { method: 'POST', body: { ...fields, clientId: form.clientId.trim(), confidential: form.confidential } });
        setSecret(body.clientSecret ? { clientId: body.client.clientId, value: body.clientSecret } : null);
      }
      reset();
      await load();
    });

  const remove = (client: OidcClient) =>
    attempt(async () => {
      if (!confirm(t('oidcClients.confirmRemove'))) return;
      await api(`/api/oidc-clients/${encodeURIComponent(client.clientId)}`, { method: 'DELETE' });
      if (editing === client.clientId) reset();
      await load();
    });

  return (
    <main class="page" data-testid="oidc-clients-page">
      <p>
        <Link href="/">{t('oidcClients.back')}</Link>
      </p>
      <h1>{t('oidcClients.title')}</h1>
      <p class="intro">{t('oidcClients.intro')}</p>
      {error && (
        <p class="error" role="alert" data-testid="oidc-client-error">
          {error}
        </p>
      )}
      {secret && (
        <div class="card wide" data-testid="oidc-client-secret">
          <label>
            {t('oidcClients.secret')} ({secret.clientId})
            <input readOnly value={secret.value} onFocus={(e) => e.currentTarget.select()} data-testid="oidc-client-secret-value" />
          </label>
          <p class="warning">{t('oidcClients.secretOnce')}</p>
        </div>
      )}
      {clients === undefined && !error && <p class="loading">{t('loading')}</p>}
      {clients && clients.length === 0 && <p class="muted">{t('oidcClients.none')}</p>}
      {clients && clients.length > 0 && (
        <table class="table" data-testid="oidc-client-list">
          <thead>
            <tr>
              <th>{t('oidcClients.clientId')}</th>
              <th>{t('oidcClients.name')}</th>
              <th>{t('oidcClients.kind')}</th>
              <th>{t('oidcClients.redirectUris')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {clients.map((client) => (
              <tr key={client.clientId} data-testid="oidc-client" data-client-id={client.clientId} data-first-party={String(client.firstParty)} data-confidential={String(client.confidential)}>
                <td>
                  <code>{client.clientId}</code>
                </td>
                <td>{client.name}</td>
                <td>
                  {t(client.confidential ? 'oidcClients.confidential' : 'oidcClients.public')}
                  {client.firstParty && <> · {t('oidcClients.firstPartyShort')}</>}
                </td>
                <td>
                  {client.redirectUris.map((uri) => (
                    <div key={uri}>
                      <code>{uri}</code>
                    </div>
                  ))}
                </td>
                <td>
                  {client.source === 'config' ? (
                    <span class="muted">{t('oidcClients.configured')}</span>
                  ) : (
                    <>
                      <button type="button" class="secondary small" data-testid="oidc-client-edit" disabled={busy} onClick={() => edit(client)}>
                        {t('oidcClients.edit')}
                      </button>{' '}
                      <button type="button" class="secondary small" data-testid="oidc-client-remove" disabled={busy} onClick={() => void remove(client)}>
                        {t('oidcClients.remove')}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <form
        class="card wide consult-form"
        data-testid="oidc-client-form"
        data-mode={editing ? 'edit' : 'register'}
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <h2>{editing ? `${t('oidcClients.editTitle')} ${editing}` : t('oidcClients.registerTitle')}</h2>
        {!editing && (
          <label>
            {t('oidcClients.clientId')}
            <input name="clientId" required pattern="[A-Za-z0-9._\-]{3,64}" maxLength={64} value={form.clientId} onInput={(e) => field('clientId', e.currentTarget.value)} />
          </label>
        )}
        <label>
          {t('oidcClients.name')}
          <input name="name" required maxLength={120} value={form.name} onInput={(e) => field('name', e.currentTarget.value)} />
        </label>
        <label>
          {t('oidcClients.redirectUris')}
          <textarea name="redirectUris" required rows={2} placeholder="https://ohif.example.org/callback" value={form.redirectUris} onInput={(e) => field('redirectUris', e.currentTarget.value)} />
        </label>
        <label>
          {t('oidcClients.postLogoutRedirectUris')}
          <textarea name="postLogoutRedirectUris" rows={2} placeholder="https://ohif.example.org/logout-redirect.html" value={form.postLogoutRedirectUris} onInput={(e) => field('postLogoutRedirectUris', e.currentTarget.value)} />
        </label>
        <p class="muted">{t('oidcClients.oneALine')}</p>
        <label class="checkbox">
          <input type="checkbox" name="firstParty" checked={form.firstParty} onChange={(e) => field('firstParty', e.currentTarget.checked)} />
          {t('oidcClients.firstParty')}
        </label>
        <label class="checkbox">
          <input type="checkbox" name="confidential" checked={form.confidential} disabled={editing !== null} onChange={(e) => field('confidential', e.currentTarget.checked)} />
          {t('oidcClients.confidentialChoice')}
        </label>
        <p>
          <button type="submit" data-testid="oidc-client-save" disabled={busy}>
            {editing ? t('oidcClients.save') : t('oidcClients.register')}
          </button>{' '}
          {editing && (
            <button type="button" class="secondary" onClick={reset}>
              {t('oidcClients.cancel')}
            </button>
          )}
        </p>
      </form>
    </main>
  );
}
