import { useEffect, useState } from 'preact/hooks';

import { api, type ConsultSummary, type Me } from '../api.js';
import { formatDateTime, useI18n } from '../i18n.js';
import { refusalText } from '../reasons.js';
import { navigate } from '../router.js';
import { Link } from './link.js';

export interface BoardListItem {
  id: string;
  title: string;
  scheduledAt: string;
  chair: string;
  isChair: boolean;
  cases: number;
  joinedAt: string | null;
}

/** The tumour board sessions the user takes part in (nothing when there are none), each a link to the session. */
export function BoardList() {
  const { t, language } = useI18n();
  const [boards, setBoards] = useState<BoardListItem[]>([]);
  useEffect(() => {
    void api<{ boards: BoardListItem[] }>('/api/boards')
      .then((body) => setBoards(body.boards))
      .catch(() => undefined);
  }, []);
  if (!boards.length) return null;
  return (
    <section class="board-list" data-testid="board-list">
      <h2>{t('board.sessions')}</h2>
      <ul>
        {boards.map((b) => (
          <li key={b.id} data-testid="board-row">
            <Link href={`/boards/${b.id}`} testId="open-board">
              {b.title}
            </Link>{' '}
            · {formatDateTime(b.scheduledAt, language)} · {t('board.chair')}: {b.chair} · {t('board.caseCount').replace('{count}', String(b.cases))}
          </li>
        ))}
      </ul>
    </section>
  );
}

interface Candidates {
  specialists: { userId: string; displayName: string }[];
  /** By name only: the sending hospital's user ids are its own. */
  referringDoctors: { displayName: string }[];
}

/** A licensed specialist of the reading centre schedules a tumour board on this consult: title, time, participants. */
export function BoardScheduler(props: { me: Me; consult: ConsultSummary }) {
  const { t, language } = useI18n();
  const [open, setOpen] = useState(false);
  const [candidates, setCandidates] = useState<Candidates>({ specialists: [], referringDoctors: [] });
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [referringDoctors, setReferringDoctors] = useState(false);
  const [title, setTitle] = useState('');
  const [when, setWhen] = useState(() => localInput(new Date(Date.now() + 60 * 60 * 1000)));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    void api<Candidates>(`/api/consults/${props.consult.id}/board-candidates`)
      .then(setCandidates)
      .catch((caught: unknown) => setError(refusalText(caught, language)));
  }, [open]);

  if (!open) {
    return (
      <p>
        <button type="button" data-testid="board-schedule-open" onClick={() => setOpen(true)}>
          {t('board.schedule')}
        </button>
      </p>
    );
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { board } = await api<{ board: { id: string } }>('/api/boards', {
        method: 'POST',
        body: { title: title.trim(), scheduledAt: new Date(when).toISOString(), consultIds: [props.consult.id], participantIds: [...chosen], referringDoctors },
      });
      navigate(`/boards/${board.id}`);
    } catch (caught) {
      setError(refusalText(caught, language));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="board-scheduler" data-testid="board-scheduler" onSubmit={(e) => void submit(e)}>
      <h2>{t('board.schedule')}</h2>
      <label>
        {t('board.title')} <input name="title" required maxLength={200} value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        {t('board.when')} <input name="scheduledAt" type="datetime-local" required value={when} onInput={(e) => setWhen((e.target as HTMLInputElement).value)} />
      </label>
      <fieldset>
        <legend>{t('board.participants')}</legend>
        {candidates.specialists.map((c) => (
          <label key={c.userId} class="candidate" data-testid="board-candidate">
            <input
              type="checkbox"
              name="participant"
              value={c.userId}
              checked={chosen.has(c.userId)}
              onChange={(e) => {
                const next = new Set(chosen);
                if ((e.target as HTMLInputElement).checked) next.add(c.userId);
                else next.delete(c.userId);
                setChosen(next);
              }}
            />{' '}
            {c.displayName} <span class="muted">({t('board.fromCentre')})</span>
          </label>
        ))}
        {candidates.referringDoctors.length > 0 && (
          <label class="candidate" data-testid="board-candidate-referring">
            <input type="checkbox" name="referringDoctors" checked={referringDoctors} onChange={(e) => setReferringDoctors((e.target as HTMLInputElement).checked)} />{' '}
            {candidates.referringDoctors.map((d) => d.displayName).join(', ')} <span class="muted">({t('board.fromSender')})</span>
          </label>
        )}
      </fieldset>
      {error && (
        <p class="error" role="alert" data-testid="board-error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy || (chosen.size === 0 && !referringDoctors)} data-testid="board-schedule">
        {t('board.scheduleSubmit')}
      </button>
    </form>
  );
}

/** A date as a datetime-local input wants it: local time, minutes. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
