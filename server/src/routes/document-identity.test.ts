import { describe, expect, it } from 'vitest';

import { scannedTextPdf } from '../testing/pdf-fixtures.js';
import { checkDocument, identityBoxes, identityTerms } from './document-identity.js';

const known = [{ patient: { name: 'WANG^XIAOMING=王^小明', id: 'P-20231107', birthDate: '19800703', issuer: '', sex: 'M', address: '上海市徐汇区斜土路15号, Room 302' } }];

describe('finding the patient in a document’s text', () => {
  it('maps a match back to the runs it spans, with a box over each part', () => {
    const runs = [
      { text: 'Patient: Wang,', box: { x: 0.1, y: 0.2, width: 0.2, height: 0.02 } },
      { text: 'Xiaoming', box: { x: 0.31, y: 0.2, width: 0.1, height: 0.02 } },
      { text: '住址：上海市徐汇区斜土路 15 号', box: { x: 0.1, y: 0.3, width: 0.3, height: 0.02 } },
    ];
    const found = identityBoxes(runs, identityTerms(known));
    const name = found.get('name')!;
    expect(name).toHaveLength(2);
    // "Wang," is the end of the first run: its box starts after "Patient: " and reaches the run's end.
    expect(name[0]!.x).toBeGreaterThan(0.1 + 0.2 * (6 / 14));
    expect(name[0]!.x + name[0]!.width).toBeCloseTo(0.3, 5);
    expect(name[1]).toMatchObject({ x: 0.31 });
    expect(found.get('address')).toHaveLength(1);
    expect(found.has('id')).toBe(false);
  });

  it('leaves scanned pages unread when OCR does not answer before the deadline, and answers in time', async () => {
    const pdf = await scannedTextPdf([['Name: WANG XIAOMING'], ['Page two']]);
    const neverAnswers = () => new Promise<never>(() => undefined);
    const check = await checkDocument(pdf, known, { readText: neverAnswers, deadline: Date.now() + 300 });
    expect(check).toEqual({ pages: 2, textPages: 0, ocrPages: 0, findings: [] });
  });
});
