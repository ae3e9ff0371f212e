/**
 * Damaged input must end in a DicomError (a code for the sender), never in another exception,
 * a hang or a crash. Seeded, so a failure can be replayed.
 */
import { describe, expect, test } from 'vitest';
import { anonymize } from './anonymize.js';
import { DicomError } from './errors.js';
import { createMemoryPseudonymStore } from './pseudonym-store.js';
import { scanDicom } from './scan.js';
import { seededRandom } from './testing/random.js';
import { listSamples, readSample } from './testing/samples.js';

describe('damaged input', () => {
  test('1,500 truncated and corrupted samples are de-identified or rejected with a code', async () => {
    const random = seededRandom(20_240_315);
    const below = (n: number) => {
      const bytes = random(4);
      return (((bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | ((bytes[3]! & 0x7f) << 24)) >>> 0) % n);
    };
    const samples = listSamples().filter((sample) => !sample.broken).map((sample) => readSample(sample.path));
    const pseudonyms = createMemoryPseudonymStore({ random: seededRandom(1) });
    const unexpected: string[] = [];
    for (let round = 0; round < 1500; round++) {
      const original = samples[below(samples.length)]!;
      const bytes = original.slice(0, Math.min(original.length, 2048 + below(original.length)));
      const headerBytes = Math.min(bytes.length, 2000);
      if (round % 3 === 0) for (let k = 0; k <= below(8); k++) bytes[below(headerBytes)] = below(256);
      else if (round % 3 === 1) bytes.fill(0xff, below(headerBytes), Math.min(bytes.length, below(headerBytes) + 4));
      try {
        await anonymize(bytes, { validation: 'structure' }, { pseudonyms });
      } catch (error) {
        if (!(error instanceof DicomError)) unexpected.push(`round ${round}: ${String(error)}`);
      }
      const scan = scanDicom(bytes);
      expect(typeof scan.ok).toBe('boolean');
    }
    expect(unexpected).toEqual([]);
  });
});
