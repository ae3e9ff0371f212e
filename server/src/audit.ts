import type { Context } from 'hono';

import type { AuditAction, AuditOutcome, AuditRepository } from '@yunzhen/db';

import type { AppEnv } from './app-env.js';

/** DICOM PS3.15 A.5 audit event ids (DCM codes) that Yunzhen records. */
export const AuditEvent = {
  InstancesAccessed: '110103',
  InstancesTransferred: '110104',
  Export: '110106',
  Import: '110107',
  PatientRecord: '110110',
  ProcedureRecord: '110111',
  Query: '110112',
  UserAuthentication: '110114',
  SecurityAlert: '110113',
  UserSecurityAttributesChanged: '110137',
} as const;

/** PS3.15 A.5.1 EventOutcomeIndicator values. */
export const Outcome = { Success: 0, MinorFailure: 4, SeriousFailure: 8, MajorFailure: 12 } as const satisfies Record<string, AuditOutcome>;

export interface AuditEntry {
  eventCode: (typeof AuditEvent)[keyof typeof AuditEvent];
  action: AuditAction;
  outcome: AuditOutcome;
  /** Defaults to the calling user. */
  userId?: string | null;
  /** Defaults to the calling user's tenant. */
  tenantId?: string | null;
  objectType?: string;
  objectId?: string;
  /** Reason codes and counts only, never patient data or secrets. */
  detail?: Record<string, unknown>;
  /** Record it only if no event with this key was recorded in the window starting at `windowStart`, by any replica. */
  once?: { key: string; windowStart: Date };
}

/** Records one or more events of a request in one write. */
export type AuditWriter = (c: Context<AppEnv>, ...entries: AuditEntry[]) => Promise<void>;

/**
 * The one audit writer every route uses. It fills in who, from where and which request;
 * a failed write fails the request, because an access that cannot be audited must not happen.
 */
export function createAuditWriter(repo: AuditRepository, sourceIp: (c: Context<AppEnv>) => string | null): AuditWriter {
  return async (c, ...entries) => {
    const principal = c.var.principal;
    const records = entries.map((entry) => ({
        eventCode: entry.eventCode,
        action: entry.action,
        outcome: entry.outcome,
        userId: entry.userId !== undefined ? entry.userId : (principal?.user.id ?? null),
        tenantId: entry.tenantId !== undefined ? entry.tenantId : (principal?.tenant.id ?? null),
        sourceIp: sourceIp(c),
        requestId: c.var.requestId,
        objectType: entry.objectType ?? null,
        objectId: entry.objectId ?? null,
        detail: entry.detail,
      }));
    await repo.record(...records.filter((_, i) => !entries[i]!.once));
    for (const [i, entry] of entries.entries()) {
      if (entry.once) await repo.recordOncePerWindow(entry.once.key, entry.once.windowStart, records[i]!);
    }
  };
}
