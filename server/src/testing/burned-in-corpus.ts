/**
 * A corpus of images with patient identity burned into their pixels, made by the test (issue 17):
 * names, IDs and birth dates in Latin and Chinese script at several sizes, positions and
 * contrasts, single- and multi-frame, in several transfer syntaxes (dcmtk encodes the compressed
 * ones). Each instance names the same patient in its header, so the vault knows whose identity
 * the pixels show. Used by `burned-in-text.test.ts` and `pnpm bench:pixels`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { writeDicom } from '@yunzhen/dicom';

import { renderTextFrame, type RenderedText } from '../ocr/render-text.js';
import { randomUid } from './dicom-fixtures.js';

export type CorpusSyntax = 'explicit-le' | 'rle' | 'jpeg-ls' | 'jpeg-lossless' | 'jpeg-baseline';
export type IdentityKind = 'name' | 'id' | 'birthDate';

/** A patient as the header names them, and how the equipment prints each identifier on screen. */
export interface CorpusPatient {
  name: string;
  id: string;
  birthDate: string;
  shown: Record<IdentityKind, string>;
}

export interface CorpusCase {
  label: string;
  patient: CorpusPatient;
  syntax: CorpusSyntax;
  frames: number;
  width: number;
  height: number;
  sizePx: number;
  grey: number;
  placement: 'top' | 'bottom' | 'right';
  /** The header says Burned In Annotation NO (a modality that lies): only OCR can hold it. */
  headerSaysNo: boolean;
}

/** An identifier burned into the instance's frames, and the box its ink covers (same in every frame). */
export interface BurnedText {
  kind: IdentityKind;
  text: string;
  box: { x: number; y: number; width: number; height: number };
}

export interface CorpusInstance {
  case: CorpusCase;
  bytes: Uint8Array;
  texts: BurnedText[];
}

export const CORPUS_PATIENTS: CorpusPatient[] = [
  { name: 'ZHANG^SAN', id: 'P20231187', birthDate: '19750314', shown: { name: 'ZHANG SAN', id: 'ID: P20231187', birthDate: 'DOB 1975-03-14' } },
  { name: '王^小明', id: '310105198001014321', birthDate: '19800101', shown: { name: '患者 王小明', id: '310105198001014321', birthDate: '1980年1月1日' } },
  { name: 'LI^SIGUANG=李^四光', id: 'MRN0042917', birthDate: '19621125', shown: { name: '李四光 LI SIGUANG', id: 'MRN0042917', birthDate: '25/11/1962' } },
  { name: 'Wang^Xiaohong', id: 'H-778812', birthDate: '20010709', shown: { name: 'Wang Xiaohong', id: 'PID H778812', birthDate: '2001-07-09' } },
];

const SYNTAXES: CorpusSyntax[] = ['explicit-le', 'rle', 'jpeg-ls', 'jpeg-lossless', 'jpeg-baseline'];
const SIZES = [13, 16, 20, 28];
const PLACEMENTS: CorpusCase['placement'][] = ['top', 'bottom', 'right'];

/** 24 cases: every patient, size, placement and syntax turns up, at full and at half contrast, a third of them multi-frame. */
export function corpusCases(count = 24): CorpusCase[] {
  return Array.from({ length: count }, (_, i) => {
    const patient = CORPUS_PATIENTS[i % CORPUS_PATIENTS.length]!;
    const syntax = SYNTAXES[i % SYNTAXES.length]!;
    const sizePx = SIZES[Math.floor(i / 2) % SIZES.length]!;
    const placement = PLACEMENTS[i % PLACEMENTS.length]!;
    const [width, height] = i % 4 === 3 ? [800, 600] : i % 4 === 1 ? [512, 512] : [640, 480];
    return {
      label: `${i + 1}: ${syntax}, ${sizePx}px, ${placement}, grey ${i % 2 ? 150 : 255}${i % 3 === 0 ? ', 6 frames' : ''}`,
      patient,
      syntax,
      frames: i % 3 === 0 ? 6 : 1,
      width,
      height,
      sizePx,
      grey: i % 2 ? 150 : 255,
      placement,
      headerSaysNo: i % 2 === 0,
    };
  });
}

function layout(c: CorpusCase): (RenderedText & { kind: IdentityKind })[] {
  const kinds: IdentityKind[] = ['name', 'id', 'birthDate'];
  const lineHeight = Math.round(c.sizePx * 1.5);
  return kinds.map((kind, row) => {
    const text = c.patient.shown[kind];
    const base = { text, kind, sizePx: c.sizePx, grey: c.grey };
    if (c.placement === 'top') return { ...base, x: 8 + row * Math.round(c.width / 3.2), y: 6 + c.sizePx };
    if (c.placement === 'bottom') return { ...base, x: 10, y: c.height - 8 - (2 - row) * lineHeight };
    return { ...base, x: Math.round(c.width * 0.62), y: Math.round(c.height * 0.3) + row * lineHeight };
  });
}

const TRANSFER_SYNTAX_OPTIONS: Record<Exclude<CorpusSyntax, 'explicit-le'>, [string, string[]]> = {
  rle: ['dcmcrle', []],
  'jpeg-ls': ['dcmcjpls', []],
  'jpeg-lossless': ['dcmcjpeg', []],
  'jpeg-baseline': ['dcmcjpeg', ['+eb', '+q', '90']],
};

/** One corpus case as a DICOM ultrasound instance (US Image, or US Multi-frame Image with a cine frame time). */
export async function buildCorpusInstance(c: CorpusCase): Promise<CorpusInstance> {
  const lines = layout(c);
  const frames = [];
  for (let f = 0; f < c.frames; f++) {
    // The fan brightens a little from frame to frame: the text stays, the image changes, as in a clip.
    frames.push(await renderTextFrame(c.width, c.height, lines, f * 3));
  }
  const first = frames[0]!;
  const pixelData = new Uint8Array(c.width * c.height * c.frames);
  frames.forEach((frame, f) => pixelData.set(frame.data, f * c.width * c.height));
  const multiFrame = c.frames > 1;
  const value = (tag: number, vr: Parameters<typeof writeDicom>[0]['dataset'][number]['vr'], v: string | number | number[]) => ({ tag, vr, value: v }) as const;
  const studyUid = randomUid();
  const dataset = [
    value(0x00080005, 'CS', 'ISO_IR 192'),
    value(0x00080008, 'CS', ['ORIGINAL', 'PRIMARY'] as unknown as string),
    value(0x00080016, 'UI', multiFrame ? '1.2.840.10008.5.1.4.1.1.3.1' : '1.2.840.10008.5.1.4.1.1.6.1'),
    value(0x00080018, 'UI', randomUid()),
    value(0x00080020, 'DA', '20261201'),
    value(0x00080030, 'TM', '101500'),
    value(0x00080050, 'SH', `ACC${c.patient.id.slice(-4)}`),
    value(0x00080060, 'CS', 'US'),
    value(0x00080070, 'LO', 'Yunzhen test corpus'),
    value(0x00080090, 'PN', ''),
    value(0x00100010, 'PN', c.patient.name),
    value(0x00100020, 'LO', c.patient.id),
    value(0x00100030, 'DA', c.patient.birthDate),
    value(0x00100040, 'CS', 'O'),
    value(0x0020000d, 'UI', studyUid),
    value(0x0020000e, 'UI', randomUid()),
    value(0x00200010, 'SH', '1'),
    value(0x00200011, 'IS', 1),
    value(0x00200013, 'IS', 1),
    value(0x00200020, 'CS', ''),
    value(0x00200060, 'CS', ''),
    value(0x00280002, 'US', 1),
    value(0x00280004, 'CS', 'MONOCHROME2'),
    value(0x00280010, 'US', c.height),
    value(0x00280011, 'US', c.width),
    value(0x00280100, 'US', 8),
    value(0x00280101, 'US', 8),
    value(0x00280102, 'US', 7),
    value(0x00280103, 'US', 0),
    value(0x00282110, 'CS', '00'),
    ...(c.headerSaysNo ? [value(0x00280301, 'CS', 'NO')] : []),
    ...(multiFrame ? [value(0x00280008, 'IS', c.frames), value(0x00280009, 'AT', [0x00181063]), value(0x00181063, 'DS', 33.3)] : []),
    { tag: 0x7fe00010, vr: 'OB' as const, bytes: pixelData },
  ];
  let bytes = writeDicom({ dataset, transferSyntaxUid: '1.2.840.10008.1.2.1' });
  if (c.syntax !== 'explicit-le') bytes = transcode(bytes, ...TRANSFER_SYNTAX_OPTIONS[c.syntax]);
  return { case: c, bytes, texts: lines.map((line, i) => ({ kind: line.kind, text: line.text, box: first.boxes[i]! })) };
}

function transcode(bytes: Uint8Array, tool: string, options: string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'yunzhen-corpus-'));
  try {
    writeFileSync(join(dir, 'in.dcm'), bytes);
    execFileSync(tool, [...options, join(dir, 'in.dcm'), join(dir, 'out.dcm')], { stdio: 'pipe' });
    return new Uint8Array(readFileSync(join(dir, 'out.dcm')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How much of `box` the union of `covers` covers (0–1), counted pixel by pixel. */
export function coverage(box: { x: number; y: number; width: number; height: number }, covers: { x: number; y: number; width: number; height: number }[]): number {
  if (box.width <= 0 || box.height <= 0) return 1;
  let covered = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      if (covers.some((c) => x >= c.x && x < c.x + c.width && y >= c.y && y < c.y + c.height)) covered++;
    }
  }
  return covered / (box.width * box.height);
}
