import { expect, test } from '@playwright/test';

test('adds', () => expect(1 + 1).toBe(2));
test('fails when asked', () => expect(process.env.FIXTURE_FAIL ? 1 : 2).toBe(2));
test('is skipped when asked', () => {
  test.skip(Boolean(process.env.FIXTURE_SKIP), 'asked to skip');
  expect(true).toBe(true);
});
