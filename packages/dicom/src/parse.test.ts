import dicomParser from 'dicom-parser';
import { deflateSync } from 'fflate';
import { describe, expect, test } from 'vitest';
import { findElement, readAsciiString, type DicomDataset } from './dataset.js';
import { DicomError, type DicomErrorCode } from './errors.js';
import { parseDicom } from './parse.js';
import { Tags } from './tags.js';
import { ascii, concat, explicit, implicit, item, part10, sequenceDelimiter, u32, UNDEFINED } from './testing/bytes.js';
import { listSamples, readSample } from './testing/samples.js';

const explicitLE = '1.2.840.10008.1.2.1';
const implicitLE = '1.2.840.10008.1.2';

function expectRejection(action: () => unknown, code: DicomErrorCode): DicomError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DicomError);
    expect((error as DicomError).code).toBe(code);
    return error as DicomError;
  }
  throw new Error(`expected a ${code} rejection`);
}

function countElements(dataset: DicomDataset): number {
  let count = 0;
  for (const element of dataset.elements) {
    count++;
    for (const child of element.items ?? []) count += countElements(child);
  }
  return count;
}

describe('the samples', () => {
  const good = listSamples().filter((sample) => !sample.broken);

  test.each(good.map((sample) => [sample.path, sample.transferSyntax] as const))('%s parses with transfer syntax %s', (path, transferSyntax) => {
    const file = parseDicom(readSample(path));
    expect(file.transferSyntax.uid).toBe(transferSyntax);
    expect(file.dataset.elements.length).toBeGreaterThan(0);
  });

  test('raw data sets without file meta are recognized by structure, including one with DICM at byte 128', () => {
    for (const path of ['modalities/CR-MONO1-10-chest', 'rt/rtstruct.dcm', 'edge-cases/no_preamble_dicm_in_data']) {
      const bytes = readSample(path);
      const file = parseDicom(bytes);
      expect(file.layout).toBe('raw');
      expect(file.meta).toBeUndefined();
    }
    expect(new TextDecoder().decode(readSample('edge-cases/no_preamble_dicm_in_data').subarray(128, 132))).toBe('DICM');
  });

  test('agrees with dicom-parser on every top-level element of the samples dicom-parser reads', () => {
    let compared = 0;
    const unreadable: string[] = [];
    for (const sample of good) {
      const bytes = readSample(sample.path);
      const ours = parseDicom(bytes);
      if (ours.layout === 'raw' || ours.transferSyntax.deflated) continue;
      let theirs: ReturnType<typeof dicomParser.parseDicom>;
      try {
        theirs = dicomParser.parseDicom(bytes);
      } catch {
        unreadable.push(sample.path);
        continue;
      }
      for (const element of ours.dataset.elements) {
        const key = `x${element.tag.toString(16).padStart(8, '0')}`;
        const other = theirs.elements[key];
        expect(other, `${sample.path} ${key}`).toBeDefined();
        expect(other!.dataOffset, `${sample.path} ${key}`).toBe(element.offset);
        if (!element.undefinedLength) expect(other!.length, `${sample.path} ${key}`).toBe(element.length);
        if (element.items !== undefined && other!.items !== undefined) expect(other!.items.length).toBe(element.items.length);
        if (element.fragments !== undefined) expect(other!.fragments?.length).toBe(element.fragments.length - 1);
        compared++;
      }
      // dicom-parser also lists the file meta elements in the same object.
      const ownTopLevel = ours.dataset.elements.length + (ours.meta?.elements.length ?? 0);
      expect(Object.keys(theirs.elements).length, sample.path).toBe(ownTopLevel);
    }
    expect(compared).toBeGreaterThan(3000);
    // dicom-parser cannot follow an undefined-length private sequence in group 0001 (implicit VR).
    expect(unreadable).toEqual(['edge-cases/nested_priv_SQ.dcm']);
  });

  test('a sequence encoded as UN holds implicit VR items that are parsed', () => {
    const file = parseDicom(readSample('edge-cases/UN_sequence.dcm'));
    const sequence = file.dataset.elements.find((element) => element.items !== undefined);
    expect(sequence?.vr).toBe('UN');
    expect(sequence?.items?.[0]?.encoding.explicitVr).toBe(false);
    expect(countElements(file.dataset)).toBeGreaterThan(3);
  });

  test('private sequences nested in private sequences are parsed', () => {
    const file = parseDicom(readSample('edge-cases/nested_priv_SQ.dcm'));
    const outer = file.dataset.elements[0]!;
    expect(outer.items?.[0]?.elements[0]?.items).toHaveLength(1);
  });

  test('explicit VR big endian and deflated data sets decode to the same values as explicit little endian', () => {
    const reference = parseDicom(readSample('transfer-syntaxes/MR_small.dcm'));
    const bigEndian = parseDicom(readSample('transfer-syntaxes/MR_small_bigendian.dcm'));
    for (const tag of [Tags.SOPInstanceUID, Tags.StudyInstanceUID, Tags.Modality]) {
      expect(readAsciiString(bigEndian.dataset, findElement(bigEndian.dataset, tag)!)).toBe(readAsciiString(reference.dataset, findElement(reference.dataset, tag)!));
    }
    const deflated = parseDicom(readSample('transfer-syntaxes/report_dfl'));
    expect(deflated.transferSyntax.deflated).toBe(true);
    expect(deflated.dataset.bytes).not.toBe(readSample('transfer-syntaxes/report_dfl'));
    expect(findElement(deflated.dataset, Tags.ContentSequence)?.items?.length).toBeGreaterThan(0);
  });
});

describe('value representations dicom-parser 1.8.21 gets wrong', () => {
  test('OV, SV and UV have a 32-bit length', () => {
    const values = new Uint8Array(16).fill(7);
    const dataset = concat(
      explicit(Tags.SOPClassUID, 'UI', ascii('1.2.3', '\0')),
      explicit(0x00460180, 'OV', values),
      explicit(0x0072007a, 'SV', values.subarray(0, 8)),
      explicit(0x0072007c, 'UV', values.subarray(0, 8)),
      explicit(Tags.PatientName, 'PN', ascii('Doe^John')),
    );
    const file = parseDicom(part10(dataset, explicitLE));
    expect(file.dataset.elements.map((element) => [element.vr, element.length])).toEqual([
      ['UI', 6],
      ['PN', 8],
      ['OV', 16],
      ['SV', 8],
      ['UV', 8],
    ]);
  });
});

describe('structural rejections', () => {
  test('a repeated tag is rejected, adjacent or not', () => {
    const name = explicit(Tags.PatientName, 'PN', ascii('A'));
    const id = explicit(Tags.PatientID, 'LO', ascii('1'));
    expectRejection(() => parseDicom(part10(concat(name, name), explicitLE)), 'DuplicateTag');
    expectRejection(() => parseDicom(part10(concat(name, id, name), explicitLE)), 'DuplicateTag');
  });

  test('elements out of order are sorted, not rejected', () => {
    const file = parseDicom(part10(concat(explicit(Tags.PatientID, 'LO', ascii('1')), explicit(Tags.PatientName, 'PN', ascii('A'))), explicitLE));
    expect(file.dataset.elements.map((element) => element.tag)).toEqual([Tags.PatientName, Tags.PatientID]);
  });

  test('a repeated tag inside an item is rejected', () => {
    const name = explicit(Tags.PatientName, 'PN', ascii('A'));
    const sequence = explicit(0x00081140, 'SQ', concat(item(concat(name, name), true), sequenceDelimiter()), { length: UNDEFINED });
    expectRejection(() => parseDicom(part10(sequence, explicitLE)), 'DuplicateTag');
  });

  // How long these take, and how much memory they hold, is measured by `pnpm bench:dicom`.
  test('10,000 nested sequences are rejected, without overflowing the stack', () => {
    const depth = 10_000;
    const open = concat(explicit(0x00081140, 'SQ', new Uint8Array(0), { length: UNDEFINED }), item(new Uint8Array(0), false).subarray(0, 4), u32(UNDEFINED));
    const close = concat(ascii('\u00fe\u00ff\u000d\u00e0'), u32(0), sequenceDelimiter());
    const parts: Uint8Array[] = [];
    for (let i = 0; i < depth; i++) parts.push(open);
    for (let i = 0; i < depth; i++) parts.push(close);
    const bytes = part10(concat(...parts), explicitLE);
    expectRejection(() => parseDicom(bytes), 'NestingTooDeep');
    // With the limit lifted the same data parses: the walker has no recursion to overflow.
    const file = parseDicom(bytes, { maxNestingDepth: 20_000 });
    expect(file.dataset.elements).toHaveLength(1);
  });

  test('a declared length of 4 GiB is rejected', () => {
    const bytes = part10(explicit(Tags.PixelData, 'OB', new Uint8Array(16), { length: 0xfffffffe }), explicitLE);
    expectRejection(() => parseDicom(bytes), 'LengthPastEnd');
  });

  test('an item longer than its sequence, and an element longer than its item, are rejected', () => {
    const inner = explicit(Tags.PatientName, 'PN', ascii('AB'));
    const tooLongItem = explicit(0x00081140, 'SQ', concat(item(inner)), { length: 8 });
    expectRejection(() => parseDicom(part10(concat(tooLongItem, explicit(Tags.PatientID, 'LO', ascii('12345678'))), explicitLE)), 'LengthPastEnd');
    const lyingElement = explicit(0x00081140, 'SQ', item(explicit(Tags.PatientName, 'PN', ascii('AB'), { length: 40 })));
    expectRejection(() => parseDicom(part10(concat(lyingElement, new Uint8Array(64)), explicitLE)), 'LengthPastEnd');
  });

  test('data that end inside a header, an item or pixel data are truncated', () => {
    const whole = part10(concat(explicit(Tags.PatientName, 'PN', ascii('AB')), explicit(Tags.PatientID, 'LO', ascii('12'))), explicitLE);
    expectRejection(() => parseDicom(whole.subarray(0, whole.length - 7)), 'Truncated');
    const openSequence = explicit(0x00081140, 'SQ', item(explicit(Tags.PatientName, 'PN', ascii('AB')), true), { length: UNDEFINED });
    expectRejection(() => parseDicom(part10(openSequence, explicitLE)), 'Truncated');
  });

  test('a VR that is not one, and a misplaced delimiter, are invalid structure', () => {
    const badVr = concat(ascii('\u0010\u0000\u0010\u0000'), ascii('ZZ'), new Uint8Array([2, 0]), ascii('AB'));
    expectRejection(() => parseDicom(part10(badVr, explicitLE)), 'InvalidStructure');
    expectRejection(() => parseDicom(part10(sequenceDelimiter(), explicitLE)), 'InvalidStructure');
  });

  test('file meta without a transfer syntax, and unknown or refused transfer syntaxes', () => {
    const meta = concat(new Uint8Array(128), ascii('DICM'), explicit(0x00020001, 'OB', new Uint8Array([0, 1])));
    expectRejection(() => parseDicom(concat(meta, explicit(Tags.PatientName, 'PN', ascii('A')))), 'MissingTransferSyntax');
    expectRejection(() => parseDicom(part10(new Uint8Array(0), '1.2.3.4.5')), 'UnknownTransferSyntax');
    expectRejection(() => parseDicom(part10(new Uint8Array(0), '1.2.840.10008.1.2.4.94')), 'UnsupportedTransferSyntax');
  });

  test('bytes that are not DICOM', () => {
    expectRejection(() => parseDicom(ascii('%PDF-1.7 this is a PDF, not DICOM at all')), 'NotDicom');
    expectRejection(() => parseDicom(new Uint8Array(0)), 'NotDicom');
    expectRejection(() => parseDicom(new Uint8Array(300)), 'NotDicom');
  });

  test('a raw data set damaged at the front is called damaged DICOM, not "not DICOM"', () => {
    // no_meta.dcm: a raw explicit-VR data set with one stray byte before (0008,0005).
    expectRejection(() => parseDicom(readSample('broken/no_meta.dcm')), 'InvalidStructure');
    expect(() => parseDicom(readSample('broken/no_meta.dcm'))).toThrow(/starts 1 byte\(s\) in/);
    expect(parseDicom(readSample('broken/no_meta.dcm').subarray(1)).dataset.elements.length).toBeGreaterThan(10);
  });

  test('size and element limits', () => {
    const bytes = part10(concat(explicit(Tags.PatientName, 'PN', ascii('A')), explicit(Tags.PatientID, 'LO', ascii('1'))), explicitLE);
    expectRejection(() => parseDicom(bytes, { maxInstanceBytes: 100 }), 'InstanceTooLarge');
    expectRejection(() => parseDicom(bytes, { maxElements: 2 }), 'TooManyElements');
  });
});

describe('deflated data sets', () => {
  const deflatedSyntax = '1.2.840.10008.1.2.1.99';

  // Its time and memory are measured by `pnpm bench:dicom`.
  test('a deflate bomb stops at the ratio limit', () => {
    // 64 MiB of zeros deflate to about 64 KB (1000:1), inside a valid element.
    const payload = explicit(0x00091010, 'OB', new Uint8Array(64 * 1024 * 1024));
    const bomb = part10(deflateSync(payload, { level: 9 }), deflatedSyntax);
    expect(bomb.length).toBeLessThan(200_000);
    const error = expectRejection(() => parseDicom(bomb), 'DecompressionBomb');
    expect(error.message).not.toMatch(/\d{9}/);
    // And at the absolute limit when the ratio is allowed.
    expectRejection(() => parseDicom(bomb, { maxInflateRatio: 10_000, maxInflatedBytes: 8 * 1024 * 1024 }), 'DecompressionBomb');
  });

  test('a deflate stream that is cut short or corrupt is rejected', () => {
    const deflated = deflateSync(concat(explicit(Tags.PatientName, 'PN', ascii('Doe^John')), explicit(Tags.PatientID, 'LO', ascii('123456'))));
    expect(parseDicom(part10(deflated, deflatedSyntax)).dataset.elements).toHaveLength(2);
    expectRejection(() => parseDicom(part10(deflated.subarray(0, deflated.length - 4), deflatedSyntax)), 'Truncated');
    expectRejection(() => parseDicom(part10(new Uint8Array([0xff, 0xff, 0xff, 0xff]), deflatedSyntax)), 'InvalidStructure');
  });
});

describe('hidden sequences', () => {
  test('a private element in implicit VR whose value is items is parsed as a sequence', () => {
    const creator = implicit(0x00090010, ascii('ACME 1.0'));
    const hidden = implicit(0x00091001, item(implicit(Tags.PatientName, ascii('Doe^John'))));
    const file = parseDicom(part10(concat(creator, hidden), implicitLE));
    expect(file.dataset.elements[1]?.items?.[0]?.elements[0]?.tag).toBe(Tags.PatientName);
  });

  test('a standard sequence encoded as UN with a defined length is parsed as implicit VR items', () => {
    const items = item(implicit(0x00081155, ascii('1.2.3.4', '\0')));
    const file = parseDicom(part10(explicit(0x00081140, 'UN', items), explicitLE));
    const sequence = file.dataset.elements[0]!;
    expect(sequence.vr).toBe('UN');
    expect(sequence.items?.[0]?.elements[0]?.tag).toBe(0x00081155);
  });
});
