import type { ReferralRow } from '@yunzhen/db';

/** A referral as every side of it sees it: centres and people by name, never the patient. */
export function referralSummary(row: ReferralRow | undefined) {
  if (!row) return null;
  return {
    id: row.id,
    status: row.status,
    kind: row.kind,
    reason: row.reason,
    fromCentre: { id: row.from_tenant_id, name: row.from_tenant_name },
    toCentre: { id: row.to_tenant_id, name: row.to_tenant_name },
    requestedBy: { id: row.requested_by, displayName: row.requested_by_name },
    requestedAt: row.requested_at.toISOString(),
    consent: row.consent_by && row.consent_at ? { by: { id: row.consent_by, displayName: row.consent_by_name ?? '' }, at: row.consent_at.toISOString() } : null,
    partnerReader: row.partner_reader_id ? { id: row.partner_reader_id, displayName: row.partner_reader_name ?? '' } : null,
    submittedAt: row.submitted_at?.toISOString() ?? null,
    /** The report version the partner submitted: the one the first centre countersigns. */
    submittedVersion: row.submitted_version,
    countersignedBy: row.countersigned_by ? { id: row.countersigned_by, displayName: row.countersigned_by_name ?? '' } : null,
    countersignedAt: row.countersigned_at?.toISOString() ?? null,
    comment: row.comment,
  };
}

export type ReferralSummary = NonNullable<ReturnType<typeof referralSummary>>;
