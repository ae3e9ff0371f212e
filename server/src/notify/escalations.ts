import type { Logger } from 'pino';

import { asSystem, type Escalation, type NotificationKind, type Repositories } from '@yunzhen/db';

/** What the e-mail says, in both languages; no patient, only the consult's reference and time. */
const words: Record<NotificationKind, { 'zh-CN': string; en: string }> = {
  'consult-due-soon': { 'zh-CN': '即将超时（已用 80% 时限）', en: 'due soon (80 % of its time used)' },
  'consult-overdue': { 'zh-CN': '已超时', en: 'overdue' },
};

/**
 * Escalation when a consult runs out of time: at 80 % of its time the specialist who claimed it
 * and the centre's leads (its admins, who assign work) are told, at 100 % again; in the app (the
 * bell) and by e-mail when SMTP_URL is set. The leads reassign from the worklist. Each threshold
 * fires once per consult, on one replica.
 */
export function createEscalations(deps: { repos: Repositories; logger: Logger; now: () => Date; email: boolean; publicUrl: string | undefined }) {
  async function tell(kind: NotificationKind, escalation: Escalation, now: Date): Promise<number> {
    const staff = (await deps.repos.users.listByTenant(escalation.readingTenantId)).filter((u) => !u.disabled_at);
    const people = staff.filter((u) => u.role === 'admin' || u.id === escalation.claimedBy);
    await deps.repos.turnaround.notify(people.map((u) => ({ userId: u.id, kind, consultId: escalation.consultId })), now);
    if (deps.email) {
      const reference = escalation.consultId.slice(0, 8).toUpperCase();
      const link = deps.publicUrl ? `\n\n${deps.publicUrl.replace(/\/$/, '')}/consults/${escalation.consultId}/read` : '';
      await deps.repos.messages.queueEmails(
        people.map((u) => ({
          tenantId: escalation.readingTenantId,
          to: u.email,
          subject: `[云诊 Yunzhen] ${reference}: ${words[kind]['zh-CN']} / ${words[kind].en}`,
          body: `会诊 ${reference}（${escalation.priority}）${words[kind]['zh-CN']}，截止 ${escalation.dueAt.toISOString()}。\nConsult ${reference} (${escalation.priority}) is ${words[kind].en}; due ${escalation.dueAt.toISOString()}.${link}`,
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
        const told = await tell(kind, escalation, now);
        deps.logger.info({ consult: escalation.consultId, kind, told }, 'consult escalated');
        counts[kind === 'consult-overdue' ? 'overdue' : 'dueSoon']++;
      }
    }
    return counts;
  }
}
