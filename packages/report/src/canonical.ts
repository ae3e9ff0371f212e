import type { Addendum, ReportDocument } from './document.js';

/**
 * The content a signature covers: everything that is rendered as the report's clinical content,
 * and nothing about its workflow (status, version, timestamps, signatures, addenda, opinions).
 * Patient identity is not in the document, so one hash serves the pseudonymous and the
 * re-identified renderings alike.
 */
export function canonicalContent(doc: ReportDocument): unknown {
  return {
    schemaVersion: doc.schemaVersion,
    id: doc.id,
    template: doc.template,
    language: doc.language,
    study: doc.study,
    values: doc.values,
    findings: doc.findings,
    measurements: doc.measurements,
    keyImages: doc.keyImages,
    nodules: doc.nodules,
    recist: doc.recist,
    assessment: doc.assessment,
  };
}

/** UTF-8 bytes of the canonical JSON of `canonicalContent(doc)`: the input of a signature's SHA-256. */
export function canonicalBytes(doc: ReportDocument): Uint8Array {
  return new TextEncoder().encode(canonicalJson(canonicalContent(doc)));
}

/**
 * The bytes an addendum's SHA-256 is computed over: its text chained to the hash of the signed
 * report it amends, so an addendum cannot be moved to another report.
 */
export function addendumBytes(reportContentHash: string, addendum: Pick<Addendum, 'id' | 'text'>): Uint8Array {
  return new TextEncoder().encode(canonicalJson({ reportContentHash, id: addendum.id, text: addendum.text }));
}

/**
 * JSON with object keys sorted by UTF-16 code units and no whitespace, numbers in ECMAScript
 * shortest form: the JSON Canonicalization Scheme (RFC 8785) for the data a report holds.
 * Properties whose value is `undefined` are left out, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('canonical JSON has no representation for a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new Error(`canonical JSON has no representation for a ${typeof value}`);
}
