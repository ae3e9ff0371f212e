import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { api, sendsStudies, setCsrfToken, settleBeforeSignOut, type Me } from './api.js';
import { startReadingReads } from './early-reads.js';
import { Header } from './components/header.js';
import { Link } from './components/link.js';
import { useI18n } from './i18n.js';
import { ConsultPage } from './pages/consult.js';
import { LandingPage } from './pages/landing.js';
import { LoginPage } from './pages/login.js';
import { AccountPage } from './pages/people.js';
import { UploadPage } from './pages/upload.js';
import { DevicesPage } from './pages/devices.js';
import { OidcClientsPage } from './pages/oidc-clients.js';
import { WebhookPage } from './pages/webhook.js';
import { loadReadingPage } from './reading-page.js';
import { matchPath, usePath } from './router.js';

type Session = { state: 'loading' } | { state: 'anonymous' } | { state: 'signed-in'; me: Me };

export function App() {
  const { t } = useI18n();
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const path = usePath();

  const signedIn = (me: Me) => {
    setCsrfToken(me.csrfToken);
    setSession({ state: 'signed-in', me });
  };

  useEffect(() => {
    api<{ me: Me | null }>('/api/auth/session')
      .then(({ me }) => (me ? signedIn(me) : setSession({ state: 'anonymous' })))
      .catch(() => setSession({ state: 'anonymous' }));
  }, []);

  const logout = async () => {
    await settleBeforeSignOut();
    await api('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
    setCsrfToken(null);
    setSession({ state: 'anonymous' });
  };

  if (session.state === 'loading') return <p class="loading">{t('loading')}</p>;
  if (session.state === 'anonymous') {
    return (
      <>
        <Header me={null} />
        <LoginPage onLoggedIn={signedIn} />
      </>
    );
  }
  return (
    <>
      <Header me={session.me} onLogout={logout} />
      <Page me={session.me} path={path} />
    </>
  );
}

function Page(props: { me: Me; path: string }) {
  const { me, path } = props;
  if (path === '/upload' && sendsStudies(me.user.role)) return <UploadPage me={me} />;
  if (path === '/account') return <AccountPage />;
  if (path === '/admin/webhook' && me.user.role === 'admin') return <WebhookPage />;
  if (path === '/admin/devices' && me.user.role === 'admin') return <DevicesPage />;
  if (path === '/admin/applications' && me.user.role === 'admin' && me.tenant.kind !== 'sending') return <OidcClientsPage />;
  if (path === '/admin/turnaround' && me.user.role === 'admin') return <TurnaroundRoute me={me} />;
  const board = matchPath('/boards/:id', path);
  if (board) return <BoardRoute me={me} id={board.id!} />;
  const reading = matchPath('/consults/:id/read', path);
  if (reading) return <ReadingRoute me={me} id={reading.id!} />;
  const consult = matchPath('/consults/:id', path);
  if (consult) return <ConsultPage me={me} id={consult.id!} />;
  if (path === '/' || path === '') return <LandingPage me={me} />;
  return <PageNotFound />;
}

/** An address the viewer does not know (a mistyped or outdated link) says so, instead of quietly showing the start page. */
function PageNotFound() {
  const { t } = useI18n();
  return (
    <main class="page" data-testid="page-not-found">
      <h1>{t('page.notFound')}</h1>
      <p>
        <Link href="/">{t('page.toStart')}</Link>
      </p>
    </main>
  );
}

/** The dashboard and its charting library load on first use: only admins open it. */
function TurnaroundRoute(props: { me: Me }) {
  const [Page, setPage] = useState<FunctionComponent<{ me: Me }> | null>(null);
  useEffect(() => {
    void import('./pages/turnaround.js').then((module) => setPage(() => module.TurnaroundPage));
  }, []);
  return Page ? <Page me={props.me} /> : <p class="loading">…</p>;
}

/** A tumour board session (Cornerstone, like the reading page: loaded on first use). */
function BoardRoute(props: { me: Me; id: string }) {
  const { t } = useI18n();
  const [Page, setPage] = useState<FunctionComponent<{ me: Me; boardId: string }> | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./pages/board.js').then(
      (module) => setPage(() => module.BoardPage),
      () => setFailed(true),
    );
  }, []);
  if (failed) return <p class="error" role="alert">{t('reading.loadError')}</p>;
  return Page ? <Page key={props.id} me={props.me} boardId={props.id} /> : <p class="loading">{t('loading')}</p>;
}

type ReadingPageComponent = FunctionComponent<{ me: Me; consultId: string }>;

/** The reading page and Cornerstone load on first use, so sign-in and the worklist stay light. */
function ReadingRoute(props: { me: Me; id: string }) {
  const { t } = useI18n();
  const [Page, setPage] = useState<ReadingPageComponent | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    startReadingReads(props.id); // while the bundle below loads
    loadReadingPage().then(
      (module) => setPage(() => module.ReadingPage),
      () => setFailed(true),
    );
  }, []);
  if (failed) return <p class="error" role="alert">{t('reading.loadError')}</p>;
  return Page ? <Page key={props.id} me={props.me} consultId={props.id} /> : <p class="loading">{t('loading')}</p>;
}
