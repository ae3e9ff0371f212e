import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { formatDateTime, useI18n } from '../i18n.js';
import { Link } from './link.js';

interface Notice {
  id: string;
  kind: 'consult-due-soon' | 'consult-overdue' | 'consult-reassigned';
  consultId: string;
  priority: 'routine' | 'urgent' | 'stat';
  dueAt: string;
  createdAt: string;
  read: boolean;
}

/** Notifications are looked for this often (escalations are checked every 30 s on the server). */
const POLL_MS = 60_000;

/** The bell: consults of this user's centre running out of time, newest first; opening it marks them read. */
export function NotificationBell(props: { readingCentre: boolean }) {
  const { t, language } = useI18n();
  const [notices, setNotices] = useState<Notice[]>([]);
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);

  const load = async () => {
    const body = await api<{ unread: number; notifications: Notice[] }>('/api/notifications');
    setNotices(body.notifications);
    setUnread(body.unread);
  };
  useEffect(() => {
    void load().catch(() => undefined);
    const timer = setInterval(() => void load().catch(() => undefined), POLL_MS);
    return () => clearInterval(timer);
  }, []);

  const toggle = async () => {
    setOpen(!open);
    if (!open && unread > 0) {
      await api('/api/notifications/read', { method: 'POST', body: {} }).catch(() => undefined);
      setUnread(0);
    }
  };

  return (
    <div class="bell">
      <button type="button" class="secondary" data-testid="bell" aria-expanded={open} onClick={() => void toggle()}>
        {t('bell.title')}
        {unread > 0 && (
          <span class="badge unread" data-testid="bell-count">
            {unread}
          </span>
        )}
      </button>
      {open && (
        <div class="bell-list" role="dialog" aria-label={t('bell.title')} data-testid="bell-list">
          {notices.length === 0 ? (
            <p class="muted">{t('bell.none')}</p>
          ) : (
            <ul>
              {notices.map((n) => (
                <li key={n.id} class={n.read ? 'read' : 'new'} data-testid="bell-item" data-kind={n.kind}>
                  <span class={`badge ${n.kind === 'consult-due-soon' ? 'warning' : 'danger'}`}>{t(`bell.${n.kind}`)}</span>{' '}
                  <Link href={props.readingCentre ? `/consults/${n.consultId}/read` : `/consults/${n.consultId}`}>
                    {n.consultId.slice(0, 8).toUpperCase()}
                  </Link>{' '}
                  <span class={`badge priority-${n.priority}`}>{t(`priority.${n.priority}`)}</span>
                  <div class="muted">
                    {t('consult.due')}: {formatDateTime(n.dueAt, language)}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
