import { useEffect, useState } from 'preact/hooks';

import { api, type Role, type UserSummary } from '../api.js';
import { useI18n } from '../i18n.js';
import { refusalText } from '../reasons.js';

const roles: Role[] = ['radiographer', 'coordinator', 'referring_doctor', 'specialist', 'admin'];
const MIN_PASSWORD_LENGTH = 12;

/** An API refusal in the user's language (the server's English message only where no words are known). */
function useRefusal() {
  const { language } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const attempt = async (action: () => Promise<void>) => {
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(refusalText(caught, language));
    }
  };
  return { error, attempt };
}

/**
 * A hospital admin's people: add a user, change a role or the licensed flag, switch one off or
 * on, set a new password. Every
 * change is audited by the server (110137); an admin cannot disable or demote themself.
 */
export function PeopleAdmin(props: { selfId: string }) {
  const { t } = useI18n();
  const [users, setUsers] = useState<UserSummary[] | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);
  const { error, attempt } = useRefusal();
  const load = () => api<{ users: UserSummary[] }>('/api/users').then((body) => setUsers(body.users));
  useEffect(() => void load(), []);

  const change = (id: string, body: Record<string, unknown>) =>
    attempt(async () => {
      await api(`/api/users/${id}`, { method: 'PATCH', body });
      setResetting(null);
      await load();
    });

  if (!users) return <p>{t('loading')}</p>;
  return (
    <section data-testid="people-admin">
      <table class="table" data-testid="user-list">
        <thead>
          <tr>
            <th>{t('users.name')}</th>
            <th>{t('users.email')}</th>
            <th>{t('users.role')}</th>
            <th>{t('users.status')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((user) => (
            <tr key={user.id} data-testid="user-row" data-email={user.email}>
              <td>{user.displayName}</td>
              <td>{user.email}</td>
              <td>
                {/* An admin cannot demote themself (the server refuses it too): their own role is shown, not offered. */}
                {user.id === props.selfId ? (
                  t(`role.${user.role}`)
                ) : (
                  <select name="role" aria-label={t('users.role')} data-testid="user-role" value={user.role} onChange={(e) => change(user.id, { role: e.currentTarget.value })}>
                    {roles.map((role) => (
                      <option key={role} value={role}>
                        {t(`role.${role}`)}
                      </option>
                    ))}
                  </select>
                )}{' '}
                <label class="checkbox inline">
                  <input type="checkbox" data-testid="user-licensed" checked={user.licensed} onChange={(e) => change(user.id, { licensed: e.currentTarget.checked })} />
                  {t('licensed')}
                </label>
              </td>
              <td>{t(user.disabled ? 'users.disabled' : 'users.active')}</td>
              <td>
                {user.id !== props.selfId && (
                  <button type="button" class="secondary small" data-testid="user-toggle" onClick={() => change(user.id, { disabled: !user.disabled })}>
                    {t(user.disabled ? 'users.enable' : 'users.disable')}
                  </button>
                )}{' '}
                <button type="button" class="secondary small" data-testid="user-reset" onClick={() => setResetting(user.id)}>
                  {t('users.resetPassword')}
                </button>
                {resetting === user.id && (
                  <PasswordForm testId="user-reset-form" label={t('users.newPassword')} onSubmit={(password) => change(user.id, { password })} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && (
        <p class="error" data-testid="people-error">
          {error}
        </p>
      )}
      <NewUserForm onCreated={load} />
    </section>
  );
}

function PasswordForm(props: { testId: string; label: string; onSubmit: (password: string) => void }) {
  const [password, setPassword] = useState('');
  return (
    <form
      class="inline-form"
      data-testid={props.testId}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit(password);
      }}
    >
      <label>
        {props.label}
        <input type="password" name="password" autocomplete="new-password" minLength={MIN_PASSWORD_LENGTH} required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      <button type="submit">OK</button>
    </form>
  );
}

function NewUserForm(props: { onCreated: () => Promise<void> }) {
  const { t } = useI18n();
  const [form, setForm] = useState({ email: '', displayName: '', role: 'radiographer' as Role, licensed: false, password: '' });
  const { error, attempt } = useRefusal();
  const set = (changes: Partial<typeof form>) => setForm({ ...form, ...changes });
  return (
    <form
      class="card consult-form"
      data-testid="user-new"
      onSubmit={(event) => {
        event.preventDefault();
        void attempt(async () => {
          await api('/api/users', { method: 'POST', body: form });
          setForm({ email: '', displayName: '', role: 'radiographer', licensed: false, password: '' });
          await props.onCreated();
        });
      }}
    >
      <h2>{t('users.add')}</h2>
      <label>
        {t('users.name')}
        <input name="displayName" required maxLength={200} value={form.displayName} onInput={(e) => set({ displayName: e.currentTarget.value })} />
      </label>
      <label>
        {t('users.email')}
        <input name="email" type="email" required value={form.email} onInput={(e) => set({ email: e.currentTarget.value })} />
      </label>
      <label>
        {t('users.role')}
        <select name="role" value={form.role} onChange={(e) => set({ role: e.currentTarget.value as Role })}>
          {roles.map((role) => (
            <option key={role} value={role}>
              {t(`role.${role}`)}
            </option>
          ))}
        </select>
      </label>
      <label class="checkbox">
        <input type="checkbox" name="licensed" checked={form.licensed} onChange={(e) => set({ licensed: e.currentTarget.checked })} />
        {t('licensed')}
      </label>
      <label>
        {t('users.initialPassword')}
        <input name="password" type="password" autocomplete="new-password" minLength={MIN_PASSWORD_LENGTH} required value={form.password} onInput={(e) => set({ password: e.currentTarget.value })} />
      </label>
      {error && (
        <p class="error" data-testid="user-new-error">
          {error}
        </p>
      )}
      <button type="submit" data-testid="user-create">
        {t('users.add')}
      </button>
    </form>
  );
}

/** Everyone's own account: a new password, given the current one. */
export function AccountPage() {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const { error, attempt } = useRefusal();
  return (
    <main class="page">
      <h1>{t('account.title')}</h1>
      <form
        class="card consult-form"
        data-testid="password-change"
        onSubmit={(event) => {
          event.preventDefault();
          setDone(false);
          void attempt(async () => {
            await api('/api/me/password', { method: 'POST', body: { currentPassword: current, newPassword: next } });
            setCurrent('');
            setNext('');
            setDone(true);
          });
        }}
      >
        <label>
          {t('account.currentPassword')}
          <input type="password" name="currentPassword" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label>
          {t('account.newPassword')}
          <input type="password" name="newPassword" autocomplete="new-password" minLength={MIN_PASSWORD_LENGTH} required value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" data-testid="password-error">
            {error}
          </p>
        )}
        {done && (
          <p class="success" data-testid="password-changed">
            {t('account.changed')}
          </p>
        )}
        <button type="submit" data-testid="password-submit">
          {t('account.change')}
        </button>
      </form>
    </main>
  );
}
