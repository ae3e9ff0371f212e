import { useEffect, useState } from 'preact/hooks';

import { api, type Me, type UserSummary } from '../api.js';
import { useI18n } from '../i18n.js';

/** The first page after login, one per role. */
export function LandingPage(props: { me: Me }) {
  const { t } = useI18n();
  const role = props.me.user.role;
  return (
    <main class="landing" data-testid={`landing-${role}`}>
      <h1>{t(`landing.${role}.title`)}</h1>
      <p class="intro">{t(`landing.${role}.intro`)}</p>
      {role === 'admin' ? <UserList /> : <EmptyList />}
      {role === 'radiographer' && props.me.readingCentres.length > 0 && (
        <section>
          <h2>{t('landing.readingCentres')}</h2>
          <ul>
            {props.me.readingCentres.map((centre) => (
              <li key={centre.id}>{centre.name}</li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}

function EmptyList() {
  const { t } = useI18n();
  return (
    <p class="empty" data-testid="empty-list">
      {t('empty')}
    </p>
  );
}

function UserList() {
  const { t } = useI18n();
  const [users, setUsers] = useState<UserSummary[] | null>(null);
  useEffect(() => {
    api<{ users: UserSummary[] }>('/api/users').then((body) => setUsers(body.users));
  }, []);
  if (!users) return <p>{t('loading')}</p>;
  return (
    <table class="table" data-testid="user-list">
      <thead>
        <tr>
          <th>{t('users.name')}</th>
          <th>{t('users.email')}</th>
          <th>{t('users.role')}</th>
          <th>{t('users.status')}</th>
        </tr>
      </thead>
      <tbody>
        {users.map((user) => (
          <tr key={user.id}>
            <td>{user.displayName}</td>
            <td>{user.email}</td>
            <td>
              {t(`role.${user.role}`)} · {t(user.licensed ? 'licensed' : 'unlicensed')}
            </td>
            <td>{t(user.disabled ? 'users.disabled' : 'users.active')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
