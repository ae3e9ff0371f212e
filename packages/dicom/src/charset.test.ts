import { describe, expect, test } from 'vitest';
import { characterSetOf, decodeText, parseCharacterSet, readText } from './charset.js';
import { findElement } from './dataset.js';
import { DicomError } from './errors.js';
import { parseDicom } from './parse.js';
import { scanDicom } from './scan.js';
import { Tags } from './tags.js';
import { listSamples, readSample } from './testing/samples.js';


/**
 * Patient names of fixtures/dicom-samples/charsets as their bytes spell them (the trailing "="
 * is an empty third component group in the data; pydicom prints the same names without it).
 */
const expectedNames: Record<string, string> = {
  'charsets/chrX1.dcm': 'Wang^XiaoDong=王^小東=',
  'charsets/chrX2.dcm': 'Wang^XiaoDong=王^小东=',
  'charsets/chrGB2312.dcm': 'Zhang^XiaoDong=张^小东=',
  'charsets/chrH31.dcm': 'Yamada^Tarou=山田^太郎=やまだ^たろう',
  'charsets/chrH32.dcm': 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
  'charsets/chrI2.dcm': 'Hong^Gildong=洪^吉洞=홍^길동',
  // The sample's name mixes Cyrillic with Latin c, e, y, p, as it is in the original data.
  'charsets/chrRuss.dcm': 'Люкceмбypг',
  'charsets/chrArab.dcm': 'قباني^لنزار',
};

describe('character sets of the samples', () => {
  test('every sample in charsets/ is checked: 8 patient names here, chrSQEncoding.dcm in the item test below', () => {
    const charsetSamples = listSamples().filter((s) => s.path.startsWith('charsets/')).map((s) => s.path);
    expect(charsetSamples.sort()).toEqual([...Object.keys(expectedNames), 'charsets/chrSQEncoding.dcm'].sort());
    expect(Object.keys(expectedNames)).toHaveLength(8);
  });

  test.each(Object.entries(expectedNames))('%s decodes to %s', (path, name) => {
    const file = parseDicom(readSample(path));
    const characterSet = characterSetOf(file.dataset);
    expect(readText(file.dataset, findElement(file.dataset, Tags.PatientName)!, characterSet)).toBe(name);
    expect(scanDicom(readSample(path))).toMatchObject({ ok: true, attributes: { PatientName: name } });
  });

  test('an item with its own Specific Character Set decodes with it (ISO_IR 192 data set, ISO 2022 IR 13/87 item)', () => {
    const file = parseDicom(readSample('charsets/chrSQEncoding.dcm'));
    const root = characterSetOf(file.dataset);
    expect(root).toBe('ISO_IR 192');
    const sequence = file.dataset.elements.find((element) => element.items !== undefined)!;
    const itemDataset = sequence.items![0]!;
    const itemCharacterSet = characterSetOf(itemDataset, root);
    expect(itemCharacterSet).toBe('ISO 2022 IR 13\\ISO 2022 IR 87');
    expect(readText(itemDataset, findElement(itemDataset, Tags.PatientName)!, itemCharacterSet)).toBe('ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう');
    expect(readText(file.dataset, findElement(file.dataset, 0x00321032)!, root)).toBe('Doctor^Who^^MD');
  });
});

describe('parseCharacterSet', () => {
  test('accepts the defined terms and common non-standard spellings', () => {
    expect(parseCharacterSet('ISO_IR 192')).toBe('ISO_IR 192');
    expect(parseCharacterSet('GB18030')).toBe('GB18030');
    expect(parseCharacterSet('\\ISO 2022 IR 58')).toBe('\\ISO 2022 IR 58');
    expect(parseCharacterSet('GB2312')).toBe('GBK');
    expect(parseCharacterSet('utf-8')).toBe('ISO_IR 192');
    expect(parseCharacterSet('ISO-IR 100')).toBe('ISO_IR 100');
    expect(parseCharacterSet('')).toBe('');
  });

  test.each(['KLINGON', 'EBCDIC'])('rejects the unknown character set %s with a code', (value) => {
    expect(() => parseCharacterSet(value)).toThrow(DicomError);
    expect(() => parseCharacterSet(value)).toThrow(expect.objectContaining({ code: 'UnsupportedCharacterSet' }));
  });
});

describe('decodeText', () => {
  test('GB18030 and ISO 2022 IR 58 decode Chinese', () => {
    const gb18030 = new Uint8Array([0xcd, 0xf5, 0x5e, 0xd0, 0xa1, 0xb6, 0xab]);
    expect(decodeText(gb18030, parseCharacterSet('GB18030'), 'PN')).toBe('王^小东');
    const iso2022 = new Uint8Array([0x1b, 0x24, 0x29, 0x41, 0xcd, 0xf5, 0x5e, 0x1b, 0x24, 0x29, 0x41, 0xd0, 0xa1, 0xb6, 0xab]);
    expect(decodeText(iso2022, parseCharacterSet('\\ISO 2022 IR 58'), 'PN')).toBe('王^小东');
  });

  test('removes value padding', () => {
    expect(decodeText(new Uint8Array([0x41, 0x42, 0x20]), parseCharacterSet(''), 'LO')).toBe('AB');
  });
});
