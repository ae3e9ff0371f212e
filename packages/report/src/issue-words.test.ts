import { describe, expect, it } from 'vitest';

import { describeIssue } from './issue-words.js';
import { generalTemplate } from './templates/general.js';
import { recistTemplate } from './templates/recist.js';

describe('describeIssue', () => {
  it('names the template field and the language that are missing', () => {
    expect(describeIssue({ path: 'values.impression.en', code: 'Required' }, generalTemplate, 'en')).toBe('Impression (English): missing');
    expect(describeIssue({ path: 'values.impression', code: 'Required' }, generalTemplate, 'zh-CN')).toBe('诊断意见：未填写');
  });

  it('numbers findings and lesions as people count them', () => {
    expect(describeIssue({ path: 'findings[1].text.zh-CN', code: 'Required' }, generalTemplate, 'en')).toBe('Finding 2 text (Chinese): missing');
    expect(describeIssue({ path: 'recist.targetLesions', code: 'Required' }, recistTemplate, 'en')).toBe('RECIST 1.1 Target lesion: missing');
    expect(describeIssue({ path: 'recist.targetLesions[0]', code: 'TargetLesionNotMeasurable' }, recistTemplate, 'en')).toBe('RECIST 1.1 Target lesion 1: not measurable (RECIST 1.1 §3.2)');
  });
});
