import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  characterSetOf,
  decodeText,
  formatTag,
  isDicomError,
  keywordOf,
  parseDicom,
  uidFromBytes,
  validateForIngest,
  valueBytes,
  type CharacterSet,
  type DicomDataset,
} from '@yunzhen/dicom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ReportDocument } from '../document.js';
import { expectGolden } from '../testing/golden.js';
import { draftReport, pseudonymousContext, realContext, signedReport } from '../testing/fixtures.js';
import { reportTemplates } from '../templates/index.js';
import { toSrContentTree, type SrCode, type SrContainer, type SrDocumentDescription, type SrItem } from './content-tree.js';
import { decimalString, personName, recordedPersonName, writeStructuredReport, type SrHeader } from './write-sr.js';

/*
 * Every sample report is written to a temporary folder and read by tools this project did not
 * write: dciodvfy (dicom3tools) checks the Enhanced SR IOD, dsrdump (DCMTK) rebuilds the content
 * tree and checks its relationship constraints, dcmdump (DCMTK) parses the file, and pydicom
 * (read-sr.py) reads the header and the tree back for comparison with the input.
 * KEEP_SR=1 keeps the temporary folder for a look at the files.
 */

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const REAL_NAME = '张伟';
const REAL_STUDY_UID = '1.2.840.113619.2.55.3.604688119.971.1699999999.1';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const ENHANCED_SR = '1.2.840.10008.5.1.4.1.1.88.22';

interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs an oracle; a missing one fails the test with what to install (CI installs them). */
function run(command: string, args: string[], install: string): ToolResult {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PYTHONIOENCODING: 'utf-8', LC_ALL: 'C.UTF-8' } });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${command} is not installed; the SR writer tests need it: ${install}`);
  }
  if (result.error) throw result.error;
  if (command === PYTHON && /No module named '?pydicom/.test(result.stderr)) {
    throw new Error(`pydicom is not installed for ${PYTHON}; the SR writer tests need it: apt-get install python3-pydicom`);
  }
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const dciodvfy = (file: string) => run('dciodvfy', [file], 'apt-get install dicom3tools');
const dsrdump = (file: string) => run('dsrdump', ['+Pl', '+Pc', '+Pt', '+Pu', file], 'apt-get install dcmtk');
const dcmdump = (file: string) => run('dcmdump', [file], 'apt-get install dcmtk');

/** pydicom's reading of each file (read-sr.py), keyed by path. */
function pydicomRead(files: string[], options: { lenient?: boolean } = {}): Record<string, PydicomSr> {
  const result = run(PYTHON, [join(here, 'read-sr.py'), ...(options.lenient ? ['--lenient'] : []), ...files], 'apt-get install python3 python3-pydicom');
  if (result.status !== 0) throw new Error(`pydicom could not read the SR files:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, PydicomSr>;
}

interface PydicomSr {
  transferSyntaxUid: string;
  mediaStorageSopInstanceUid: string;
  specificCharacterSet: string;
  sopClassUid: string;
  sopInstanceUid: string;
  modality: string;
  patientName: string;
  patientId: string;
  patientBirthDate: string;
  patientSex: string;
  studyInstanceUid: string;
  studyDate: string;
  accessionNumber: string;
  referringPhysicianName: string;
  studyDescription: string;
  seriesInstanceUid: string;
  seriesNumber: number;
  instanceNumber: number;
  contentDate: string;
  contentTime: string;
  completionFlag: string;
  verificationFlag: string;
  preliminaryFlag: string | null;
  verifyingObservers: { name: string; organization: string; dateTime: string }[];
  evidence: SrDocumentDescription['evidence'];
  predecessorDocuments: SrDocumentDescription['evidence'];
  timezoneOffsetFromUtc: string;
  root: Record<string, unknown>;
}

/**
 * The dciodvfy warnings these files may raise, each for a reason the report explains: Study Time
 * and Study ID are Type 2 and unknown to the report (empty is their conformant value); a PN
 * without a caret is valid (a name with one component), dciodvfy merely suspects the retired
 * ACR-NEMA form; the private coding scheme 99YUNZHEN is not a PS3.16 defined term. Any other
 * warning fails the test.
 */
const allowedWarnings = [
  /^Warning - Missing attribute or value that would be needed to build DICOMDIR - (Study ID|Study Time)$/,
  /^Warning - Value dubious for this VR - \(0x[0-9a-f]{4},0x[0-9a-f]{4}\) PN .* - Retired Person Name form$/,
  /^Warning - Unrecognized defined term <99YUNZHEN> for value 1 of attribute <Coding Scheme Designator>$/,
];

const templateIds = reportTemplates.map((t) => t.id);

interface Sample {
  name: string;
  doc?: ReportDocument;
  description: SrDocumentDescription;
  header: SrHeader;
  bytes: Uint8Array;
  file: string;
}

/** A deterministic header, so the bytes of a sample never change unless the writer does. */
function headerFor(name: string): SrHeader {
  const uid = (purpose: string) => uidFromBytes(new Uint8Array(createHash('sha256').update(`yunzhen-test:${purpose}:${name}`).digest().subarray(0, 16)));
  return {
    sopInstanceUid: uid('sr'),
    seriesInstanceUid: uid('series'),
    seriesNumber: 900,
    instanceNumber: 1,
    instanceCreationDateTime: new Date('2026-11-21T12:30:00.000Z'),
    manufacturer: 'Yunzhen',
    seriesDescription: 'Yunzhen report',
  };
}

/** The SR of the final report that the SR of an amended report replaces. */
const predecessor = { studyInstanceUid: REAL_STUDY_UID, seriesInstanceUid: '2.25.300000000000000000000000000000000001', sopClassUid: ENHANCED_SR, sopInstanceUid: '2.25.300000000000000000000000000000000002' };

const sampleNames: string[] = [
  ...templateIds.flatMap((t) => (['signed', 'draft'] as const).flatMap((state) => (['pseudonymous', 're-identified'] as const).map((audience) => `${t} ${state} ${audience}`))),
  'edge cases',
];
const samples = new Map<string, Sample>();
let folder = '';
let pydicom: Record<string, PydicomSr> = {};

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'yunzhen-sr-'));
  for (const templateId of templateIds) {
    const modality = templateId === 'breast' ? 'MG' : 'CT';
    for (const state of ['signed', 'draft'] as const) {
      const doc = state === 'signed' ? await signedReport(templateId) : draftReport(templateId);
      for (const audience of ['pseudonymous', 're-identified'] as const) {
        const context = audience === 'pseudonymous' ? pseudonymousContext(modality) : realContext(modality);
        const name = `${templateId} ${state} ${audience}`;
        add({ name, doc, description: toSrContentTree(doc, context), header: headerFor(name) });
      }
    }
  }
  const edge = edgeCaseDescription(await signedReport('general'));
  add({ name: 'edge cases', description: edge, header: { ...headerFor('edge'), timezoneOffsetFromUtc: '-0330', predecessorDocuments: [predecessor] } });
  pydicom = pydicomRead([...samples.values()].map((s) => s.file));
});

afterAll(() => {
  if (folder && !process.env.KEEP_SR) rmSync(folder, { recursive: true, force: true });
});

function add(sample: Omit<Sample, 'bytes' | 'file'>): void {
  const bytes = writeStructuredReport(sample.description, sample.header);
  const file = join(folder, `${sample.name.replaceAll(' ', '-')}.dcm`);
  writeFileSync(file, bytes);
  samples.set(sample.name, { ...sample, bytes, file });
}

const sample = (name: string): Sample => {
  const found = samples.get(name);
  if (!found) throw new Error(`no sample ${name}`);
  return found;
};

/** The general report with values that test the limits of the VRs added to its evaluations. */
function edgeCaseDescription(doc: ReportDocument): SrDocumentDescription {
  const sr = toSrContentTree(doc, realContext());
  const evaluations = sr.root.children.find((item): item is SrContainer => item.valueType === 'CONTAINER' && item.concept.value === 'C0034375');
  if (!evaluations) throw new Error('no Qualitative Evaluations container');
  const longMeaning = 'A code meaning that is longer than the sixty-four characters a Long String allows';
  const mm: SrCode = { value: 'mm', scheme: 'UCUM', meaning: 'millimeter' };
  const num = (meaning: string, value: number): SrItem => ({ relationship: 'CONTAINS', valueType: 'NUM', concept: { value: meaning, scheme: '99YUNZHEN', meaning }, value, unit: mm });
  evaluations.children.push(
    { relationship: 'CONTAINS', valueType: 'CODE', concept: { value: 'long-code-value-of-26-chars', scheme: '99YUNZHEN', meaning: longMeaning }, code: { value: 'C1', scheme: '99YUNZHEN', meaning: `${longMeaning}, really` } },
    num('sum', 0.1 + 0.2),
    num('big', 1234567.123456789),
    num('tiny', -1.5e-7),
    num('integer', 12),
    { relationship: 'CONTAINS', valueType: 'PNAME', concept: { value: '121008', scheme: 'DCM', meaning: 'Person Observer Name' }, personName: ' Zhang ^Wei^^^=张^伟^^^= ' },
    // Frame numbers only for a multi-frame SOP Class (Enhanced CT): PS3.3 Table 10-3 forbids them otherwise.
    { relationship: 'CONTAINS', valueType: 'IMAGE', image: { sopClassUid: '1.2.840.10008.5.1.4.1.1.2.1', sopInstanceUid: '1.2.840.113619.2.55.3.604688119.971.1699999999.3.1', frameNumbers: [1, 3] } },
  );
  return {
    ...sr,
    evidence: [...sr.evidence, { studyInstanceUid: sr.study.studyInstanceUid, seriesInstanceUid: '1.2.840.113619.2.55.3.604688119.971.1699999999.3', sopClassUid: '1.2.840.10008.5.1.4.1.1.2.1', sopInstanceUid: '1.2.840.113619.2.55.3.604688119.971.1699999999.3.1' }],
    verifyingObservers: sr.verifyingObservers.map((o) => ({ ...o, organization: 'Shanghai Cancer Center (demo), Department of Radiology and Nuclear Medicine' })),
    study: { ...sr.study, studyDescription: 'CT '.repeat(30) },
  };
}

/** Every item of a tree, depth first. */
function* walk(item: SrItem): Generator<SrItem> {
  yield item;
  for (const child of item.children ?? []) yield* walk(child);
}

const cut64 = (text: string) => [...text].slice(0, 64).join('').trimEnd();

/** What pydicom should read back for an item: the input, with the changes the VRs force. */
function expectedItem(item: SrItem): Record<string, unknown> {
  const code = (c: SrCode) => ({ value: c.value, scheme: c.scheme, meaning: cut64(c.meaning) });
  const out: Record<string, unknown> = { valueType: item.valueType };
  if (item.relationship) out.relationship = item.relationship;
  if (item.concept) out.concept = code(item.concept);
  switch (item.valueType) {
    case 'CONTAINER':
      out.continuity = item.continuity;
      if (item.templateId) Object.assign(out, { templateId: item.templateId, mappingResource: 'DCMR' });
      break;
    case 'TEXT':
      out.text = item.text;
      break;
    case 'CODE':
      out.code = code(item.code);
      break;
    case 'NUM':
      Object.assign(out, { value: item.value, unit: code(item.unit) });
      break;
    case 'UIDREF':
      out.uid = item.uid;
      break;
    case 'PNAME':
      out.personName = personName(item.personName);
      break;
    case 'IMAGE':
      out.image = item.image;
      break;
    case 'SCOORD':
      // Graphic Data is FL: single precision.
      Object.assign(out, { graphicType: item.graphicType, graphicData: item.graphicData.map(Math.fround) });
      break;
  }
  if (item.children?.length) out.children = item.children.map(expectedItem);
  return out;
}

/** pydicom's item with the DS check applied: the number is the Floating Point Value when present, and the DS fits 16 bytes. */
function readItem(item: Record<string, unknown>): Record<string, unknown> {
  const { numericValue, floatingPointValue, children, ...rest } = item as { numericValue?: string; floatingPointValue?: number; children?: Record<string, unknown>[]; value?: number };
  if (numericValue !== undefined) {
    expect(numericValue.length).toBeLessThanOrEqual(16);
    if (floatingPointValue !== undefined) rest.value = floatingPointValue;
    else expect(Number(numericValue)).toBe(rest.value);
  }
  return { ...rest, ...(children ? { children: children.map(readItem) } : {}) };
}

const dsrdumpCode = (c: SrCode) => `(${c.value},${c.scheme},"${cut64(c.meaning)}")`;

/** The line dsrdump prints for an item (with +Pc, +Pl), as far as it identifies the value. */
function dsrdumpFragment(item: SrItem): string | undefined {
  const concept = item.concept ? dsrdumpCode(item.concept) : '';
  switch (item.valueType) {
    case 'TEXT':
      return `TEXT:${concept}="${item.text.replaceAll('\n', '\\n')}"`;
    case 'CODE':
      return `CODE:${concept}=${dsrdumpCode(item.code)}`;
    case 'NUM':
      return `NUM:${concept}="${decimalString(item.value)}" ${dsrdumpCode(item.unit)}`;
    case 'UIDREF':
      return `UIDREF:${concept}="${item.uid}"`;
    case 'PNAME':
      return `PNAME:${concept}="${personName(item.personName)}"`;
    case 'IMAGE':
      return `"${item.image.sopInstanceUid}"`;
    case 'CONTAINER':
      return `CONTAINER:${concept}=SEPARATE>${item.templateId ? `  # TID ${item.templateId} (DCMR` : ''}`;
    case 'SCOORD':
      return `SCOORD:${concept}=(${item.graphicType},`;
  }
}

describe.each(sampleNames)('the Enhanced SR of the %s report', (name) => {
  it('passes dciodvfy with no errors and only the known warnings', () => {
    const { stderr, stdout } = dciodvfy(sample(name).file);
    const lines = `${stdout}\n${stderr}`.split('\n').filter((line) => line.trim() !== '');
    expect(lines.filter((line) => /error/i.test(line))).toEqual([]);
    expect(lines).toContain('EnhancedSR');
    const unexpected = lines.filter((line) => line.startsWith('Warning') && !allowedWarnings.some((pattern) => pattern.test(line)));
    expect(unexpected).toEqual([]);
  });

  it('is read by dsrdump, whose content tree shows every coded concept and value', () => {
    const { description, file } = sample(name);
    const { status, stdout, stderr } = dsrdump(file);
    expect(status).toBe(0);
    // DCMTK 3.6.7 cannot check the VRs of UTF-8 values and says so; anything else is a finding.
    expect(stderr.split('\n').filter((line) => line !== '' && !line.includes('VR checker does not support this Specific Character Set: ISO_IR 192'))).toEqual([]);
    expect(stdout).toContain('Enhanced SR Document');
    expect(stdout).toContain(`Completion Flag     : ${description.completionFlag}`);
    expect(stdout).toContain(`Verification Flag   : ${description.verificationFlag}`);
    for (const item of walk(description.root)) {
      const fragment = dsrdumpFragment(item);
      if (fragment) expect(stdout).toContain(fragment);
    }
  });

  it('is parsed by dcmdump without complaint', () => {
    const { description, file } = sample(name);
    const { status, stdout, stderr } = dcmdump(file);
    expect(status).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('(0002,0010) UI =LittleEndianExplicit');
    expect(stdout).toContain('(0008,0016) UI =EnhancedSRStorage');
    expect(stdout).toContain(`(0020,000d) UI [${description.study.studyInstanceUid}]`);
    expect(stdout).toContain(`(0040,a491) CS [${description.completionFlag}]`);
  });

  it('is read back by pydicom as the header and content tree it was written from', () => {
    const { description, header, file } = sample(name);
    const read = pydicom[file];
    if (!read) throw new Error(`pydicom did not read ${file}`);
    expect(read).toMatchObject({
      transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
      specificCharacterSet: 'ISO_IR 192',
      sopClassUid: ENHANCED_SR,
      sopInstanceUid: header.sopInstanceUid,
      mediaStorageSopInstanceUid: header.sopInstanceUid,
      modality: 'SR',
      patientName: personName(description.patient.name),
      patientId: description.patient.id,
      patientSex: description.patient.sex === 'U' ? '' : description.patient.sex,
      patientBirthDate: description.patient.birthDate?.replaceAll('-', '') ?? '',
      studyInstanceUid: description.study.studyInstanceUid,
      studyDate: description.study.studyDate.replaceAll('-', ''),
      accessionNumber: description.study.accessionNumber,
      referringPhysicianName: description.study.referringPhysician ?? '',
      studyDescription: cut64(description.study.studyDescription),
      seriesInstanceUid: header.seriesInstanceUid,
      seriesNumber: header.seriesNumber,
      instanceNumber: header.instanceNumber,
      completionFlag: description.completionFlag,
      verificationFlag: description.verificationFlag,
      preliminaryFlag: description.preliminaryFlag,
      evidence: description.evidence,
      predecessorDocuments: header.predecessorDocuments ?? [],
      timezoneOffsetFromUtc: header.timezoneOffsetFromUtc ?? '+0800',
    });
    expect(read.verifyingObservers.map((o) => [o.name, o.organization])).toEqual(description.verifyingObservers.map((o) => [o.name, cut64(o.organization)]));
    expect(readItem(read.root)).toEqual(expectedItem(description.root));
  });

  it('passes the ingest validation the server applies to derived objects', () => {
    const file = parseDicom(sample(name).bytes);
    expect(file.layout).toBe('part10');
    expect(() => validateForIngest(file, {}, 'ingest')).not.toThrow();
  });
});

describe('writeStructuredReport', () => {
  it('writes the original identity and UIDs into the re-identified SR', () => {
    const real = pydicom[sample('lung-nodule signed re-identified').file]!;
    expect(real.patientName).toBe(REAL_NAME);
    expect(real.patientId).toBe('3301020001');
    expect(real.accessionNumber).toBe('XH20261120001');
    expect(real.referringPhysicianName).toBe('陈静');
    expect(real.studyInstanceUid).toBe(REAL_STUDY_UID);
    expect(real.evidence.length).toBeGreaterThan(0);
    for (const e of real.evidence) {
      expect(e.studyInstanceUid).toBe(REAL_STUDY_UID);
      expect(e.sopInstanceUid.startsWith('1.2.840.113619.')).toBe(true);
    }
    const imageUids = [...walk(real.root as unknown as SrItem)].flatMap((item) => (item.valueType === 'IMAGE' ? [item.image.sopInstanceUid] : []));
    expect(imageUids.length).toBeGreaterThan(0);
    expect(imageUids.every((uid) => uid.startsWith('1.2.840.113619.'))).toBe(true);
  });

  it('writes pseudonyms only into the pseudonymous SR: no real name in UTF-8 or GB18030, no real identifier or UID', () => {
    const gb18030 = run(PYTHON, ['-c', `import sys; sys.stdout.write('${REAL_NAME}'.encode('gb18030').hex())`], 'apt-get install python3');
    expect(gb18030.stdout).toBe('d5c5ceb0');
    const forbidden: [string, Uint8Array][] = [
      ['real name (UTF-8)', new TextEncoder().encode(REAL_NAME)],
      ['real name (GB18030)', Uint8Array.from(Buffer.from(gb18030.stdout, 'hex'))],
      ['referring doctor (UTF-8)', new TextEncoder().encode('陈静')],
      ['real patient ID', new TextEncoder().encode('3301020001')],
      ['real accession number', new TextEncoder().encode('XH20261120001')],
      ['original UID root', new TextEncoder().encode('1.2.840.113619.')],
    ];
    for (const name of sampleNames.filter((n) => n.endsWith('pseudonymous'))) {
      const { bytes, file } = sample(name);
      for (const [what, needle] of forbidden) expect(indexOf(bytes, needle), `${what} in ${name}`).toBe(-1);
      expect(pydicom[file]).toMatchObject({ patientName: 'ANON^7F3A2C', patientId: 'P-7F3A2C', studyInstanceUid: '2.25.100000000000000000000000000000000001' });
    }
  });

  it('decodes the Chinese narrative exactly as written', () => {
    const { doc, file } = sample('general signed re-identified');
    const texts = [...walk(pydicom[file]!.root as unknown as SrItem)].flatMap((item) => (item.valueType === 'TEXT' ? [item.text] : []));
    const impression = doc?.values.impression as { 'zh-CN': string };
    expect(texts).toContain(impression['zh-CN']);
    expect(texts).toContain('补充：与 2025 年外院 CT 对比，肾上腺结节大小无变化。');
  });

  it('writes identical bytes for identical input', async () => {
    const { description, header, bytes } = sample('recist signed re-identified');
    const again = writeStructuredReport(toSrContentTree(await signedReport('recist'), realContext()), { ...header });
    expect(again).toEqual(bytes);
    expect(writeStructuredReport(description, header)).toEqual(bytes);
  });

  it('writes dates and times in the given offset from UTC and names it', () => {
    const pacific = pydicom[sample('edge cases').file]!;
    // signed 2026-11-20T09:00Z, written at −03:30
    expect(pacific.verifyingObservers[0]?.dateTime).toBe('20261120053000-0330');
    const shanghai = pydicom[sample('general signed re-identified').file]!;
    expect(shanghai.verifyingObservers.map((o) => o.dateTime)).toEqual(['20261120170000+0800', '20261121180000+0800']);
    expect([shanghai.contentDate, shanghai.contentTime]).toEqual(['20261121', '190000']);
  });

  it('keeps what the VRs cannot hold in the attributes made for it, and cuts only descriptive LO text', () => {
    const root = pydicom[sample('edge cases').file]!.root as unknown as SrItem;
    const items = [...walk(root)];
    const coded = items.find((item) => item.concept?.value === 'long-code-value-of-26-chars');
    expect(coded?.concept?.meaning).toBe('A code meaning that is longer than the sixty-four characters a L');
    expect(coded?.valueType === 'CODE' && coded.code.meaning).toBe('A code meaning that is longer than the sixty-four characters a L');
    const pname = items.find((item) => item.valueType === 'PNAME' && item.relationship === 'CONTAINS');
    expect(pname).toMatchObject({ personName: 'Zhang^Wei=张^伟' });
    const image = items.find((item) => item.valueType === 'IMAGE' && item.image.frameNumbers);
    expect(image).toMatchObject({ image: { frameNumbers: [1, 3] } });
    const dump = dcmdump(sample('edge cases').file).stdout;
    expect(dump).toContain('(0008,0119) UC [long-code-value-of-26-chars]');
    expect(dump).toMatch(/\(0040,a30a\) DS \[0\.3\]/);
    expect(dump).toMatch(/\(0040,a161\) FD 0\.30000000000000004/);
    expect(dump).toContain('(0040,a30a) DS [1234567.12345679]');
    expect(dump).toContain('(0040,a30a) DS [-1.5e-7]');
  });

  it('counts LO lengths in characters as PS3.5 6.2 does, where dciodvfy and pydicom count bytes', () => {
    const { description, header } = sample('general signed re-identified');
    const organization = '复旦大学附属肿瘤医院放射诊断科远程影像诊断中心'; // 23 characters, 69 bytes in UTF-8
    const file = join(folder, 'wide-lo.dcm');
    writeFileSync(file, writeStructuredReport({ ...description, verifyingObservers: description.verifyingObservers.map((o) => ({ ...o, organization })) }, header));
    const errors = dciodvfy(file).stderr.split('\n').filter((line) => line.startsWith('Error'));
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toMatch(/^Error - (Value invalid for this VR - \(0x0040,0xa027\) LO Verifying Organization .* Length invalid for this VR = 69, expected <= 64|Dicom dataset contains invalid data values for Value Representations)$/);
    }
    expect(pydicomRead([file], { lenient: true })[file]?.verifyingObservers.map((o) => o.organization)).toEqual([organization, organization]);
  });

  it('formats numbers as DS of at most 16 characters', () => {
    expect(decimalString(9.2)).toBe('9.2');
    expect(decimalString(-20)).toBe('-20');
    expect(decimalString(0.1 + 0.2)).toBe('0.3');
    expect(decimalString(1234567.123456789)).toBe('1234567.12345679');
    expect(decimalString(-1234567.123456789)).toBe('-1234567.1234568');
    expect(decimalString(1e21)).toBe('1e+21');
    expect(decimalString(-1.2345678901234567e-300)).toBe('-1.23456789e-300');
    for (const value of [Math.PI, -Math.E * 1e10, 2 ** 60, -(2 ** -40), 123456789012345680000]) expect(decimalString(value).length).toBeLessThanOrEqual(16);
  });

  it('formats person names without stray separators and keeps plain names whole', () => {
    expect(personName('张伟')).toBe('张伟');
    expect(personName('李明 Li Ming')).toBe('李明 Li Ming');
    expect(personName('ANON^7F3A2C')).toBe('ANON^7F3A2C');
    expect(personName('Zhang^Wei^^^')).toBe('Zhang^Wei');
    expect(personName('Zhang^Wei==')).toBe('Zhang^Wei');
    expect(personName('=王^小东')).toBe('=王^小东');
    expect(personName('Wang^XiaoDong=王^小东=')).toBe('Wang^XiaoDong=王^小东');
    expect(personName('^^^^')).toBe('');
    expect(() => personName('a=b=c=d')).toThrow(/three component groups/);
    expect(() => personName('a^b^c^d^e^f')).toThrow(/five components/);
    expect(() => personName('Zhang\\Wei')).toThrow(/backslash/);
    expect(() => personName('x'.repeat(65))).toThrow(/64 characters/);
  });

  it('refuses identifiers that break their VR, naming the attribute and never the value', async () => {
    const description = toSrContentTree(await signedReport('breast'), realContext('MG'));
    const header = headerFor('refusals');
    const refusal = (write: () => unknown) => {
      try {
        write();
      } catch (error) {
        if (!isDicomError(error)) throw error;
        return { code: error.code, tag: error.details.tag, message: error.message };
      }
      throw new Error('not refused');
    };
    expect(refusal(() => writeStructuredReport(description, { ...header, sopInstanceUid: '1.2.03' }))).toMatchObject({ code: 'InvalidUid', tag: '(0008,0018)' });
    const longAccession = refusal(() => writeStructuredReport({ ...description, study: { ...description.study, accessionNumber: 'XH2026112000100099' } }, header));
    expect(longAccession).toMatchObject({ code: 'InvalidValue', tag: '(0008,0050)' });
    expect(longAccession.message).not.toContain('XH2026');
    expect(refusal(() => writeStructuredReport({ ...description, verifyingObservers: [] }, header))).toMatchObject({ code: 'InvalidValue', tag: '(0040,A073)' });
    expect(refusal(() => writeStructuredReport({ ...description, contentDateTime: 'yesterday' }, header))).toMatchObject({ code: 'InvalidValue', tag: '(0008,0023)' });
    expect(refusal(() => writeStructuredReport(description, { ...header, timezoneOffsetFromUtc: '+8' }))).toMatchObject({ code: 'InvalidValue', tag: '(0008,0201)' });
    // Without an offset the time would be read in the time zone of whatever machine runs this.
    expect(refusal(() => writeStructuredReport({ ...description, contentDateTime: '2026-11-20T09:00:00' }, header))).toMatchObject({ code: 'InvalidValue', tag: '(0008,0023)' });
    expect(refusal(() => writeStructuredReport(description, { ...header, instanceNumber: 1.5 }))).toMatchObject({ code: 'InvalidValue', tag: '(0020,0013)' });
    expect(refusal(() => writeStructuredReport(description, { ...header, seriesNumber: 2 ** 31 }))).toMatchObject({ code: 'InvalidValue', tag: '(0020,0011)' });
    expect(refusal(() => writeStructuredReport({ ...description, evidence: description.evidence.slice(1) }, header))).toMatchObject({ code: 'InvalidValue', tag: '(0040,A375)' });
    const badScoord: SrDocumentDescription = { ...description, root: { ...description.root, children: [{ relationship: 'CONTAINS', valueType: 'SCOORD', graphicType: 'ELLIPSE', graphicData: [1, 2, 3, 4] }] } };
    expect(refusal(() => writeStructuredReport(badScoord, header))).toMatchObject({ code: 'InvalidValue', tag: '(0070,0022)' });
    const nan: SrDocumentDescription = { ...description, root: { ...description.root, children: [{ relationship: 'CONTAINS', valueType: 'NUM', concept: { value: 'x', scheme: '99YUNZHEN', meaning: 'x' }, value: Number.NaN, unit: { value: 'mm', scheme: 'UCUM', meaning: 'mm' } }] } };
    expect(refusal(() => writeStructuredReport(nan, header))).toMatchObject({ code: 'InvalidValue', tag: '(0040,A30A)' });
  });

  it('has oracles that reject a broken SR (negative controls)', () => {
    const { description, header } = sample('breast signed pseudonymous');
    const [listed] = description.evidence;
    if (!listed) throw new Error('the breast sample references no image');
    // An IMAGE may not modify a concept (PS3.3 Table A.35.2-2): dsrdump checks relationship constraints.
    const broken: SrDocumentDescription = {
      ...description,
      root: { ...description.root, children: [...description.root.children, { relationship: 'HAS CONCEPT MOD', valueType: 'IMAGE', image: { sopClassUid: listed.sopClassUid, sopInstanceUid: listed.sopInstanceUid } }] },
    };
    const file = join(folder, 'broken-constraint.dcm');
    writeFileSync(file, writeStructuredReport(broken, header));
    const dumped = dsrdump(file);
    expect(dumped.status).not.toBe(0);
    expect(dumped.stderr).toMatch(/E: /);
    // dciodvfy finds a Type 1 attribute given empty.
    const emptyFlag = join(folder, 'broken-flag.dcm');
    writeFileSync(emptyFlag, writeStructuredReport({ ...description, completionFlag: '' as 'COMPLETE' }, header));
    expect(dciodvfy(emptyFlag).stderr).toMatch(/^Error - .*Completion ?Flag/im);
  });
});

describe.each(templateIds)('the Enhanced SR golden file of the %s template', (templateId) => {
  it('matches, element by element and byte for byte', () => {
    const { bytes } = sample(`${templateId} signed re-identified`);
    expectGolden(`${templateId}.sr.dcm`, { sha256: createHash('sha256').update(bytes).digest('hex'), byteLength: bytes.length, elements: dump(bytes) });
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A stable text dump of the file, one line per element and item, values decoded. */
function dump(bytes: Uint8Array): string[] {
  const file = parseDicom(bytes);
  const lines: string[] = [];
  const visit = (dataset: DicomDataset, depth: number, inherited: CharacterSet) => {
    const characterSet = characterSetOf(dataset, inherited);
    for (const element of dataset.elements) {
      const head = `${'  '.repeat(depth)}${formatTag(element.tag)} ${element.vr} ${keywordOf(element.tag) ?? '?'}`;
      if (element.items) {
        lines.push(`${head} (${element.items.length} item${element.items.length === 1 ? '' : 's'})`);
        element.items.forEach((item, index) => {
          lines.push(`${'  '.repeat(depth + 1)}item ${index + 1}`);
          visit(item, depth + 2, characterSet);
        });
        continue;
      }
      const value = valueBytes(dataset, element);
      lines.push(`${head} ${renderValue(value, element.vr, characterSet)}`);
    }
  };
  if (file.meta) visit(file.meta, 0, characterSetOf(file.meta));
  visit(file.dataset, 0, characterSetOf(file.dataset));
  return lines;
}

function renderValue(value: Uint8Array, vr: string, characterSet: CharacterSet): string {
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const numbers = (size: number, read: (offset: number) => number) => Array.from({ length: value.length / size }, (_, i) => read(i * size)).join('\\');
  switch (vr) {
    case 'FL':
      return numbers(4, (o) => view.getFloat32(o, true));
    case 'FD':
      return numbers(8, (o) => view.getFloat64(o, true));
    case 'UL':
      return numbers(4, (o) => view.getUint32(o, true));
    case 'US':
      return numbers(2, (o) => view.getUint16(o, true));
    case 'OB':
      return Array.from(value, (b) => b.toString(16).padStart(2, '0')).join(' ');
    default:
      return JSON.stringify(decodeText(value, characterSet, vr as Parameters<typeof decodeText>[2]));
  }
}

describe('names from the sending hospital', () => {
  it('are made conformant, not refused, so a report with a malformed original PatientName can still be delivered', () => {
    const PatientName = 0x00100010;
    expect(() => personName('A=B=C=D', PatientName)).toThrow();
    expect(recordedPersonName('Wang^Xiao=王^小=ワン^シャオ=EXTRA', PatientName)).toBe('Wang^Xiao=王^小=ワン^シャオ');
    expect(recordedPersonName('A^B^C^D^E^F^G', PatientName)).toBe('A^B^C^D^E F G');
    expect([...recordedPersonName('X'.repeat(80), PatientName)]).toHaveLength(64);
  });
});
