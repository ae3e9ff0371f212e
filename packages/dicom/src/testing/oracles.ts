/**
 * Independent tools the tests check this package's output with: DCMTK (dcmdump, dcmconv,
 * dcmodify), dicom3tools (dciodvfy) and pydicom under the system Python. A missing tool fails the
 * test with a clear message: CI installs them (apt-get install dcmtk dicom3tools python3-pydicom).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const systemPython = '/usr/bin/python3';

const toolPackages: Record<string, string> = {
  dcmdump: 'dcmtk',
  dcmconv: 'dcmtk',
  dcmodify: 'dcmtk',
  dciodvfy: 'dicom3tools',
  [systemPython]: 'python3-pydicom',
};

function toolPath(tool: string): string {
  if (tool.startsWith('/')) {
    if (existsSync(tool)) return tool;
  } else {
    for (const directory of (process.env.PATH ?? '').split(':')) {
      if (directory !== '' && existsSync(join(directory, tool))) return join(directory, tool);
    }
    for (const directory of ['/usr/bin', '/usr/local/bin']) if (existsSync(join(directory, tool))) return join(directory, tool);
  }
  throw new Error(`${tool} is not installed; the DICOM oracle tests need it (apt-get install ${toolPackages[tool] ?? tool})`);
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(tool: string, args: readonly string[]): Promise<RunResult> {
  const path = toolPath(tool);
  return new Promise((resolve) => {
    execFile(path, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `dcmdump`; `ok` when it exits 0 and reports no error (E:) or fatal (F:) lines. */
export async function dcmdump(path: string): Promise<{ ok: boolean; problems: string[]; dump: string }> {
  const result = await run('dcmdump', ['+E', path]);
  const problems = result.stderr.split('\n').filter((line) => /^(E|F):/.test(line));
  return { ok: result.code === 0 && problems.length === 0, problems, dump: result.stdout };
}

/**
 * dciodvfy error lines, normalized so that the same defect compares equal before and after
 * de-identification: attribute values (after "= " or "value ") and UIDs are blanked, attribute
 * and module names (Element=<…> Module=<…>) are kept.
 */
export async function dciodvfyErrors(path: string): Promise<Set<string>> {
  const result = await run('dciodvfy', [path]);
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.startsWith('Error'));
  return new Set(
    lines.map((line) =>
      line
        .replace(/ = <[^>]*>/g, ' = <value>')
        .replace(/value <[^>]*>/g, 'value <value>')
        .replace(/\b\d+(\.\d+){2,}\b/g, '<uid>')
        .trim(),
    ),
  );
}

/**
 * The dciodvfy errors an input already has. dciodvfy stops reading some inputs early (a raw data
 * set with "DICM" at byte 128, illegal private groups 0001–0007), hiding later defects, so the
 * baseline also includes the errors of the input as DCMTK re-writes it (dcmconv, as a Part 10
 * file) and of that copy without private elements (dcmodify -ep). Only DCMTK touches the input.
 */
export async function dciodvfyBaseline(inputPath: string, raw: { explicitVr: boolean; littleEndian: boolean } | undefined): Promise<Set<string>> {
  const errors = await dciodvfyErrors(inputPath);
  const directory = await mkdtemp(join(tmpdir(), 'yz-baseline-'));
  try {
    const part10 = join(directory, 'input.dcm');
    const readOptions = raw === undefined ? [] : ['-f', raw.explicitVr ? (raw.littleEndian ? '-te' : '-tb') : '-ti'];
    const converted = await run('dcmconv', [...readOptions, '+F', inputPath, part10]);
    if (converted.code === 0) {
      for (const error of await dciodvfyErrors(part10)) errors.add(error);
      const withoutPrivate = join(directory, 'no-private.dcm');
      await copyFile(part10, withoutPrivate);
      const modified = await run('dcmodify', ['-ep', '-nb', withoutPrivate]);
      if (modified.code === 0) for (const error of await dciodvfyErrors(withoutPrivate)) errors.add(error);
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  return errors;
}

/** What pydicom reads from one file. */
export interface PydicomReport {
  readonly path: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly elementCount?: number;
  /** SHA-256 of the pixel data value, odd values padded with one NUL to even length. */
  readonly pixelSha256?: string;
  /** SHA-256 of each fragment (including the Basic Offset Table), padded likewise. */
  readonly fragmentSha256?: string[];
  readonly patientName?: string;
  readonly patientId?: string;
}

const pydicomScript = String.raw`
import sys, json, hashlib
import pydicom
from pydicom.encaps import generate_pixel_data_fragment
from pydicom.filebase import DicomBytesIO
def padded(data):
    return data + b'\0' if len(data) % 2 else data
def digest(data):
    return hashlib.sha256(padded(data)).hexdigest()
force = sys.argv[1] == 'force'
for path in sys.argv[2:]:
    report = {'path': path}
    try:
        ds = pydicom.dcmread(path, force=force)
        count = [0]
        def visit(dataset, element):
            count[0] += 1
            _ = element.value
        ds.walk(visit)
        report['elementCount'] = count[0]
        if 'PixelData' in ds:
            element = ds['PixelData']
            if element.is_undefined_length:
                stream = DicomBytesIO(element.value)
                stream.is_little_endian = True
                report['fragmentSha256'] = [digest(fragment) for fragment in generate_pixel_data_fragment(stream)]
            else:
                report['pixelSha256'] = digest(element.value)
        if 'PatientName' in ds:
            report['patientName'] = str(ds.PatientName)
        if 'PatientID' in ds:
            report['patientId'] = str(ds.PatientID)
        report['ok'] = True
    except Exception as error:
        report['ok'] = False
        report['error'] = type(error).__name__ + ': ' + str(error)[:200]
    print(json.dumps(report))
`;

/**
 * Reads files with pydicom (one Python process for all of them), touching every element value.
 * `force` reads files without a preamble, as for raw data set inputs.
 */
export async function pydicomRead(paths: readonly string[], options: { force: boolean }): Promise<Map<string, PydicomReport>> {
  const reports = new Map<string, PydicomReport>();
  if (paths.length === 0) return reports;
  const result = await run(systemPython, ['-c', pydicomScript, options.force ? 'force' : 'strict', ...paths]);
  if (result.code !== 0) throw new Error(`pydicom failed: ${result.stderr.slice(0, 500)}`);
  for (const line of result.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const report = JSON.parse(line) as PydicomReport;
    reports.set(report.path, report);
  }
  return reports;
}

const pydicomValuesScript = String.raw`
import sys, json
import pydicom
ds = pydicom.dcmread(sys.argv[1])
values = []
def visit(dataset, element):
    if element.VR != 'SQ':
        values.append(str(element.value))
ds.walk(visit)
for element in ds.file_meta:
    values.append(str(element.value))
print(json.dumps(values, ensure_ascii=False))
`;

/** Every element value of a file (file meta included) as pydicom decodes it, as strings. */
export async function pydicomValues(path: string): Promise<string[]> {
  const result = await run(systemPython, ['-c', pydicomValuesScript, path]);
  if (result.code !== 0) throw new Error(`pydicom could not read ${path}: ${result.stderr.slice(-500)}`);
  return JSON.parse(result.stdout) as string[];
}
