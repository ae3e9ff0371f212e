import type { Kysely } from 'kysely';

import type { AuditAction, AuditEvent, AuditOutcome, Database } from './schema.js';

export interface AuditRecord {
  /** PS3.15 A.5 / DCM event id code, e.g. '110114' User Authentication. */
  eventCode: string;
  action: AuditAction;
  outcome: AuditOutcome;
  userId?: string | null;
  tenantId?: string | null;
  sourceIp?: string | null;
  requestId?: string | null;
  objectType?: string | null;
  objectId?: string | null;
  /** Reason codes and counts only; never patient data, passwords or tokens. */
  detail?: Record<string, unknown>;
}

export function createAuditRepository(db: Kysely<Database>) {
  return {
    async record(...events: AuditRecord[]): Promise<void> {
      if (events.length === 0) return;
      await db
        .insertInto('audit_event')
        .values(
          events.map((event) => ({
            event_code: event.eventCode,
            event_action: event.action,
            outcome: event.outcome,
            user_id: event.userId ?? null,
            tenant_id: event.tenantId ?? null,
            source_ip: event.sourceIp ?? null,
            request_id: event.requestId ?? null,
            object_type: event.objectType ?? null,
            object_id: event.objectId ?? null,
            detail: JSON.stringify(event.detail ?? {}),
          })),
        )
        .execute();
    },

    list(filter: { tenantId?: string; eventCode?: string; limit?: number }): Promise<AuditEvent[]> {
      let query = db.selectFrom('audit_event').selectAll().orderBy('id', 'desc').limit(filter.limit ?? 100);
      if (filter.tenantId) query = query.where('tenant_id', '=', filter.tenantId);
      if (filter.eventCode) query = query.where('event_code', '=', filter.eventCode);
      return query.execute();
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
