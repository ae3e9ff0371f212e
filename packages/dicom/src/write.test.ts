import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { characterSetOf, readText } from './charset.js';
import { findElement, getAsciiString, readUint16Values, valueBytes } from './dataset.js';
import { DicomError } from './errors.js';
import { parseDicom } from './parse.js';
import { Tags } from './tags.js';
import { dcmdump, pydicomRead } from './testing/oracles.js';
import { implementationClassUid, implementationVersionName } from './uid.js';
import { writeDicom, type WriteElement } from './write.js';

const syntaxes = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  bigEndian: '1.2.840.10008.1.2.2',
  deflated: '1.2.840.10008.1.2.1.99',
} as const;

const pixels = Uint8Array.from({ length: 4 * 4 * 2 }, (_, index) => index * 7);

/** A small secondary capture built from scratch, the way a report package would build an SR. */
function scratchDataset(): WriteElement[] {
  return [
    { tag: Tags.SpecificCharacterSet, vr: 'CS', value: 'ISO_IR 192' },
    { tag: Tags.SOPClassUID, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: Tags.SOPInstanceUID, vr: 'UI', value: '2.25.1234567890' },
    { tag: Tags.StudyDate, vr: 'DA', value: '20240101' },
    { tag: Tags.Modality, vr: 'CS', value: 'OT' },
    { tag: 0x00080000, vr: 'UL', value: 1234 }, // a group length, which the writer drops
    { tag: Tags.PatientName, vr: 'PN', value: '王^小东' },
    { tag: Tags.PatientID, vr: 'LO', value: 'P-1' },
    { tag: 0x00181000, vr: 'LO', value: ['a', 'b'] },
    { tag: Tags.StudyInstanceUID, vr: 'UI', value: '2.25.1' },
    { tag: Tags.SeriesInstanceUID, vr: 'UI', value: '2.25.2' },
    { tag: Tags.InstanceNumber, vr: 'IS', value: 7 },
    { tag: 0x00200032, vr: 'DS', value: [-0.5, 1 / 3, 1e-9] },
    { tag: 0x00209165, vr: 'AT', value: [0x00280010] },
    { tag: 0x00282000, vr: 'OB', bytes: new Uint8Array([1, 2, 3]) },
    {
      tag: 0x0040a730,
      vr: 'SQ',
      items: [
        [
          { tag: Tags.ValueType, vr: 'CS', value: 'TEXT' },
          { tag: Tags.TextValue, vr: 'UT', value: '右肺上叶结节' },
          { tag: Tags.ContentSequence, vr: 'SQ', items: [[{ tag: Tags.ValueType, vr: 'CS', value: 'NUM' }]] },
        ],
        [],
      ],
    },
    { tag: Tags.SamplesPerPixel, vr: 'US', value: 1 },
    { tag: Tags.PhotometricInterpretation, vr: 'CS', value: 'MONOCHROME2' },
    { tag: Tags.Rows, vr: 'US', value: 4 },
    { tag: Tags.Columns, vr: 'US', value: 4 },
    { tag: Tags.BitsAllocated, vr: 'US', value: 16 },
    { tag: 0x00280101, vr: 'US', value: 16 },
    { tag: 0x00280102, vr: 'US', value: 15 },
    { tag: 0x00280103, vr: 'US', value: 1 },
    { tag: 0x00281052, vr: 'DS', value: -1024 },
    { tag: 0x00281054, vr: 'LO', value: 'HU' },
    { tag: 0x00189219, vr: 'SS', value: [-2] },
    { tag: 0x00189220, vr: 'FD', value: [Math.PI] },
    { tag: Tags.PixelData, vr: 'OW', bytes: pixels },
  ];
}

let directory = '';
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'yz-write-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe.each(Object.entries(syntaxes))('writing %s', (name, transferSyntaxUid) => {
  test('reads back with the same values', () => {
    const bytes = writeDicom({ dataset: scratchDataset(), transferSyntaxUid });
    expect([...bytes.subarray(0, 128)].every((byte) => byte === 0)).toBe(true);
    const file = parseDicom(bytes);
    expect(file.layout).toBe('part10');
    expect(file.transferSyntax.uid).toBe(transferSyntaxUid);
    const { dataset } = file;
    const characterSet = characterSetOf(dataset);
    expect(readText(dataset, findElement(dataset, Tags.PatientName)!, characterSet)).toBe('王^小东');
    expect(getAsciiString(dataset, 0x00181000)).toBe('a\\b');
    expect(getAsciiString(dataset, Tags.InstanceNumber)).toBe('7');
    expect(getAsciiString(dataset, 0x00200032)).toBe('-0.5\\0.33333333333333\\1e-9');
    expect(readUint16Values(dataset, findElement(dataset, Tags.Rows)!)).toEqual([4]);
    expect([...valueBytes(dataset, findElement(dataset, Tags.PixelData)!)]).toEqual([...pixels]);
    expect(findElement(dataset, 0x00080000)).toBeUndefined();
    const content = findElement(dataset, 0x0040a730)!;
    expect(content.items).toHaveLength(2);
    const first = content.items![0]!;
    expect(readText(first, findElement(first, Tags.TextValue)!, characterSet)).toBe('右肺上叶结节');
    expect(findElement(first, Tags.ContentSequence)?.items).toHaveLength(1);
    // File meta: rebuilt from the data set, this application's identity, no AE titles.
    const meta = file.meta!;
    expect(meta.elements.map((element) => element.tag)).toEqual([0x00020000, 0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012, 0x00020013]);
    expect(getAsciiString(meta, Tags.MediaStorageSOPInstanceUID)).toBe('2.25.1234567890');
    expect(getAsciiString(meta, Tags.MediaStorageSOPClassUID)).toBe('1.2.840.10008.5.1.4.1.1.7');
    expect(getAsciiString(meta, Tags.ImplementationClassUID)).toBe(implementationClassUid);
    expect(getAsciiString(meta, Tags.ImplementationVersionName)).toBe(implementationVersionName);
    const groupLength = valueBytes(meta, meta.elements[0]!);
    const metaEnd = meta.elements.at(-1)!.offset + meta.elements.at(-1)!.length;
    expect(new DataView(groupLength.buffer, groupLength.byteOffset).getUint32(0, true)).toBe(metaEnd - (meta.elements[1]!.offset - 12));
  });

  test('parses with dcmdump and pydicom', async () => {
    const path = join(directory, `${name}.dcm`);
    await writeFile(path, writeDicom({ dataset: scratchDataset(), transferSyntaxUid }));
    const dump = await dcmdump(path);
    expect(dump.problems).toEqual([]);
    expect(dump.dump).toContain('(0040,a730) SQ (Sequence with undefined length #=2)');
    const report = (await pydicomRead([path], { force: false })).get(path)!;
    expect(report.error).toBeUndefined();
    expect(report.patientName).toBe('王^小东');
  });
});

describe('encoding rules', () => {
  test('odd values are padded: UI with NUL, text with space, OB with NUL', () => {
    const bytes = writeDicom({
      dataset: [
        { tag: Tags.SOPInstanceUID, vr: 'UI', value: '1.2.3' },
        { tag: Tags.PatientName, vr: 'PN', value: 'Doe' },
        { tag: 0x00091010, vr: 'OB', bytes: new Uint8Array([9]) },
      ],
      transferSyntaxUid: syntaxes.explicit,
    });
    const { dataset } = parseDicom(bytes);
    expect([...valueBytes(dataset, findElement(dataset, Tags.SOPInstanceUID)!)]).toEqual([...'1.2.3'].map((c) => c.charCodeAt(0)).concat(0));
    expect([...valueBytes(dataset, findElement(dataset, Tags.PatientName)!)]).toEqual([0x44, 0x6f, 0x65, 0x20]);
    expect([...valueBytes(dataset, findElement(dataset, 0x00091010)!)]).toEqual([9, 0]);
  });

  test('a value too long for a 16-bit length is written as UN in explicit VR', () => {
    const long = 'x'.repeat(70_000);
    const { dataset } = parseDicom(writeDicom({ dataset: [{ tag: 0x00204000, vr: 'LT', value: long }], transferSyntaxUid: syntaxes.explicit }));
    expect(dataset.elements[0]!.vr).toBe('UN');
    expect(dataset.elements[0]!.length).toBe(70_000);
  });

  test('non-ASCII text needs ISO_IR 192', () => {
    expect(() => writeDicom({ dataset: [{ tag: Tags.PatientName, vr: 'PN', value: '王' }], transferSyntaxUid: syntaxes.explicit })).toThrow(DicomError);
    expect(() => writeDicom({ dataset: [{ tag: Tags.SOPInstanceUID, vr: 'UI', value: '1.２' }, { tag: Tags.SpecificCharacterSet, vr: 'CS', value: 'ISO_IR 192' }], transferSyntaxUid: syntaxes.explicit })).toThrow(DicomError);
  });

  test('repeated tags are refused', () => {
    const name: WriteElement = { tag: Tags.PatientName, vr: 'PN', value: 'A' };
    expect(() => writeDicom({ dataset: [name, name], transferSyntaxUid: syntaxes.explicit })).toThrow(/given twice/);
  });

  test('encapsulated pixel data: fragments are copied, the offset table first, delimited', () => {
    const fragments = [new Uint8Array(0), new Uint8Array([0xff, 0xd8, 1, 2, 3]), new Uint8Array([4, 5, 0xff, 0xd9])];
    const bytes = writeDicom({ dataset: [{ tag: Tags.PixelData, vr: 'OB', fragments }], transferSyntaxUid: '1.2.840.10008.1.2.4.50' });
    const element = parseDicom(bytes).dataset.elements[0]!;
    expect(element.undefinedLength).toBe(true);
    expect(element.fragments?.map((fragment) => fragment.length)).toEqual([0, 6, 4]);
  });
});
