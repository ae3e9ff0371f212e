/**
 * `pnpm anonymize <input file or folder> <output folder> [options]`
 *
 * De-identifies DICOM files for hospital IT and tests, with the same code the server runs on
 * upload. Output files are named by their new (pseudonymous) UIDs, never by input names or
 * patient data. Exit status: 0 when every file was de-identified, 1 when any was rejected,
 * 2 on a usage error.
 */
import { randomFillSync } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  anonymize,
  createMemoryPseudonymStore,
  isDicomError,
  remoteDiagnosisProfile,
  basicProfile,
  type DeidentificationProfile,
  type PseudonymStore,
  type ValidationLevel,
} from '../src/index.js';

export const usage = `Usage: pnpm anonymize <input file or folder> <output folder> [options]

De-identifies DICOM files per DICOM PS3.15 Annex E (2026c). Output files are written as
<output>/<new Study UID>/<new Series UID>/<new SOP Instance UID>.dcm.

Profile (default: the remote diagnosis profile, see packages/dicom/README.md):
  --profile remote-diagnosis|basic   start from this profile, then apply the options below
  --retain-safe-private / --no-retain-safe-private
  --retain-uids / --no-retain-uids
  --retain-device-identity / --no-retain-device-identity
  --retain-institution-identity / --no-retain-institution-identity
  --retain-patient-characteristics / --no-retain-patient-characteristics
  --dates remove|full|modified       Retain Longitudinal Temporal Information (E.3.6)
  --descriptors remove|clean         Clean Descriptors (E.3.5)
  --clean-structured-content / --no-clean-structured-content
  --clean-graphics / --no-clean-graphics

Other options:
  --validation ingest|structure      ingest (default) rejects what the server would reject;
                                     structure also accepts files without study/series UIDs
  --mapping <file>                   append each file's original → pseudonym record (JSON lines).
                                     The file holds patient identity: keep it encrypted.
  --help                             show this text

Prints "REJECTED <input path> <reason code>" for each rejected file, "REVIEW <output path>
<reasons>" for each image whose pixels need a human check (burned-in text), and a summary.
Exits with status 1 if any file was rejected.`;

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

interface CliOptions {
  readonly input: string;
  readonly output: string;
  readonly profile: DeidentificationProfile;
  readonly validation: ValidationLevel;
  readonly mapping: string | undefined;
}

class UsageError extends Error {}

const booleanFlags: Record<string, keyof DeidentificationProfile> = {
  'retain-safe-private': 'retainSafePrivate',
  'retain-uids': 'retainUIDs',
  'retain-device-identity': 'retainDeviceIdentity',
  'retain-institution-identity': 'retainInstitutionIdentity',
  'retain-patient-characteristics': 'retainPatientCharacteristics',
  'clean-structured-content': 'cleanStructuredContent',
  'clean-graphics': 'cleanGraphics',
};

export function parseArguments(argv: readonly string[]): CliOptions | 'help' {
  const positional: string[] = [];
  let base: DeidentificationProfile = remoteDiagnosisProfile;
  const overrides: Partial<Record<keyof DeidentificationProfile, unknown>> = {};
  let validation: ValidationLevel = 'ingest';
  let mapping: string | undefined;
  const valueOf = (index: number, flag: string) => {
    const value = argv[index + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return value;
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--help' || argument === '-h') return 'help';
    if (!argument.startsWith('--')) {
      positional.push(argument);
      continue;
    }
    const name = argument.slice(2);
    if (name in booleanFlags) overrides[booleanFlags[name]!] = true;
    else if (name.startsWith('no-') && name.slice(3) in booleanFlags) overrides[booleanFlags[name.slice(3)]!] = false;
    else if (name === 'profile') {
      const value = valueOf(index++, argument);
      if (value === 'remote-diagnosis') base = remoteDiagnosisProfile;
      else if (value === 'basic') base = basicProfile;
      else throw new UsageError('--profile is remote-diagnosis or basic');
    } else if (name === 'dates') {
      const value = valueOf(index++, argument);
      if (value !== 'remove' && value !== 'full' && value !== 'modified') throw new UsageError('--dates is remove, full or modified');
      overrides.longitudinalTemporalInformation = value;
    } else if (name === 'descriptors') {
      const value = valueOf(index++, argument);
      if (value !== 'remove' && value !== 'clean') throw new UsageError('--descriptors is remove or clean');
      overrides.descriptors = value;
    } else if (name === 'validation') {
      const value = valueOf(index++, argument);
      if (value !== 'ingest' && value !== 'structure') throw new UsageError('--validation is ingest or structure');
      validation = value;
    } else if (name === 'mapping') {
      mapping = valueOf(index++, argument);
    } else {
      throw new UsageError(`unknown option ${argument}`);
    }
  }
  if (positional.length !== 2) throw new UsageError('expected an input file or folder and an output folder');
  return {
    input: positional[0]!,
    output: positional[1]!,
    profile: Object.freeze({ ...base, ...overrides }) as DeidentificationProfile,
    validation,
    mapping,
  };
}

async function listInputFiles(input: string): Promise<string[]> {
  const info = await stat(input);
  if (info.isFile()) return [input];
  const files: string[] = [];
  const pending = [input];
  while (pending.length > 0) {
    const directory = pending.pop()!;
    const entries = await readdir(directory, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) files.push(path);
    }
  }
  return files.sort();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A path as the user would type it: relative to the working directory when below it. */
function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere !== '' && !fromHere.startsWith('..') ? fromHere : path;
}

/** A folder or file name made from a UID: digits and dots only, so it cannot leak anything. */
const safeName = (uid: string | null, fallback: string) => (uid !== null && /^[0-9.]+$/.test(uid) ? uid : fallback);

export async function runAnonymizeCli(argv: readonly string[], io: CliIo, store?: PseudonymStore): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parseArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`error: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (options === 'help') {
    io.stdout(usage);
    return 0;
  }
  let files: string[];
  try {
    files = await listInputFiles(options.input);
  } catch {
    io.stderr(`error: cannot read ${options.input}`);
    return 2;
  }
  const outputRoot = resolve(options.output);
  const pseudonyms = store ?? createMemoryPseudonymStore({ random: (length) => randomFillSync(new Uint8Array(length)) });
  let written = 0;
  let rejected = 0;
  let review = 0;
  let counter = 0;
  for (const path of files) {
    const shownPath = displayPath(path);
    if (resolve(path).startsWith(`${outputRoot}/`)) continue;
    let result;
    try {
      result = await anonymize(new Uint8Array(await readFile(path)), { profile: options.profile, validation: options.validation }, { pseudonyms });
    } catch (error) {
      if (!isDicomError(error)) throw error;
      rejected++;
      io.stdout(`REJECTED ${shownPath} ${error.code}`);
      continue;
    }
    counter++;
    const { attributes } = result;
    const directory = join(outputRoot, safeName(attributes.StudyInstanceUID, 'no-study'), safeName(attributes.SeriesInstanceUID, 'no-series'));
    await mkdir(directory, { recursive: true });
    // The same instance may arrive twice (for example in two transfer syntaxes): keep both.
    const baseName = safeName(attributes.SOPInstanceUID, `instance-${counter}`);
    let outputPath = join(directory, `${baseName}.dcm`);
    for (let copy = 2; await exists(outputPath); copy++) outputPath = join(directory, `${baseName}-${copy}.dcm`);
    await writeFile(outputPath, result.bytes);
    written++;
    if (options.mapping !== undefined) {
      await appendFile(options.mapping, `${JSON.stringify({ output: relative(outputRoot, outputPath), ...result.mapping })}\n`, { mode: 0o600 });
    }
    if (result.needsPixelReview) {
      review++;
      io.stdout(`REVIEW ${displayPath(outputPath)} ${result.pixelReviewReasons.join(',')}`);
    }
  }
  io.stdout(`${written} de-identified, ${rejected} rejected, ${review} need pixel review (of ${files.length} files)`);
  return rejected > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const code = await runAnonymizeCli(process.argv.slice(2), { stdout: (line) => console.log(line), stderr: (line) => console.error(line) });
  process.exitCode = code;
}
