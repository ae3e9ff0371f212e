import { hkdfSync } from 'node:crypto';

/**
 * Per-hospital keys, derived from the root secret (YUNZHEN_SECRET) with HKDF-SHA256
 * (RFC 5869): key = HKDF(ikm = secret, salt = "yunzhen/keys/v1", info = "<purpose>:<tenant id>", 32 bytes).
 *
 * - `vault`      AES-256-GCM key for the hospital's original identifiers and attachments.
 * - `uid`        HMAC-SHA256 key that maps an original UID to its 2.25 pseudonym UID.
 * - `patient`    HMAC-SHA256 key for patient pseudonyms and the per-patient date shift.
 *
 * Every vault row records `KEY_VERSION`. Moving to a KMS means: derive (or fetch) the same
 * per-purpose keys from the KMS under a new version, re-encrypt rows of the old version,
 * and keep the `uid`/`patient` keys stable (changing them re-pseudonymizes new uploads).
 */
export const KEY_VERSION = 1;

export type KeyPurpose = 'vault' | 'uid' | 'patient';

export interface HospitalKeys {
  forTenant(tenantId: string, purpose: KeyPurpose): Buffer;
}

export function createHospitalKeys(rootSecret: string): HospitalKeys {
  const cache = new Map<string, Buffer>();
  return {
    forTenant(tenantId, purpose) {
      const info = `${purpose}:${tenantId}`;
      let key = cache.get(info);
      if (!key) {
        key = Buffer.from(hkdfSync('sha256', rootSecret, 'yunzhen/keys/v1', info, 32));
        cache.set(info, key);
      }
      return key;
    },
  };
}
