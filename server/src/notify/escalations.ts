import type { Logger } from 'pino';

import { asSystem, type Escalation, type NotificationKind, type Repositories } from '@yunzhen/db';

import { AuditEvent, Outcome } from '../audit.js';

/** What the e-mail says, in both languages; no patient, only the consult's reference and time. */
const words: Record<NotificationKind, { 'zh-CN': string; en: string }> = {
  'consult-due-soon': { 'zh-CN': '即将超时（已用 80% 时限）', en: 'due soon (80 % of its time used)' },
  'consult-overdue': { 'zh-CN': '已超时', en: 'overdue' },
  'consult-reassigned': { 'zh-CN': '已超时，已改派给您', en: 'overdue and now assigned to you' },
};

/**
 * Escalation when a consult runs out of time: at 80 % of its time the specialist who claimed it
 * and the centre's leads (its admins, who assign work) are told, at 100 % again; in the app (the
 * bell) and by e-mail when SMTP_URL is set. At 100 % a consult nobody has started a report on is
 * reassigned to the centre's least busy other specialist, who is told; a report in progress stays
 * with its reader (the leads can still move it from the worklist). Each threshold fires once per
 * consult, on one replica.
 */
export function createEscalations(deps: { repos: Repositories; logger: Logger; now: () => Date; email: boolean; publicUrl: string | undefined }) {
  async function tell(kind: NotificationKind, escalation: Escalation, now: Date, reassignedTo?: string): Promise<number> {
    const staff = (await deps.repos.users.listByTenant(escalation.readingTenantId)).filter((u) => !u.disabled_at);
    const people = staff
      .filter((u) => u.role === 'admin' || u.id === escalation.claimedBy || u.id === reassignedTo)
      .map((u) => ({ ...u, kind: u.id === reassignedTo ? ('consult-reassigned' as const) : kind }));
    await deps.repos.turnaround.notify(people.map((u) => ({ userId: u.id, kind: u.kind, consultId: escalation.consultId })), now);
    if (deps.email) {
      const reference = escalation.consultId.slice(0, 8).toUpperCase();
      const link = deps.publicUrl ? `\n\n${deps.publicUrl.replace(/\/$/, '')}/consults/${escalation.consultId}/read` : '';
      await deps.repos.messages.queueEmails(
        people.map((u) => ({
          tenantId: escalation.readingTenantId,
          to: u.email,
          subject: `[云诊 Yunzhen] ${reference}: ${words[u.kind]['zh-CN']} / ${words[u.kind].en}`,
          body: `会诊 ${reference}（${escalation.priority}）${words[u.kind]['zh-CN']}，截止 ${escalation.dueAt.toISOString()}。\nConsult ${reference} (${escalation.priority}) is ${words[u.kind].en}; due ${escalation.dueAt.toISOString()}.${link}`,
        })),
        now,
      );
    }
    return people.length;
  }

  return {
    /** One pass: overdue first, so a consult found past both thresholds is reported once, as overdue. */
    tick(): Promise<{ dueSoon: number; overdue: number }> {
      // Every reading centre's consults at once: the named system path.
      return asSystem('escalations', pass);
    },
  };

  async function pass(): Promise<{ dueSoon: number; overdue: number }> {
    const now = deps.now();
    const counts = { dueSoon: 0, overdue: 0 };
    for (const kind of ['consult-overdue', 'consult-due-soon'] as const) {
      for (const escalation of await deps.repos.turnaround.claimEscalations(kind, now)) {
        const reassignedTo = kind === 'consult-overdue' ? await reassign(escalation, now) : undefined;
        const told = await tell(kind, escalation, now, reassignedTo);
        deps.logger.info({ consult: escalation.consultId, kind, told, reassigned: Boolean(reassignedTo) }, 'consult escalated');
        counts[kind === 'consult-overdue' ? 'overdue' : 'dueSoon']++;
      }
    }
    return counts;
  }

  /** Gives an overdue consult nobody has begun to report to the least busy other specialist; returns who, if anyone. */
  async function reassign(escalation: Escalation, now: Date): Promise<string | undefined> {
    if (await deps.repos.turnaround.reportStarted(escalation.consultId)) return undefined;
    const next = await deps.repos.turnaround.leastBusySpecialist(escalation.readingTenantId, escalation.claimedBy);
    if (!next || !(await deps.repos.consults.assign(escalation.readingTenantId, escalation.consultId, next, now))) return undefined;
    await deps.repos.audit.record({
      eventCode: AuditEvent.ProcedureRecord,
      action: 'U',
      outcome: Outcome.Success,
      userId: null,
      tenantId: escalation.readingTenantId,
      objectType: 'consult',
      objectId: escalation.consultId,
      detail: { change: 'reassigned', from: escalation.claimedBy, to: next, by: 'escalation' },
    });
    return next;
  }
}
