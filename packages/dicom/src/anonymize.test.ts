import { afterEach, describe, expect, test, vi } from 'vitest';
import { anonymize, DERIVED_UID_PREFIX, type AnonymizeOptions } from './anonymize.js';
import { characterSetOf, readText } from './charset.js';
import { findElement, getAsciiString, valueBytes, type DicomDataset } from './dataset.js';
import { shiftDateValue } from './dates.js';
import { DicomError } from './errors.js';
import { parseDicom } from './parse.js';
import { basicProfile, remoteDiagnosisProfile, type DeidentificationProfile } from './profile.js';
import { createMemoryPseudonymStore, type PseudonymStore } from './pseudonym-store.js';
import { Tags, type Tag } from './tags.js';
import { randomBytesForStore, seededRandom } from './testing/random.js';
import { readSample } from './testing/samples.js';
import { buildCtSeries } from './testing/synthetic.js';
import { writeDicom, type WriteElement } from './write.js';

const newStore = (seed = 1) => createMemoryPseudonymStore({ random: seededRandom(seed) });

async function run(bytes: Uint8Array, options: AnonymizeOptions = {}, store: PseudonymStore = newStore()) {
  const result = await anonymize(bytes, options, { pseudonyms: store });
  return { result, output: parseDicom(result.bytes).dataset };
}

/** Every value of `tag` anywhere in the data set, as ASCII text. */
function valuesAnywhere(dataset: DicomDataset, tag: Tag, found: string[] = []): string[] {
  for (const element of dataset.elements) {
    if (element.tag === tag && element.items === undefined) found.push(getAsciiString(dataset, tag)!);
    for (const item of element.items ?? []) valuesAnywhere(item, tag, found);
  }
  return found;
}

const text = (dataset: DicomDataset, tag: Tag) => {
  const element = findElement(dataset, tag);
  return element === undefined ? undefined : readText(dataset, element, characterSetOf(dataset));
};

const ctSlice = () => buildCtSeries({ slices: 1, rows: 16, columns: 16 })[0]!;

function withProfile(changes: Partial<DeidentificationProfile>): AnonymizeOptions {
  return { profile: Object.freeze({ ...remoteDiagnosisProfile, ...changes }) };
}

describe('references stay consistent', () => {
  test('the CT slices and the SEG that references them share study, frame of reference and instance UIDs', async () => {
    const store = newStore();
    const slices = ['17106', '17136', '17166', '17196'];
    const cts = await Promise.all(slices.map((name) => run(readSample(`studies/ct-4slice-with-seg/${name}`), {}, store)));
    const seg = await run(readSample('studies/ct-4slice-with-seg/seg_image_ct_binary.dcm'), {}, store);
    const studyUids = new Set([...cts, seg].map(({ result }) => result.attributes.StudyInstanceUID));
    expect(studyUids.size).toBe(1);
    expect([...studyUids][0]).toMatch(/^2\.25\.\d+$/);
    const ctSopUids = new Set(cts.map(({ result }) => result.attributes.SOPInstanceUID));
    const referenced = valuesAnywhere(seg.output, 0x00081155);
    expect(referenced.length).toBeGreaterThanOrEqual(3);
    for (const uid of referenced) expect(ctSopUids.has(uid)).toBe(true);
    expect(new Set(referenced).size).toBeGreaterThanOrEqual(3);
    const frameOfReference = getAsciiString(cts[0]!.output, 0x00200052);
    expect(getAsciiString(seg.output, 0x00200052)).toBe(frameOfReference);
    const seriesReferenced = valuesAnywhere(seg.output, Tags.SeriesInstanceUID);
    expect(seriesReferenced).toContain(cts[1]!.result.attributes.SeriesInstanceUID);
  });

  test('an SR that references CT_small points at the new UIDs of CT_small', async () => {
    const store = newStore();
    const ct = await run(readSample('modalities/CT_small.dcm'), {}, store);
    const sr = await run(readSample('sr-seg-pdf/sr_document.dcm'), {}, store);
    expect(valuesAnywhere(sr.output, 0x00081155)).toContain(ct.result.attributes.SOPInstanceUID);
    expect(sr.result.attributes.StudyInstanceUID).toBe(ct.result.attributes.StudyInstanceUID);
  });

  test('the same UID gets the same pseudonym in one hospital and a different one in another', async () => {
    const bytes = readSample('transfer-syntaxes/MR_small.dcm');
    const hospitalA = newStore(1);
    const first = await run(bytes, {}, hospitalA);
    const again = await run(bytes, {}, hospitalA);
    const hospitalB = await run(bytes, {}, newStore(2));
    expect(again.result.attributes.SOPInstanceUID).toBe(first.result.attributes.SOPInstanceUID);
    expect(again.result.attributes.PatientID).toBe(first.result.attributes.PatientID);
    expect(hospitalB.result.attributes.SOPInstanceUID).not.toBe(first.result.attributes.SOPInstanceUID);
    expect(hospitalB.result.attributes.PatientID).not.toBe(first.result.attributes.PatientID);
  });

  test('one patient keeps one pseudonym and one date shift across instances and studies', async () => {
    const store = newStore();
    const results = await Promise.all(['MR01', 'MR02', 'MR16'].map((name) => run(readSample(`studies/mr-16slice/${name}.dcm`), {}, store)));
    const ids = new Set(results.map(({ result }) => result.attributes.PatientID));
    const shifts = new Set(results.map(({ result }) => result.mapping.dateShiftDays));
    expect(ids.size).toBe(1);
    expect(shifts.size).toBe(1);
    // A second study of the same patient (another study UID, other dates) gets the same shift.
    const [first, second] = buildCtSeries({ slices: 2, rows: 8, columns: 8, seed: 3 });
    const otherStudy = edit(second!, [{ tag: Tags.StudyInstanceUID, vr: 'UI', value: '2.25.42' }, { tag: Tags.StudyDate, vr: 'DA', value: '20240601' }]);
    const a = await run(first!, {}, store);
    const b = await run(otherStudy, {}, store);
    expect(b.result.mapping.dateShiftDays).toBe(a.result.mapping.dateShiftDays);
    expect(b.result.attributes.StudyInstanceUID).not.toBe(a.result.attributes.StudyInstanceUID);
    expect(b.result.attributes.PatientID).toBe(a.result.attributes.PatientID);
    expect(b.result.attributes.StudyDate).toBe(shiftDateValue('20240601', b.result.mapping.dateShiftDays!));
  });

  test('the pseudonym store is asked once per instance', async () => {
    const store = newStore();
    const resolve = vi.spyOn(store, 'resolve');
    await run(readSample('sr-seg-pdf/tumor_User1_Manual_Trial1.dcm'), {}, store);
    expect(resolve).toHaveBeenCalledTimes(1);
    const request = resolve.mock.calls[0]![0];
    expect(new Set(request.uids).size).toBe(request.uids.length);
    expect(request.uids.length).toBeGreaterThan(3);
  });
});

/** An instance's top-level elements (values copied) with some replaced or added, written again. */
function edit(bytes: Uint8Array, changes: readonly WriteElement[], remove: readonly Tag[] = []): Uint8Array {
  const { dataset } = parseDicom(bytes);
  const replaced = new Set([...changes.map((change) => change.tag), ...remove]);
  const kept: WriteElement[] = dataset.elements
    .filter((element) => element.items === undefined && !replaced.has(element.tag))
    .map((element) => ({ tag: element.tag, vr: element.vr, bytes: valueBytes(dataset, element) }));
  return writeDicom({ dataset: [...kept, ...changes], transferSyntaxUid: '1.2.840.10008.1.2.1' });
}

describe('the remote diagnosis profile', () => {
  test('keeps what the specialist needs and removes identity', async () => {
    const { result, output } = await run(ctSlice());
    const { attributes } = result;
    expect(attributes.PatientSex).toBe('M');
    expect(attributes.PatientAge).toBe('062Y');
    expect(attributes.PatientWeight).toBe('68.5');
    expect(attributes.PatientBirthDate).toBeNull();
    expect(attributes.StudyDescription).toBe('CT CHEST W/O CONTRAST');
    expect(attributes.SeriesDescription).toBe('AXIAL 1.25mm LUNG');
    expect(attributes.BodyPartExamined).toBe('CHEST');
    expect(attributes.AccessionNumber).toBeNull();
    expect(attributes.PatientID).toMatch(/^YZ[A-Z2-9]{10}$/);
    expect(attributes.PatientName).toBe(`ANONYMOUS^${attributes.PatientID}`);
    expect(attributes.StudyDate).toBe(shiftDateValue('20240315', result.mapping.dateShiftDays!));
    expect(attributes.StudyTime).toBe('100102');
    expect(text(output, 0x00080080)).toBe('ANONYMIZED'); // Institution Name, X/Z/D: present, so a dummy
    expect(findElement(output, 0x00080081)).toBeUndefined(); // Institution Address, X
    expect(text(output, 0x00080090)).toBe(''); // Referring Physician's Name, Z
    expect(text(output, 0x00081070)).toBe('ANONYMIZED'); // Operators' Name, X/Z/D
    expect(findElement(output, 0x00101040)).toBeUndefined(); // Patient's Address
    expect(findElement(output, 0x00102154)).toBeUndefined(); // Patient's Telephone Numbers
    expect(text(output, 0x001021b0)).toBe('Cough for 3 weeks, smoker'); // Additional Patient History, cleaned and clean
    expect(text(output, 0x00181000)).toBe('ANONYMIZED'); // Device Serial Number
    expect(getAsciiString(output, 0x00191023)).toBe('39.375'); // GEMS_ACQU_01 Table Speed, a safe private element
    expect(findElement(output, 0x00190010)).toBeDefined();
    expect(findElement(output, 0x00191060)).toBeUndefined(); // not in Table E.3.10-1
    expect(getAsciiString(output, Tags.PatientIdentityRemoved)).toBe('YES');
    expect(getAsciiString(output, Tags.LongitudinalTemporalInformationModified)).toBe('MODIFIED');
    const codes = findElement(output, Tags.DeidentificationMethodCodeSequence)!.items!.map((item) => getAsciiString(item, Tags.CodeValue));
    expect(codes).toEqual(['113100', '113111', '113108', '113107', '113105', '113104', '113103']);
    expect(result.mapping.patient.original).toEqual({ id: 'MRN-0038841', name: 'Wang^Xiaodong=王^小东', birthDate: '19610704', issuer: 'QINGSHAN-HIS', studyUid: expect.any(String), address: '青山县东街 12 号' });
    expect(result.mapping.accessionNumber).toEqual({ original: 'A20240315-0042', pseudonym: '' });
    expect(result.mapping.uids.length).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(JSON.stringify(result.mapping))).toEqual(result.mapping);
  });

  test('a description that names the patient is not kept', async () => {
    const bytes = edit(ctSlice(), [{ tag: Tags.StudyDescription, vr: 'LO', value: 'CT for 王小东 follow-up' }]);
    const { output } = await run(bytes);
    expect(findElement(output, Tags.StudyDescription)).toBeUndefined();
    expect(text(output, Tags.SeriesDescription)).toBe('AXIAL 1.25mm LUNG');
  });

  test("derives Patient's Age when it is missing, from the original birth and study dates", async () => {
    const bytes = edit(ctSlice(), [], [Tags.PatientAge]);
    const { result } = await run(bytes);
    expect(result.attributes.PatientAge).toBe('062Y');
    const basic = await run(bytes, { profile: basicProfile });
    expect(basic.result.attributes.PatientAge).toBeNull();
  });
});

describe('profile options', () => {
  test('the Basic Profile alone removes characteristics, dates, descriptors and private elements', async () => {
    const { result, output } = await run(ctSlice(), { profile: basicProfile });
    expect(result.attributes.PatientSex).toBeNull();
    expect(result.attributes.PatientAge).toBeNull();
    expect(result.attributes.StudyDate).toBeNull();
    expect(result.attributes.StudyDescription).toBeNull();
    expect(findElement(output, 0x00190010)).toBeUndefined();
    expect(findElement(output, 0x00191023)).toBeUndefined();
    expect(text(output, Tags.AcquisitionDate)).toBe(''); // X/Z: an empty value
    expect(text(output, Tags.SeriesDate)).toBe('19000101'); // X/D: present and not empty, so a dummy
    expect(getAsciiString(output, Tags.LongitudinalTemporalInformationModified)).toBe('REMOVED');
    expect(result.mapping.dateShiftDays).toBeNull();
    expect(findElement(output, Tags.DeidentificationMethodCodeSequence)!.items).toHaveLength(1);
  });

  test('Retain UIDs keeps the UIDs', async () => {
    const bytes = ctSlice();
    const original = parseDicom(bytes).dataset;
    const { result } = await run(bytes, withProfile({ retainUIDs: true }));
    expect(result.attributes.SOPInstanceUID).toBe(getAsciiString(original, Tags.SOPInstanceUID));
    expect(result.attributes.StudyInstanceUID).toBe(getAsciiString(original, Tags.StudyInstanceUID));
    expect(result.mapping.uids).toEqual([]);
  });

  test('Retain Device Identity and Retain Institution Identity keep those values', async () => {
    const { output } = await run(ctSlice(), withProfile({ retainDeviceIdentity: true, retainInstitutionIdentity: true }));
    expect(text(output, 0x00081010)).toBe('CT-ROOM-2');
    expect(text(output, 0x00181000)).toBe('SN-77812');
    expect(text(output, 0x00080080)).toBe('青山县人民医院');
    expect(text(output, 0x00081040)).toBe('放射科');
  });

  test('Full Dates keep the dates; Modified Dates shift them; without either they go', async () => {
    const full = await run(ctSlice(), withProfile({ longitudinalTemporalInformation: 'full' }));
    expect(full.result.attributes.StudyDate).toBe('20240315');
    expect(getAsciiString(full.output, Tags.LongitudinalTemporalInformationModified)).toBe('UNMODIFIED');
    const modified = await run(ctSlice(), withProfile({ longitudinalTemporalInformation: 'modified' }));
    expect(modified.result.attributes.StudyDate).not.toBe('20240315');
    expect(getAsciiString(modified.output, 0x00400244)).toBe(shiftDateValue('20240315', modified.result.mapping.dateShiftDays!)); // not listed in E.1-1, shifted too
    const removed = await run(ctSlice(), withProfile({ longitudinalTemporalInformation: 'remove' }));
    expect(removed.result.attributes.StudyDate).toBeNull();
  });

  test('Retain Patient Characteristics off removes them', async () => {
    const { result } = await run(ctSlice(), withProfile({ retainPatientCharacteristics: false }));
    expect(result.attributes.PatientSex).toBeNull();
    expect(result.attributes.PatientWeight).toBeNull();
  });
});

describe('what is always removed or added', () => {
  test('icon images go, and an existing De-identification Method is appended to', async () => {
    const bytes = readSample('modalities/PT_acrin_flt_breast_1.dcm');
    expect(findElement(parseDicom(bytes).dataset, Tags.IconImageSequence)).toBeDefined();
    const { output } = await run(bytes);
    expect(findElement(output, Tags.IconImageSequence)).toBeUndefined();
    const edited = edit(ctSlice(), [{ tag: Tags.DeidentificationMethod, vr: 'LO', value: 'PRIOR METHOD' }]);
    const again = await run(edited);
    expect(text(again.output, Tags.DeidentificationMethod)?.split('\\')[0]).toBe('PRIOR METHOD');
    expect(text(again.output, Tags.DeidentificationMethod)).toContain('Basic Application Confidentiality Profile');
  });

  test('an encapsulated PDF is replaced by a blank PDF', async () => {
    const pdf = new TextEncoder().encode('%PDF-1.4\n% report for Wang Xiaodong, MRN-0038841\n%%EOF\n');
    const bytes = writeDicom({
      dataset: [
        { tag: Tags.SOPClassUID, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.104.1' },
        { tag: Tags.SOPInstanceUID, vr: 'UI', value: '2.25.11' },
        { tag: Tags.StudyInstanceUID, vr: 'UI', value: '2.25.12' },
        { tag: Tags.SeriesInstanceUID, vr: 'UI', value: '2.25.13' },
        { tag: Tags.Modality, vr: 'CS', value: 'DOC' },
        { tag: Tags.PatientName, vr: 'PN', value: 'Wang^Xiaodong' },
        { tag: Tags.MIMETypeOfEncapsulatedDocument, vr: 'LO', value: 'application/pdf' },
        { tag: Tags.EncapsulatedDocument, vr: 'OB', bytes: pdf },
      ],
      transferSyntaxUid: '1.2.840.10008.1.2.1',
    });
    const { output } = await run(bytes);
    const document = new TextDecoder().decode(valueBytes(output, findElement(output, Tags.EncapsulatedDocument)!));
    expect(document.startsWith('%PDF-1.4')).toBe(true);
    expect(document).not.toContain('Wang');
    expect(document).not.toContain('0038841');
  });

  test('Person Observer Name in an SR is replaced even when sent as TEXT', async () => {
    const { output } = await run(readSample('sr-seg-pdf/sr_document.dcm'));
    const values = valuesAnywhere(output, Tags.TextValue);
    expect(values).not.toContain('Foo');
    expect(values).toContain('ANONYMIZED');
    expect(values).toContain('Planar ROI Measurements');
  });
});

describe('pixel review', () => {
  test.each([
    ['modalities/US-RGB-8-esopecho', ['ModalityBurnsInText', 'SecondaryCapture']],
    ['transfer-syntaxes/SC_rgb_jpeg_dcmtk.dcm', ['ModalityBurnsInText', 'SecondaryCapture']],
    ['modalities/XA1_JPLY', ['SecondaryCapture']],
    ['modalities/dx_image.dcm', []],
    ['modalities/CT_small.dcm', []],
    ['edge-cases/examples_overlay.dcm', ['OverlayRetained']],
  ])('%s: %j', async (path, reasons) => {
    const { result } = await run(readSample(path));
    expect(result.pixelReviewReasons).toEqual(reasons);
    expect(result.needsPixelReview).toBe(reasons.length > 0);
  });

  test('Burned In Annotation YES always needs review, NO clears a modality that usually burns text in', async () => {
    const build = (modality: string, burnedIn: string) =>
      edit(ctSlice(), [
        { tag: Tags.Modality, vr: 'CS', value: modality },
        { tag: Tags.BurnedInAnnotation, vr: 'CS', value: burnedIn },
      ]);
    expect((await run(build('CT', 'YES'))).result.pixelReviewReasons).toEqual(['BurnedInAnnotation']);
    expect((await run(build('US', 'NO'))).result.needsPixelReview).toBe(false);
  });

  test('without Clean Graphics the overlay groups are removed whole', async () => {
    const { result, output } = await run(readSample('edge-cases/examples_overlay.dcm'), withProfile({ cleanGraphics: false }));
    expect(output.elements.some((element) => element.tag >>> 16 === 0x6000)).toBe(false);
    expect(result.needsPixelReview).toBe(false);
  });
});

describe('failures', () => {
  afterEach(() => vi.restoreAllMocks());

  test('never logs', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) => vi.spyOn(console, method).mockImplementation(() => {}));
    await run(readSample('charsets/chrX1.dcm'));
    await run(readSample('broken/badVR.dcm')).catch(() => undefined);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  test('rejections carry a code and a message without values', async () => {
    const error = await run(readSample('broken/badVR.dcm')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DicomError);
    expect((error as DicomError).message).not.toContain('1A');
    const missing = await run(readSample('transfer-syntaxes/HTJ2K_08_RGB.dcm')).catch((caught: unknown) => caught);
    expect((missing as DicomError).code).toBe('MissingRequiredUid');
  });

  test('a store that breaks its contract is a programming error, not a DicomError', async () => {
    const broken: PseudonymStore = { resolve: async () => ({ uids: new Map(), patient: { id: 'X', name: 'Y' }, dateShiftDays: 0 }) };
    const error = await run(readSample('transfer-syntaxes/MR_small.dcm'), {}, broken).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DicomError);
  });
});

describe('instances without Study or Series Instance UID (validation: instance)', () => {
  test('derives them deterministically, so one export lands in one study', async () => {
    const file = readSample('transfer-syntaxes/HTJ2K_08_RGB.dcm');
    await expect(anonymize(file, {}, { pseudonyms: createMemoryPseudonymStore({ random: randomBytesForStore }) })).rejects.toMatchObject({ code: 'MissingRequiredUid' });
    const pseudonyms = createMemoryPseudonymStore({ random: randomBytesForStore });
    const first = await anonymize(file, { validation: 'instance' }, { pseudonyms });
    const again = await anonymize(file, { validation: 'instance' }, { pseudonyms });
    expect(first.attributes.StudyInstanceUID).toMatch(/^2\.25\.\d+$/);
    expect(first.attributes.SeriesInstanceUID).toMatch(/^2\.25\.\d+$/);
    expect(again.attributes.StudyInstanceUID).toBe(first.attributes.StudyInstanceUID);
    const derived = first.mapping.uids.filter((u) => u.original.startsWith(DERIVED_UID_PREFIX));
    expect(derived.map((u) => u.pseudonym).sort()).toEqual([first.attributes.SeriesInstanceUID, first.attributes.StudyInstanceUID].sort());
    // Instances that have their UIDs are untouched by the option.
    const ct = await anonymize(readSample('modalities/CT_small.dcm'), { validation: 'instance' }, { pseudonyms });
    expect(ct.mapping.uids.some((u) => u.original.startsWith(DERIVED_UID_PREFIX))).toBe(false);
  });
});
