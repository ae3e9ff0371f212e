import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import type { VaultRepository } from '@yunzhen/db';

import { KEY_VERSION, type HospitalKeys } from './keys.js';

/** A patient's identity as one upload named it. */
export interface PatientRecord {
  name: string;
  id: string;
  birthDate: string;
  issuer: string;
  sex: string;
  /** Patient's Address as sent (absent in records sealed before it was kept); used to find it in documents. */
  address?: string;
}

/** The same person as far as the sending hospital's records say: ID, issuer, name and birth date all agree. */
export function sameIdentity(a: PatientRecord, b: PatientRecord): boolean {
  return a.id === b.id && a.issuer === b.issuer && a.name === b.name && a.birthDate === b.birthDate;
}

/**
 * What the vault keeps, by kind, keyed by the pseudonym that replaced it. Entries are written
 * once and never replaced: the first upload's identity is the one a patient or study keeps.
 */
export interface VaultRecords {
  /** Keyed by the pseudonym PatientID: the identity of the patient's first upload. */
  patient: PatientRecord;
  /**
   * Keyed by the new Study Instance UID. `patient` is the identity the study arrived with (absent
   * in entries sealed before it was kept per study): a study keeps it whatever later uploads of
   * the same Patient ID say.
   */
  study: { studyInstanceUid: string; accessionNumber: string; studyDate: string; studyTime: string; dateShiftDays: number; patient?: PatientRecord };
  /** Keyed by any new UID (series, instance, frame of reference, …): the original UID. */
  uid: { original: string };
}

export type VaultKind = keyof VaultRecords;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts and decrypts vault entries with the hospital's AES-256-GCM key. The additional
 * authenticated data binds each ciphertext to its tenant, kind and pseudonym, so a row
 * copied to another pseudonym or hospital fails to decrypt instead of lying.
 */
export function createVault(keys: HospitalKeys, repo: VaultRepository) {
  const aad = (tenantId: string, kind: string, pseudonym: string) => Buffer.from(`${tenantId}\u0000${kind}\u0000${pseudonym}`);

  /** iv (12) ‖ tag (16) ‖ ciphertext */
  function encrypt(tenantId: string, associated: Buffer, plain: Uint8Array): Uint8Array {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', keys.forTenant(tenantId, 'vault'), iv);
    cipher.setAAD(associated);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), body]));
  }

  function decrypt(tenantId: string, associated: Buffer, sealed: Uint8Array): Uint8Array {
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const decipher = createDecipheriv('aes-256-gcm', keys.forTenant(tenantId, 'vault'), bytes.subarray(0, IV_BYTES));
    decipher.setAAD(associated);
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]));
  }

  return {
    seal<K extends VaultKind>(tenantId: string, kind: K, pseudonym: string, value: VaultRecords[K]) {
      const ciphertext = encrypt(tenantId, aad(tenantId, kind, pseudonym), Buffer.from(JSON.stringify(value), 'utf8'));
      return { kind, pseudonym, keyVersion: KEY_VERSION, ciphertext };
    },

    /** Originals for these pseudonyms of one hospital; pseudonyms without an entry are absent from the map. */
    async reveal<K extends VaultKind>(tenantId: string, kind: K, pseudonyms: string[]): Promise<Map<string, VaultRecords[K]>> {
      const rows = await repo.find(tenantId, kind, [...new Set(pseudonyms)]);
      return new Map(
        rows.map((row) => {
          const plain = decrypt(tenantId, aad(tenantId, kind, row.pseudonym), row.ciphertext);
          return [row.pseudonym, JSON.parse(Buffer.from(plain).toString('utf8')) as VaultRecords[K]];
        }),
      );
    },

    /** Encrypts other bytes of the hospital (attachments), bound to `context` (e.g. the object key). */
    encryptBytes: (tenantId: string, context: string, plain: Uint8Array) => encrypt(tenantId, aad(tenantId, 'bytes', context), plain),
    decryptBytes: (tenantId: string, context: string, sealed: Uint8Array) => decrypt(tenantId, aad(tenantId, 'bytes', context), sealed),
  };
}

export type Vault = ReturnType<typeof createVault>;
