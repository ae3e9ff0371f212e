/**
 * The canary test (see testing/canary.ts): for each profile and each way text is encoded, plant a
 * unique value in everything the profile does not keep, de-identify, and look for every one of
 * them in the output: as bytes in every encoding it was written in, in the values our parser
 * decodes, in the values pydicom decodes and in dcmdump's listing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { anonymize } from './anonymize.js';
import { characterSetOf, decodeText } from './charset.js';
import { valueBytes, type DicomDataset } from './dataset.js';
import { parseDicom } from './parse.js';
import { basicProfile, remoteDiagnosisProfile, type DeidentificationProfile } from './profile.js';
import { createMemoryPseudonymStore } from './pseudonym-store.js';
import { buildCanaryFixture, indexOfBytes, type CanaryCharacterSet } from './testing/canary.js';
import { dcmdump, pydicomValues } from './testing/oracles.js';
import { seededRandom } from './testing/random.js';
import { isStringVr } from './vr.js';

let directory = '';
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'yz-canary-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Every value of a parsed file decoded as text (string VRs with their character set, others as Latin-1). */
function decodeAll(dataset: DicomDataset, inherited = characterSetOf(dataset), output: string[] = []): string[] {
  const characterSet = characterSetOf(dataset, inherited);
  for (const element of dataset.elements) {
    if (element.items !== undefined) {
      for (const item of element.items) decodeAll(item, characterSet, output);
      continue;
    }
    const bytes = valueBytes(dataset, element);
    output.push(isStringVr(element.vr) ? decodeText(bytes, characterSet, element.vr) : new TextDecoder('latin1').decode(bytes));
  }
  return output;
}

const everythingRetained: DeidentificationProfile = Object.freeze({
  ...remoteDiagnosisProfile,
  retainUIDs: true,
  retainDeviceIdentity: true,
  retainInstitutionIdentity: true,
  longitudinalTemporalInformation: 'full',
});

const profiles: Array<[string, DeidentificationProfile]> = [
  ['remote diagnosis', remoteDiagnosisProfile],
  ['basic', basicProfile],
  ['every retain option', everythingRetained],
];

describe.each(profiles)('%s profile', (profileName, profile) => {
  test.each<CanaryCharacterSet>(['ascii', 'gb18030', 'iso2022'])('no canary survives (%s text)', async (characterSet) => {
    const fixture = buildCanaryFixture(profile, characterSet);
    expect(fixture.canaries.length).toBeGreaterThan(1500);
    const missingFromInput = fixture.canaries.filter((canary) => !canary.encodings.some((encoding) => indexOfBytes(fixture.bytes, encoding) >= 0));
    expect(missingFromInput.map((canary) => canary.where)).toEqual([]);

    const result = await anonymize(fixture.bytes, { profile }, { pseudonyms: createMemoryPseudonymStore({ random: seededRandom(7) }) });
    const output = parseDicom(result.bytes);
    const inBytes = fixture.canaries.filter((canary) => canary.encodings.some((encoding) => indexOfBytes(result.bytes, encoding) >= 0));
    expect(inBytes.map((canary) => `${canary.where}: ${canary.text}`)).toEqual([]);

    const decoded = decodeAll(output.dataset).join('\n') + decodeAll(output.meta!).join('\n');
    expect(fixture.canaries.filter((canary) => decoded.includes(canary.text)).map((canary) => canary.where)).toEqual([]);

    const path = join(directory, `${profileName}-${characterSet}.dcm`);
    await writeFile(path, result.bytes);
    const pydicomText = (await pydicomValues(path)).join('\n');
    expect(fixture.canaries.filter((canary) => pydicomText.includes(canary.text)).map((canary) => canary.where)).toEqual([]);
    const dump = await dcmdump(path);
    expect(dump.problems).toEqual([]);
    expect(fixture.canaries.filter((canary) => dump.dump.includes(canary.text)).map((canary) => canary.where)).toEqual([]);
    // The output is not empty: the structure the profile keeps is there.
    expect(output.dataset.elements.length).toBeGreaterThan(100);
  });
});
