import { expect, test } from 'vitest';

if (process.env.FIXTURE_LOAD_FAIL) throw new Error('this file does not load');

test('multiplies', () => expect(2 * 3).toBe(6));
