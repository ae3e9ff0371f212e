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
