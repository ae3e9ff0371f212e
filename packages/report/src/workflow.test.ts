import { describe, expect, it } from 'vitest';

import { canonicalBytes, canonicalJson } from './canonical.js';
import type { ReportDocument } from './document.js';
import { isReportError } from './errors.js';
import { draftReport, secondReader, sha256Hex, specialist } from './testing/fixtures.js';
import { addAddendum, createReport, recordBoardConsensus, recordSecondOpinion, signReport, updateReport, verifyAddendum, verifySignature } from './workflow.js';

const at = (iso: string) => new Date(iso);
const t1 = at('2026-11-20T09:00:00.000Z');
const t2 = at('2026-11-20T10:00:00.000Z');

/** Freezes a document deeply, so that any helper mutating its input throws. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

async function rejection(promise: Promise<unknown> | (() => unknown)) {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (isReportError(error)) return { code: error.code, issues: error.issues };
    throw error;
  }
  throw new Error('expected a ReportError');
}

describe('report workflow', () => {
  it('creates an empty draft for a template', () => {
    const doc = createReport({ id: 'r1', templateId: 'recist', templateVersion: 1, language: 'en', studyInstanceUid: '2.25.1', now: t1 });
    expect(doc).toMatchObject({ schemaVersion: 1, version: 1, status: 'draft', template: { id: 'recist', version: 1 }, recist: { timepoint: 'baseline' } });
  });

  it('signs a draft final: records who, when and the SHA-256 of the canonical content, freezing the assessment', async () => {
    const draft = deepFreeze(draftReport('lung-nodule'));
    const final = await signReport(draft, specialist, t1, sha256Hex);
    expect(final.status).toBe('final');
    expect(final.version).toBe(draft.version + 1);
    expect(final.assessment?.lungRads?.category).toBe('4A');
    expect(final.signatures).toEqual([{ kind: 'final', signer: specialist, signedAt: t1.toISOString(), contentHash: await sha256Hex(canonicalBytes(final)) }]);
    expect(final.signatures[0]?.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(draft.status).toBe('draft');
    expect(await verifySignature(final, final.signatures[0]!, sha256Hex)).toBe(true);
  });

  it('goes draft → preliminary → final, editing allowed while preliminary', async () => {
    const preliminary = await signReport(draftReport('general'), specialist, t1, sha256Hex, 'preliminary');
    expect(preliminary.status).toBe('preliminary');
    const edited = updateReport(preliminary, { values: { ...preliminary.values, recommendation: { 'zh-CN': '建议 MRI。' } } }, t2);
    expect(edited.assessment).toBeUndefined();
    // The preliminary signature covers what was released then, not the edited content.
    expect(await verifySignature(edited, preliminary.signatures[0]!, sha256Hex)).toBe(false);
    const final = await signReport(edited, specialist, t2, sha256Hex);
    expect(final.signatures.map((s) => s.kind)).toEqual(['preliminary', 'final']);
  });

  it('locks final content: no edit, no second signature', async () => {
    const final = await signReport(draftReport('breast'), specialist, t1, sha256Hex);
    expect(await rejection(() => updateReport(final, { values: {} }, t2))).toMatchObject({ code: 'ReportLocked' });
    expect(await rejection(signReport(final, specialist, t2, sha256Hex))).toMatchObject({ code: 'InvalidTransition' });
  });

  it('lets only a licensed specialist sign', async () => {
    expect(await rejection(signReport(draftReport('breast'), { ...specialist, licensed: false }, t1, sha256Hex))).toMatchObject({ code: 'SignerNotLicensed' });
  });

  it('refuses to sign an incomplete report and says why', async () => {
    const draft = draftReport('breast');
    const { biRads: _removed, ...values } = draft.values;
    expect(await rejection(signReport({ ...draft, values }, specialist, t1, sha256Hex))).toEqual({
      code: 'ReportIncomplete',
      issues: [{ path: 'values.biRads', code: 'Required' }],
    });
  });

  it('amends a final report only by a signed addendum chained to the final signature', async () => {
    const draft = draftReport('general');
    expect(await rejection(addAddendum(draft, { id: 'a1', text: { 'zh-CN': '补充' } }, specialist, t2, sha256Hex))).toMatchObject({ code: 'InvalidTransition' });
    const final = deepFreeze(await signReport(draft, specialist, t1, sha256Hex));
    const amended = await addAddendum(final, { id: 'a1', text: { 'zh-CN': '补充：对比外院片。' } }, secondReader, t2, sha256Hex);
    expect(amended.status).toBe('amended');
    expect(canonicalJson(amended.values)).toBe(canonicalJson(final.values));
    expect(await verifySignature(amended, amended.signatures[0]!, sha256Hex)).toBe(true);
    expect(await verifyAddendum(amended, amended.addenda[0]!, sha256Hex)).toBe(true);
    expect(await verifyAddendum(amended, { ...amended.addenda[0]!, text: { 'zh-CN': '改过的' } }, sha256Hex)).toBe(false);
    expect(await rejection(addAddendum(final, { id: 'a2', text: {} }, specialist, t2, sha256Hex))).toMatchObject({ code: 'ReportIncomplete' });
  });

  it('detects tampered content', async () => {
    const final = await signReport(draftReport('general'), specialist, t1, sha256Hex);
    const tampered: ReportDocument = { ...final, values: { ...final.values, impression: { 'zh-CN': '未见异常。' } } };
    expect(await verifySignature(tampered, final.signatures[0]!, sha256Hex)).toBe(false);
  });

  it('records a second reader’s agreement or dissent beside the signed content', async () => {
    const final = await signReport(draftReport('recist'), specialist, t1, sha256Hex);
    expect(await rejection(() => recordSecondOpinion(draftReport('recist'), { id: 'o1', kind: 'tumour-board', reader: secondReader, verdict: 'agree' }, t2))).toMatchObject({ code: 'InvalidTransition' });
    expect(await rejection(() => recordSecondOpinion(final, { id: 'o1', kind: 'second-opinion', reader: specialist, verdict: 'agree' }, t2))).toMatchObject({ code: 'SelfReview' });
    const reviewed = recordSecondOpinion(final, { id: 'o1', kind: 'tumour-board', reader: secondReader, verdict: 'partial', comment: { en: 'Node T3 may be reactive.' } }, t2);
    expect(reviewed.status).toBe('final');
    expect(reviewed.secondOpinions).toEqual([{ id: 'o1', kind: 'tumour-board', reader: secondReader, verdict: 'partial', comment: { en: 'Node T3 may be reactive.' }, recordedAt: t2.toISOString() }]);
    expect(await verifySignature(reviewed, final.signatures[0]!, sha256Hex)).toBe(true);
  });

  it('records a tumour board’s signed consensus beside the signed content, once per session', async () => {
    const final = await signReport(draftReport('general'), specialist, t1, sha256Hex);
    const consensus = {
      sessionId: 's1',
      title: 'Thoracic board',
      meetingAt: t1.toISOString(),
      attendance: [{ displayName: secondReader.displayName, organization: 'Centre' }],
      recommendation: { en: 'Surgery.' },
      signer: secondReader,
      signedAt: t2.toISOString(),
    };
    expect(await rejection(() => recordBoardConsensus(draftReport('general'), consensus))).toMatchObject({ code: 'InvalidTransition' });
    expect(await rejection(() => recordBoardConsensus(final, { ...consensus, signer: { ...secondReader, licensed: false } }))).toMatchObject({ code: 'SignerNotLicensed' });
    const recorded = recordBoardConsensus(final, consensus);
    expect(recorded).toMatchObject({ status: 'final', version: final.version + 1, boardConsensus: [consensus] });
    expect(await rejection(() => recordBoardConsensus(recorded, consensus))).toMatchObject({ code: 'InvalidTransition' });
    expect(await verifySignature(recorded, final.signatures[0]!, sha256Hex)).toBe(true);
  });
});

describe('canonical JSON (RFC 8785 style)', () => {
  it('sorts keys, drops undefined and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 0.5, y: '中文' } })).toBe('{"a":[true,null,"x"],"b":1,"d":{"y":"中文","z":0.5}}');
  });

  it('does not depend on the order properties were set in', () => {
    expect(canonicalJson({ x: 1, y: { p: 1, q: 2 } })).toBe(canonicalJson({ y: { q: 2, p: 1 }, x: 1 }));
  });

  it('refuses numbers JSON cannot represent', () => {
    expect(() => canonicalJson({ value: Number.NaN })).toThrow();
  });

  it('covers the clinical content and not the workflow', async () => {
    const final = await signReport(draftReport('general'), specialist, t1, sha256Hex);
    const json = new TextDecoder().decode(canonicalBytes(final));
    expect(json).toContain('"impression"');
    expect(json).not.toContain('"signatures"');
    expect(json).not.toContain('"status"');
  });
});
