import { useEffect, useMemo, useRef, useState } from 'preact/hooks';

import { api, ApiError, type ConsultStatus, type ConsultSummary, type Me, type Priority } from '../api.js';
import { distinctPatients } from '../components/consult-table.js';
import { UnreadBadge } from '../components/consult-thread.js';
import { ReferralBadge } from '../components/referral-panel.js';
import { Link } from '../components/link.js';
import { PatientLabel } from '../components/study-table.js';
import { formatDuration } from '../components/turnaround.js';
import { useWindowKeydown } from '../components/use-window-keydown.js';
import { formatAge, formatDateTime, useI18n, type MessageKey } from '../i18n.js';
import { preloadReadingPage } from '../reading-page.js';
import { navigate } from '../router.js';

type StatusFilter = 'open' | 'all' | ConsultStatus;
type PriorityFilter = 'all' | Priority;
type SortKey = 'priority' | 'due' | 'waiting';

const priorityRank: Record<Priority, number> = { stat: 0, urgent: 1, routine: 2 };

/**
 * The specialist's worklist: consults addressed to the centre, most urgent first, with filters,
 * search, claim/release and keyboard navigation (↑/↓, Enter, C, /). Patients by pseudonym only.
 */
export function Worklist(props: { me: Me }) {
  const { t, language } = useI18n();
  const [consults, setConsults] = useState<ConsultSummary[] | null>(null);
  const [status, setStatus] = useState<StatusFilter>('open');
  const [priority, setPriority] = useState<PriorityFilter>('all');
  const [modality, setModality] = useState('all');
  const [sort, setSort] = useState<SortKey>('priority');
  const [query, setQuery] = useState('');
  const [cursor, setCursor] = useState(0);
  const cursorRef = useRef(cursor);
  cursorRef.current = cursor;
  const [message, setMessage] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const search = useRef<HTMLInputElement>(null);
  const table = useRef<HTMLTableSectionElement>(null);

  const load = () =>
    api<{ consults: ConsultSummary[] }>('/api/consults')
      .then((body) => setConsults(body.consults))
      .catch(() => setMessage('worklist.actionFailed'));

  useEffect(preloadReadingPage, []);

  useEffect(() => {
    void load();
    const tick = setInterval(() => setNow(Date.now()), 60_000);
    const onVisible = () => {
      if (document.visibilityState === 'visible') void load();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(tick);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, []);

  const modalities = useMemo(() => [...new Set((consults ?? []).flatMap(modalitiesOf))].sort(), [consults]);

  const rows = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const filtered = (consults ?? []).filter((c) => {
      if (status === 'open' ? c.status !== 'new' && c.status !== 'in_progress' : status !== 'all' && c.status !== status) return false;
      if (priority !== 'all' && c.priority !== priority) return false;
      if (modality !== 'all' && !modalitiesOf(c).includes(modality)) return false;
      if (!needle) return true;
      const haystack = [
        c.clinicalQuestion,
        c.sendingHospital.name,
        ...modalitiesOf(c),
        ...(c.bodyParts ?? []),
        ...c.studies.flatMap((s) => [s.patient.pseudonymName, s.patient.pseudonymId, s.description ?? '']),
      ]
        .join(' ')
        .toLowerCase();
      return haystack.includes(needle);
    });
    const due = (c: ConsultSummary) => new Date(c.dueAt).getTime();
    const created = (c: ConsultSummary) => new Date(c.createdAt).getTime();
    return filtered.sort((a, b) => {
      if (sort === 'due') return due(a) - due(b);
      if (sort === 'waiting') return created(a) - created(b);
      return priorityRank[a.priority] - priorityRank[b.priority] || due(a) - due(b);
    });
  }, [consults, status, priority, modality, sort, query]);

  const current = rows[Math.min(cursor, rows.length - 1)];

  const replace = (updated: ConsultSummary) => setConsults((list) => (list ?? []).map((c) => (c.id === updated.id ? { ...c, ...updated } : c)));

  const toggleClaim = async (consult: ConsultSummary) => {
    const mine = consult.claimedBy?.id === props.me.user.id;
    setBusy(consult.id);
    setMessage(null);
    try {
      const { consult: updated } = await api<{ consult: ConsultSummary }>(`/api/consults/${encodeURIComponent(consult.id)}/${mine ? 'release' : 'claim'}`, { method: 'POST' });
      replace(updated);
    } catch (error) {
      setMessage(error instanceof ApiError && error.status === 409 ? 'worklist.claimConflict' : 'worklist.actionFailed');
      void load();
    } finally {
      setBusy(null);
    }
  };

  useWindowKeydown((event) => {
    const target = event.target as HTMLElement | null;
    const typing = target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (typing) {
      if (event.key === 'Escape' || (event.key === 'ArrowDown' && target === search.current)) {
        (target as HTMLElement).blur();
        table.current?.querySelector<HTMLElement>('tr[aria-selected="true"]')?.focus();
        event.preventDefault();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Keys can arrive faster than renders: the row under the cursor is read from the ref,
    // which each key updates at once, not from the last render.
    const selected = rows[Math.min(cursorRef.current, rows.length - 1)];
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      cursorRef.current = Math.max(0, Math.min(rows.length - 1, cursorRef.current + (event.key === 'ArrowDown' ? 1 : -1)));
      setCursor(cursorRef.current);
    } else if (event.key === 'Enter' && selected) {
      event.preventDefault();
      navigate(`/consults/${selected.id}/read`);
    } else if ((event.key === 'c' || event.key === 'C') && selected) {
      event.preventDefault();
      void toggleClaim(selected);
    } else if (event.key === '/') {
      event.preventDefault();
      search.current?.focus();
    }
  });

  useEffect(() => {
    table.current?.querySelector<HTMLElement>('tr[aria-selected="true"]')?.focus({ preventScroll: false });
  }, [cursor]);

  if (!consults) return <p>{t('loading')}</p>;
  return (
    <section data-testid="worklist">
      <div class="worklist-controls">
        <label class="search">
          {t('worklist.search')}
          <input ref={search} type="search" value={query} placeholder={t('worklist.searchPlaceholder')} data-testid="worklist-search" onInput={(e) => (setQuery((e.target as HTMLInputElement).value), setCursor(0))} />
        </label>
        <label>
          {t('worklist.status')}
          <select value={status} data-testid="filter-status" onChange={(e) => (setStatus((e.target as HTMLSelectElement).value as StatusFilter), setCursor(0))}>
            <option value="open">{t('worklist.open')}</option>
            <option value="all">{t('worklist.all')}</option>
            {(['new', 'in_progress', 'reported'] as const).map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('worklist.priority')}
          <select value={priority} data-testid="filter-priority" onChange={(e) => (setPriority((e.target as HTMLSelectElement).value as PriorityFilter), setCursor(0))}>
            <option value="all">{t('worklist.all')}</option>
            {(['stat', 'urgent', 'routine'] as const).map((p) => (
              <option key={p} value={p}>
                {t(`priority.${p}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('worklist.modality')}
          <select value={modality} data-testid="filter-modality" onChange={(e) => (setModality((e.target as HTMLSelectElement).value), setCursor(0))}>
            <option value="all">{t('worklist.all')}</option>
            {modalities.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('worklist.sort')}
          <select value={sort} data-testid="sort" onChange={(e) => setSort((e.target as HTMLSelectElement).value as SortKey)}>
            <option value="priority">{t('worklist.sort.priority')}</option>
            <option value="due">{t('worklist.sort.due')}</option>
            <option value="waiting">{t('worklist.sort.waiting')}</option>
          </select>
        </label>
      </div>
      <p class="muted">
        {rows.length} / {consults.length} {t('worklist.shown')} · {t('worklist.keys')}
      </p>
      {message && (
        <p class="error" role="alert" data-testid="worklist-message">
          {t(message)}
        </p>
      )}
      {rows.length === 0 ? (
        <p class="empty" data-testid="empty-list">
          {consults.length === 0 ? t('empty') : t('worklist.noMatch')}
        </p>
      ) : (
        <table class="table worklist" data-testid="consult-list">
          <thead>
            <tr>
              <th>{t('consult.priority')}</th>
              <th>{t('consult.status')}</th>
              <th>{t('study.patient')}</th>
              <th>{t('worklist.modality')}</th>
              <th>{t('worklist.bodyPart')}</th>
              <th>{t('worklist.question')}</th>
              <th>{t('consult.sender')}</th>
              <th>{t('worklist.waiting')}</th>
              <th>{t('consult.due')}</th>
              <th />
            </tr>
          </thead>
          <tbody ref={table}>
            {rows.map((consult, i) => {
              const selected = consult === current;
              const mine = consult.claimedBy?.id === props.me.user.id;
              const closed = consult.status === 'reported' || consult.status === 'cancelled';
              return (
                <tr
                  key={consult.id}
                  data-testid="consult-row"
                  data-id={consult.id}
                  data-status={consult.status}
                  data-priority={consult.priority}
                  aria-selected={selected}
                  tabIndex={selected ? 0 : -1}
                  class={consult.overdue ? 'overdue' : undefined}
                  onClick={() => setCursor(i)}
                  onDblClick={() => navigate(`/consults/${consult.id}/read`)}
                >
                  <td>
                    <span class={`badge priority-${consult.priority}`}>{t(`priority.${consult.priority}`)}</span>
                  </td>
                  <td>
                    <span class={`badge status-${consult.status}`} data-testid="consult-status">
                      {t(`status.${consult.status}`)}
                    </span>
                    {consult.claimedBy && (
                      <div class="muted" data-testid="claimed-by">
                        {t('worklist.claimedBy')}: <bdi>{mine ? t('worklist.mine') : consult.claimedBy.displayName}</bdi>
                      </div>
                    )}
                  </td>
                  <td>
                    {distinctPatients(consult).map((study) => (
                      <div key={study.id}>
                        <PatientLabel study={study} />
                        <span class="muted">
                          {' '}
                          {study.patient.sex ?? ''} {formatAge(study.patient.age, language)}
                        </span>
                      </div>
                    ))}
                  </td>
                  <td>
                    <Link href={`/consults/${consult.id}`} testId="consult-link">
                      {modalitiesOf(consult).join(', ') || '—'}
                    </Link>
                  </td>
                  <td>{(consult.bodyParts ?? []).join(', ')}</td>
                  <td class="question">
                    <bdi>{consult.clinicalQuestion}</bdi>
                    <UnreadBadge count={consult.unreadMessages} />
                    <ReferralBadge referral={consult.referral} />
                  </td>
                  <td>{consult.sendingHospital.name}</td>
                  <td data-testid="waiting">{formatDuration(now - new Date(consult.createdAt).getTime(), t)}</td>
                  <td>
                    {formatDateTime(consult.dueAt, language)}
                    {!closed && <DueCountdown dueAt={consult.dueAt} now={now} />}
                    {consult.overdue && (
                      <span class="badge danger" data-testid="overdue">
                        {' '}
                        {t('consult.overdue')}
                      </span>
                    )}
                  </td>
                  <td>
                    <span class="row-actions">
                      <Link href={`/consults/${consult.id}/read`} class="button" testId="read-link">
                        {t('worklist.read')}
                      </Link>
                      {!closed && (!consult.claimedBy || mine) && (
                        <button type="button" class="secondary" data-testid={mine ? 'release' : 'claim'} disabled={busy === consult.id} onClick={() => void toggleClaim(consult)}>
                          {t(mine ? 'worklist.release' : 'worklist.claim')}
                        </button>
                      )}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function modalitiesOf(consult: ConsultSummary): string[] {
  return consult.modalities ?? [...new Set(consult.studies.flatMap((s) => s.modalities))].sort();
}

/** Time left to the due time, or how late, updated with the worklist's minute clock. */
function DueCountdown(props: { dueAt: string; now: number }) {
  const { t } = useI18n();
  const left = new Date(props.dueAt).getTime() - props.now;
  return (
    <div class={left < 0 ? 'danger-text' : 'muted'} data-testid="due-in">
      {(left >= 0 ? t('worklist.dueIn') : t('worklist.late')).replace('{time}', formatDuration(Math.abs(left), t))}
    </div>
  );
}
