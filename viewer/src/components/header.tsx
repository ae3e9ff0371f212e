import type { Me } from '../api.js';
import { useI18n } from '../i18n.js';
import { LanguageSwitch } from './language-switch.js';
import { Link } from './link.js';
import { NotificationBell } from './notification-bell.js';

export function Header(props: { me: Me | null; onLogout?: () => void }) {
  const { t } = useI18n();
  const { me } = props;
  return (
    <header class="app-header">
      <div class="brand">
        <strong>{t('appName')}</strong>
        <span class="tagline">{t('appTagline')}</span>
      </div>
      <div class="header-right">
        {me && (
          <div class="who" data-testid="who">
            <span class="who-name">{me.user.displayName}</span>
            <span class="who-detail">
              {t(`role.${me.user.role}`)} · {me.tenant.name}
            </span>
          </div>
        )}
        {me && me.tenant.kind !== 'sending' && <NotificationBell readingCentre />}
        {me?.user.role === 'admin' && (
          <Link href="/admin/turnaround" class="button secondary" testId="go-turnaround">
            {t('dashboard.nav')}
          </Link>
        )}
        {me?.user.role === 'admin' && (
          <Link href="/admin/webhook" class="button secondary" testId="go-webhook">
            {t('webhook.nav')}
          </Link>
        )}
        {me?.user.role === 'admin' && (
          <Link href="/admin/devices" class="button secondary" testId="go-devices">
            {t('devices.nav')}
          </Link>
        )}
        {me?.user.role === 'admin' && me.tenant.kind !== 'sending' && (
          <Link href="/admin/applications" class="button secondary" testId="go-applications">
            {t('oidcClients.nav')}
          </Link>
        )}
        {me && (
          <Link href="/account" class="button secondary" testId="go-account">
            {t('account.title')}
          </Link>
        )}
        <LanguageSwitch />
        {me && props.onLogout && (
          <button type="button" class="secondary" onClick={props.onLogout} data-testid="logout">
            {t('logout')}
          </button>
        )}
      </div>
    </header>
  );
}
