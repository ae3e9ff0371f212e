import { Hono } from 'hono';
import { z } from 'zod';

import type { Repositories, TurnaroundRow } from '@yunzhen/db';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireRole, requireUser } from '../auth/authenticate.js';
import { AppError } from '../errors.js';
import { readJson } from '../validation.js';

const minutes = z.number().int().min(5).max(43_200);
const levelsSchema = z.object({ stat: minutes, urgent: minutes, routine: minutes }).strict().refine((l) => l.stat <= l.urgent && l.urgent <= l.routine, 'stat must not take longer than urgent, nor urgent than routine');

const HOUR = 60 * 60 * 1000;
/** The dashboard's default window: the last twelve months. */
const DEFAULT_WINDOW_MS = 365 * 24 * HOUR;

/** The value at quantile `q` of sorted numbers (nearest rank), or null for none. */
function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const round1 = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

/** Overdue: signed after its due time, or still open past it. */
const isOverdue = (row: TurnaroundRow, now: Date) => (row.signedAt ? row.signedAt > row.dueAt : now > row.dueAt);

/** Counts, turnaround quantiles (hours from sending to signature), overdue and second-reader agreement of some consults. */
function summarize(rows: TurnaroundRow[], now: Date) {
  const hours = rows.flatMap((r) => (r.signedAt ? [(r.signedAt.getTime() - r.createdAt.getTime()) / HOUR] : [])).sort((a, b) => a - b);
  const verdicts = rows.flatMap((r) => r.verdicts);
  return {
    consults: rows.length,
    signed: hours.length,
    medianHours: round1(quantile(hours, 0.5)),
    p90Hours: round1(quantile(hours, 0.9)),
    overdue: rows.filter((r) => isOverdue(r, now)).length,
    opinions: verdicts.length,
    agreement: verdicts.length ? round1((100 * verdicts.filter((v) => v === 'agree').length) / verdicts.length) : null,
  };
}

function groupBy(rows: TurnaroundRow[], keys: (row: TurnaroundRow) => string[]): Map<string, TurnaroundRow[]> {
  const groups = new Map<string, TurnaroundRow[]>();
  for (const row of rows) {
    for (const key of keys(row)) {
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
  }
  return groups;
}

/** A CSV field: quoted when it holds a separator, quote or line break; a leading =,+,-,@ is defused for spreadsheets. */
function csvField(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Turnaround you can see: each user's notifications (the bell), a reading centre's service levels
 * per priority, and the admins' dashboard of turnaround by hospital, modality and month with a CSV
 * export. Nothing here carries patient data: consults appear by reference, hospital and modality.
 */
export function turnaroundRoutes(deps: { repos: Repositories; audit: AuditWriter; now: () => Date }) {
  const { repos } = deps;

  async function dashboardRows(c: Parameters<typeof requireRole>[0]) {
    const { tenant } = requireRole(c, 'admin');
    const to = c.req.query('to') ? new Date(c.req.query('to')!) : deps.now();
    const from = c.req.query('from') ? new Date(c.req.query('from')!) : new Date(to.getTime() - DEFAULT_WINDOW_MS);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) throw new AppError('InvalidRequest', 'invalid: from and to must be dates, from before to');
    const side = tenant.kind === 'sending' ? 'sender' : 'reader';
    return { side, from, to, rows: await repos.turnaround.turnaroundRows(tenant.id, side, from, to) } as const;
  }

  return new Hono<AppEnv>()
    .get('/notifications', async (c) => {
      const { user } = requireUser(c);
      const [items, unread] = await Promise.all([repos.turnaround.notificationsFor(user.id), repos.turnaround.unreadNotifications(user.id)]);
      return c.json({
        unread,
        notifications: items.map((n) => ({ id: n.id, kind: n.kind, consultId: n.consult_id, priority: n.priority, dueAt: n.due_at.toISOString(), consultStatus: n.status, createdAt: n.created_at.toISOString(), read: n.read_at !== null })),
      });
    })
    .post('/notifications/read', async (c) => {
      const { user } = requireUser(c);
      await repos.turnaround.markNotificationsRead(user.id, deps.now());
      return c.json({ unread: 0 });
    })
    .get('/service-levels', async (c) => {
      const { tenant } = requireUser(c);
      if (tenant.kind === 'sending') throw new AppError('Forbidden', 'service levels belong to reading centres');
      return c.json({ levels: await repos.turnaround.serviceLevels(tenant.id) });
    })
    .put('/service-levels', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      if (tenant.kind === 'sending') throw new AppError('Forbidden', 'service levels belong to reading centres');
      const levels = await readJson(c, levelsSchema);
      await repos.turnaround.setServiceLevels(tenant.id, levels);
      await deps.audit(c, { eventCode: AuditEvent.UserSecurityAttributesChanged, action: 'U', outcome: Outcome.Success, objectType: 'service_level', objectId: tenant.id, detail: levels });
      return c.json({ levels });
    })
    .get('/dashboard/turnaround', async (c) => {
      const { side, from, to, rows } = await dashboardRows(c);
      const now = deps.now();
      const counterpart = (r: TurnaroundRow) => [side === 'reader' ? r.sendingHospital : r.readingCentre];
      const table = (groups: Map<string, TurnaroundRow[]>) => [...groups].map(([key, group]) => ({ key, ...summarize(group, now) })).sort((a, b) => a.key.localeCompare(b.key));
      const open = rows.filter((r) => !r.signedAt && now > r.dueAt);
      return c.json({
        from: from.toISOString(),
        to: to.toISOString(),
        side,
        overall: summarize(rows, now),
        byHospital: table(groupBy(rows, counterpart)),
        byModality: table(groupBy(rows, (r) => (r.modalities.length ? r.modalities : ['—']))),
        byMonth: table(groupBy(rows, (r) => [r.createdAt.toISOString().slice(0, 7)])),
        byPriority: table(groupBy(rows, (r) => [r.priority])),
        // Every signed consult's hours, for the distribution chart.
        turnaroundHours: rows.flatMap((r) => (r.signedAt ? [round1((r.signedAt.getTime() - r.createdAt.getTime()) / HOUR)!] : [])),
        overdueOpen: open.map((r) => ({ id: r.id, reference: r.id.slice(0, 8).toUpperCase(), priority: r.priority, hospital: counterpart(r)[0], dueAt: r.dueAt.toISOString() })),
      });
    })
    .get('/dashboard/turnaround.csv', async (c) => {
      const { rows } = await dashboardRows(c);
      const now = deps.now();
      const header = ['reference', 'priority', 'status', 'sending_hospital', 'reading_centre', 'modalities', 'created_at', 'due_at', 'claimed_at', 'signed_at', 'turnaround_hours', 'overdue', 'opinions_agree', 'opinions_total'];
      const lines = rows.map((r) =>
        [
          r.id.slice(0, 8).toUpperCase(),
          r.priority,
          r.status,
          r.sendingHospital,
          r.readingCentre,
          r.modalities.join('/'),
          r.createdAt.toISOString(),
          r.dueAt.toISOString(),
          r.claimedAt?.toISOString() ?? null,
          r.signedAt?.toISOString() ?? null,
          r.signedAt ? round1((r.signedAt.getTime() - r.createdAt.getTime()) / HOUR) : null,
          isOverdue(r, now) ? 'yes' : 'no',
          r.verdicts.filter((v) => v === 'agree').length,
          r.verdicts.length,
        ]
          .map(csvField)
          .join(','),
      );
      return c.body([header.join(','), ...lines].join('\r\n') + '\r\n', 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="turnaround-${now.toISOString().slice(0, 10)}.csv"`,
      });
    });
}
