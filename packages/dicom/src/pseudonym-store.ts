import { uidFromBytes } from './uid.js';

/** The patient identity read from an instance, decoded to JavaScript strings. */
export interface PatientIdentity {
  readonly id: string;
  readonly name: string;
  readonly birthDate: string;
  /** Issuer of Patient ID (0010,0021); empty when absent. */
  readonly issuer: string;
  /** The original Study Instance UID: the patient key of last resort. */
  readonly studyUid?: string;
  /** Patient's Address (0010,1040), kept with the identity so attached documents can be checked for it; never a key. */
  readonly address?: string;
}

/**
 * Which originals are the same patient: Patient ID with its issuer; without a Patient ID, the
 * name and birth date are the best key there is. With neither ID nor name nothing says two
 * studies are of one person, so each study is its own patient: an empty key must never merge
 * unrelated patients. Every pseudonym store keys patients by this.
 */
export function patientKeyOf(patient: PatientIdentity): string {
  if (patient.id !== '') return `id\u0000${patient.issuer}\u0000${patient.id}`;
  if (patient.name.replace(/[\^=\s]/g, '') !== '') return `name\u0000${patient.name}\u0000${patient.birthDate}`;
  return `study\u0000${patient.studyUid ?? ''}`;
}

/** Everything one instance needs from the pseudonym store, asked in one call. */
export interface PseudonymRequest {
  /** Original UIDs to replace, each once. */
  readonly uids: readonly string[];
  readonly patient: PatientIdentity;
}

export interface PseudonymResponse {
  /** New UID for every requested UID: conformant (PS3.5 9.1) and stable per sending hospital. */
  readonly uids: ReadonlyMap<string, string>;
  /** Patient ID and name pseudonyms, stable per hospital and patient; ASCII only. */
  readonly patient: { readonly id: string; readonly name: string };
  /** Whole days added to every date of this patient (Modified Dates option, PS3.15 E.3.6). */
  readonly dateShiftDays: number;
}

/**
 * Where pseudonyms come from. One call per instance so a database- or HMAC-backed store costs one
 * await. Implementations must be deterministic per sending hospital: the same original UID or
 * patient always gets the same pseudonym there, and a different one at another hospital.
 */
export interface PseudonymStore {
  resolve(request: PseudonymRequest): Promise<PseudonymResponse>;
}

export interface MemoryPseudonymStoreDeps {
  /** Cryptographically random bytes (`crypto.getRandomValues` in browsers and Node). */
  readonly random: (byteLength: number) => Uint8Array;
}

const base32 = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** An identifier from random bytes in an unambiguous alphabet (no 0/O, 1/I). */
export function pseudonymFromBytes(prefix: string, bytes: Uint8Array): string {
  let text = prefix;
  for (const byte of bytes) text += base32[byte & 31];
  return text;
}

/** A date shift in [-730, -1] days from two random bytes, so shifted dates stay in the past. */
export function dateShiftFromBytes(bytes: Uint8Array): number {
  return -1 - (((bytes[0]! << 8) | bytes[1]!) % 730);
}

/**
 * An in-memory store for tests and the command-line tool: random `2.25` UIDs and random patient
 * pseudonyms, remembered for the life of the object. Use one store per sending hospital.
 */
export function createMemoryPseudonymStore(deps: MemoryPseudonymStoreDeps): PseudonymStore & { readonly size: () => { uids: number; patients: number } } {
  const uids = new Map<string, string>();
  const patients = new Map<string, { id: string; name: string; dateShiftDays: number }>();
  return {
    size: () => ({ uids: uids.size, patients: patients.size }),
    resolve(request) {
      const resolved = new Map<string, string>();
      for (const uid of request.uids) {
        let pseudonym = uids.get(uid);
        if (pseudonym === undefined) {
          pseudonym = uidFromBytes(deps.random(16));
          uids.set(uid, pseudonym);
        }
        resolved.set(uid, pseudonym);
      }
      const key = patientKeyOf(request.patient);
      let patient = patients.get(key);
      if (patient === undefined) {
        const pseudonymId = pseudonymFromBytes('YZ', deps.random(10));
        patient = { id: pseudonymId, name: `ANONYMOUS^${pseudonymId}`, dateShiftDays: dateShiftFromBytes(deps.random(2)) };
        patients.set(key, patient);
      }
      return Promise.resolve({ uids: resolved, patient: { id: patient.id, name: patient.name }, dateShiftDays: patient.dateShiftDays });
    },
  };
}
