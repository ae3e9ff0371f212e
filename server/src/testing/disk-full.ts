import { expect } from 'vitest';

import type { TestResponse } from './test-app.js';

/**
 * Sends a study's instances over and over (fresh UIDs each round) until the server refuses
 * one, as a disk fills: that answer (undefined if none was refused) and every status before it.
 */
export async function stowUntilRefused(
  stow: (instance: Uint8Array) => Promise<TestResponse>,
  study: () => Uint8Array[],
  rounds: number,
): Promise<{ refused: TestResponse | undefined; statuses: number[] }> {
  const statuses: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const instance of study()) {
      const response = await stow(instance);
      statuses.push(response.status);
      if (response.status !== 200) return { refused: response, statuses };
    }
  }
  return { refused: undefined, statuses };
}

/** Expects the refusal a full disk gives: 503 StorageFull with a Retry-After (the statuses before it, if there was none). */
export async function expectStorageFull({ refused, statuses }: { refused: TestResponse | undefined; statuses: number[] }): Promise<void> {
  expect(refused, `statuses ${statuses.join(' ')}`).toBeDefined();
  expect(refused!.status).toBe(503);
  expect(refused!.headers.get('Retry-After')).toMatch(/^\d+$/);
  expect((await refused!.json()).error.code).toBe('StorageFull');
}
