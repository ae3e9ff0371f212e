import { sql, type Kysely } from 'kysely';

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

    /**
     * Records `event` unless an event with the same `key` was recorded in the window starting
     * at `windowStart`, by any process on this database: one statement claims the key and
     * writes the event, so two replicas racing for it write it once. True when it was written.
     */
    async recordOncePerWindow(key: string, windowStart: Date, event: AuditRecord): Promise<boolean> {
      const result = await sql`
        with claimed as (
          insert into audit_window (key, window_start) values (${key}, ${windowStart}) on conflict do nothing returning 1
        )
        insert into audit_event (event_code, event_action, outcome, user_id, tenant_id, source_ip, request_id, object_type, object_id, detail)
        select ${event.eventCode}::text, ${event.action}::text, ${event.outcome}::integer, ${event.userId ?? null}::uuid, ${event.tenantId ?? null}::uuid,
               ${event.sourceIp ?? null}::text, ${event.requestId ?? null}::text, ${event.objectType ?? null}::text, ${event.objectId ?? null}::text,
               ${JSON.stringify(event.detail ?? {})}::jsonb
        from claimed`.execute(db);
      return (result.numAffectedRows ?? 0n) > 0n;
    },

    /** Forgets the windows that started before `before`: their keys can no longer collide. */
    async forgetWindowsBefore(before: Date): Promise<number> {
      const result = await db.deleteFrom('audit_window').where('window_start', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
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
