import type { Chart } from 'chart.js';
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

import { api, type Me } from '../api.js';
import { Link } from '../components/link.js';
import { formatDateTime, useI18n, type MessageKey } from '../i18n.js';
import { refusalText } from '../reasons.js';

interface Summary {
  consults: number;
  signed: number;
  medianHours: number | null;
  p90Hours: number | null;
  overdue: number;
  opinions: number;
  agreement: number | null;
}

interface Group extends Summary {
  key: string;
}

interface Dashboard {
  from: string;
  to: string;
  side: 'reader' | 'sender';
  overall: Summary;
  byHospital: Group[];
  byModality: Group[];
  byMonth: Group[];
  byPriority: Group[];
  turnaroundHours: number[];
  overdueOpen: { id: string; reference: string; priority: 'routine' | 'urgent' | 'stat'; hospital: string; dueAt: string }[];
}

type Levels = Record<'stat' | 'urgent' | 'routine', number>;

/** Hour buckets of the turnaround distribution: what a service level is measured in. */
const BUCKETS = [1, 4, 24, 72, 168];

function histogram(hours: number[]): { label: string; count: number }[] {
  const labels = [...BUCKETS.map((b, i) => `${i === 0 ? 0 : BUCKETS[i - 1]}–${b} h`), `> ${BUCKETS.at(-1)} h`];
  const counts = labels.map(() => 0);
  for (const h of hours) {
    const i = BUCKETS.findIndex((b) => h <= b);
    counts[i === -1 ? BUCKETS.length : i]!++;
  }
  return labels.map((label, i) => ({ label, count: counts[i]! }));
}

/** A bar chart drawn with Chart.js (loaded with this page only), redrawn when its data change. */
function BarChart(props: { labels: string[]; values: number[]; label: string; testId: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let chart: Chart | undefined;
    let cancelled = false;
    void import('chart.js/auto').then(({ default: ChartJs }) => {
      if (cancelled || !canvas.current) return;
      chart = new ChartJs(canvas.current, {
        type: 'bar',
        data: { labels: props.labels, datasets: [{ label: props.label, data: props.values, backgroundColor: '#3fa7d6' }] },
        options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    });
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [props.labels.join('\n'), props.values.join(',')]);
  return (
    <figure class="chart" data-testid={props.testId}>
      <figcaption>{props.label}</figcaption>
      <div class="chart-box">
        <canvas ref={canvas} />
      </div>
    </figure>
  );
}

const isPriority = (key: string): key is 'stat' | 'urgent' | 'routine' => key === 'stat' || key === 'urgent' || key === 'routine';

function GroupTable(props: { title: string; groups: Group[]; testId: string }) {
  const { t } = useI18n();
  const hours = (h: number | null) => (h === null ? '—' : `${h} h`);
  return (
    <section>
      <h2>{props.title}</h2>
      <table class="table" data-testid={props.testId}>
        <thead>
          <tr>
            <th />
            <th>{t('dashboard.consults')}</th>
            <th>{t('dashboard.signed')}</th>
            <th>{t('dashboard.median')}</th>
            <th>{t('dashboard.p90')}</th>
            <th>{t('dashboard.overdue')}</th>
            <th>{t('dashboard.agreement')}</th>
          </tr>
        </thead>
        <tbody>
          {props.groups.map((g) => (
            <tr key={g.key}>
              <td>{isPriority(g.key) ? t(`priority.${g.key}`) : g.key}</td>
              <td>{g.consults}</td>
              <td>{g.signed}</td>
              <td>{hours(g.medianHours)}</td>
              <td>{hours(g.p90Hours)}</td>
              <td>{g.overdue}</td>
              <td>{g.agreement === null ? '—' : `${g.agreement} % (${g.opinions})`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A reading centre's service levels per priority, in hours, for its admin to change. */
function ServiceLevels() {
  const { t, language } = useI18n();
  const [levels, setLevels] = useState<Levels | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api<{ levels: Levels }>('/api/service-levels').then((body) => setLevels(body.levels), (caught: unknown) => setError(refusalText(caught, language)));
  }, []);
  if (!levels) return error ? <p class="error">{error}</p> : null;
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await api('/api/service-levels', { method: 'PUT', body: levels });
      setSaved(true);
    } catch (caught) {
      setError(refusalText(caught, language));
    }
  };
  return (
    <form class="card wide service-levels" data-testid="service-levels" onSubmit={(e) => void save(e)}>
      <h2>{t('dashboard.levels')}</h2>
      <p class="muted">{t('dashboard.levelsHelp')}</p>
      {(['stat', 'urgent', 'routine'] as const).map((priority) => (
        <label key={priority}>
          {t(`priority.${priority}`)} ({t('dashboard.hours')})
          <input
            name={priority}
            type="number"
            min={0.1}
            step={0.1}
            required
            value={Math.round((levels[priority] / 60) * 10) / 10}
            onInput={(e) => setLevels({ ...levels, [priority]: Math.round(Number(e.currentTarget.value) * 60) })}
          />
        </label>
      ))}
      <button type="submit" data-testid="levels-save">
        {t('dashboard.saveLevels')}
      </button>
      {saved && <p class="success">{t('devices.saved')}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** The admins' turnaround dashboard: distribution, volumes, lateness and agreement, with a CSV of every consult. */
export function TurnaroundPage(props: { me: Me }) {
  const { t, language } = useI18n();
  const [data, setData] = useState<Dashboard | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Dashboard>('/api/dashboard/turnaround').then(setData, (caught: unknown) => setError(refusalText(caught, language)));
  }, []);
  const buckets = data ? histogram(data.turnaroundHours) : [];
  return (
    <main class="page dashboard" data-testid="turnaround-page">
      <p>
        <Link href="/">{t('back')}</Link>
      </p>
      <h1>{t('dashboard.title')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {props.me.tenant.kind !== 'sending' && <ServiceLevels />}
      {data && (
        <>
          <p class="muted">
            {formatDateTime(data.from, language)} – {formatDateTime(data.to, language)} ·{' '}
            <a href="/api/dashboard/turnaround.csv" download data-testid="csv-link">
              {t('dashboard.csv')}
            </a>
          </p>
          <dl class="facts" data-testid="dashboard-overall">
            {(['consults', 'signed', 'medianHours', 'p90Hours', 'overdue'] as const).map((key) => (
              <Fragment key={key}>
                <dt>{t(`dashboard.${key === 'medianHours' ? 'median' : key === 'p90Hours' ? 'p90' : key}` as MessageKey)}</dt>
                <dd data-testid={`overall-${key}`}>{data.overall[key] ?? '—'}</dd>
              </Fragment>
            ))}
          </dl>
          <div class="charts">
            <BarChart testId="chart-distribution" label={t('dashboard.distribution')} labels={buckets.map((b) => b.label)} values={buckets.map((b) => b.count)} />
            <BarChart testId="chart-volume" label={t('dashboard.volume')} labels={data.byMonth.map((g) => g.key)} values={data.byMonth.map((g) => g.consults)} />
            <BarChart testId="chart-hospital" label={t('dashboard.medianByHospital')} labels={data.byHospital.map((g) => g.key)} values={data.byHospital.map((g) => g.medianHours ?? 0)} />
          </div>
          {data.overdueOpen.length > 0 && (
            <section>
              <h2>{t('dashboard.overdueOpen')}</h2>
              <ul data-testid="overdue-open">
                {data.overdueOpen.map((o) => (
                  <li key={o.id}>
                    <Link href={data.side === 'reader' ? `/consults/${o.id}/read` : `/consults/${o.id}`}>{o.reference}</Link>{' '}
                    <span class={`badge priority-${o.priority}`}>{t(`priority.${o.priority}`)}</span> {o.hospital} · {t('consult.due')} {formatDateTime(o.dueAt, language)}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <GroupTable title={t(data.side === 'reader' ? 'dashboard.byHospital' : 'dashboard.byCentre')} groups={data.byHospital} testId="by-hospital" />
          <GroupTable title={t('dashboard.byModality')} groups={data.byModality} testId="by-modality" />
          <GroupTable title={t('dashboard.byPriority')} groups={data.byPriority} testId="by-priority" />
          <GroupTable title={t('dashboard.byMonth')} groups={data.byMonth} testId="by-month" />
        </>
      )}
    </main>
  );
}
