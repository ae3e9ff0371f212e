import { useState } from 'preact/hooks';

import { api, ApiError, type Me } from '../api.js';
import { useI18n, type MessageKey } from '../i18n.js';

export function LoginPage(props: { onLoggedIn: (me: Me) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/api/auth/login', { method: 'POST', body: { email, password } });
      props.onLoggedIn(await api<Me>('/api/me'));
    } catch (caught) {
      const code = caught instanceof ApiError ? caught.code : '';
      setError(code === 'InvalidCredentials' ? 'login.failed' : code === 'TooManyAttempts' ? 'login.throttled' : 'login.error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">{t('login.title')}</h1>
        <label>
          {t('login.email')}
          <input type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          {t('login.password')}
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" role="alert" data-testid="login-error">
            {t(error)}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
    </main>
  );
}
