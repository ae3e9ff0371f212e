import { expect, test } from 'vitest';

test('adds', () => expect(1 + 1).toBe(2));
test('fails when asked', () => expect(process.env.FIXTURE_FAIL ? 1 : 2).toBe(2));
test.skipIf(Boolean(process.env.FIXTURE_SKIP))('is skipped when asked', () => expect(true).toBe(true));
