import { createHmac } from 'node:crypto';

import { dateShiftFromBytes, patientKeyOf, pseudonymFromBytes, uidFromBytes, type PseudonymStore } from '@yunzhen/dicom';

import type { HospitalKeys } from '../vault/keys.js';

/**
 * The server's pseudonym store: pseudonyms are HMAC-SHA256 of the original under the sending
 * hospital's keys. Deterministic, so the same original UID or patient gets the same
 * pseudonym on every upload (which makes re-sending idempotent, even concurrently) with
 * nothing to look up; keyed per hospital, so two hospitals never share a pseudonym and
 * nobody without the key can recompute one. The way back is the vault.
 */
export function createHmacPseudonymStore(keys: HospitalKeys, tenantId: string): PseudonymStore {
  const uidKey = keys.forTenant(tenantId, 'uid');
  const patientKey = keys.forTenant(tenantId, 'patient');
  return {
    resolve(request) {
      const uids = new Map(request.uids.map((uid) => [uid, pseudonymUid(uidKey, uid)]));
      const digest = createHmac('sha256', patientKey).update(patientKeyOf(request.patient), 'utf8').digest();
      const pseudonymId = pseudonymFromBytes('YZ', digest.subarray(0, 10));
      return Promise.resolve({
        uids,
        patient: { id: pseudonymId, name: `ANONYMOUS^${pseudonymId}` },
        dateShiftDays: dateShiftFromBytes(digest.subarray(10, 12)),
      });
    },
  };
}

/** The pseudonym of one original UID for this hospital (also used to find an upload's stored copy). */
export function pseudonymUid(uidKey: Buffer, originalUid: string): string {
  return uidFromBytes(createHmac('sha256', uidKey).update(originalUid, 'utf8').digest().subarray(0, 16));
}
