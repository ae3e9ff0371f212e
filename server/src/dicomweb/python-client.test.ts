import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { randomUid, readSample, rewriteInstances, structuredReport } from '../testing/dicom-fixtures.js';
import { createConsult, stowInstances } from '../testing/seed-consult.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';

const script = fileURLToPath(new URL('../testing/python/dicomweb_roundtrip.py', import.meta.url));

interface Roundtrip {
  status: number;
  stored: { sent: string; stored: string; url: string }[];
  failed: { sent: string | null; reason: string }[];
  found: { study: string; series: string; sop: string; modality: string }[];
  retrieved: { status: number; part10: boolean; holdsUid: boolean; bytes: number }[];
}

/** Runs the standard-library Python client (a client nobody here wrote against a library of ours) and reads its JSON. */
function python(base: string, token: string, files: string[]): Promise<Roundtrip> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [script, base, ...files], { env: { ...process.env, YUNZHEN_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as Roundtrip) : reject(new Error(`python3 exited ${code}: ${stderr}`))));
  });
}

describe('a Python urllib client stores without a study UID, searches and retrieves', () => {
  let t: TestApp;
  let base: string;
  let folder: string;
  let consulted: string;
  beforeAll(async () => {
    t = await createTestApp({ db: 'embedded' });
    const url = await t.listen();
    base = `${url}/dicomweb`;
    folder = mkdtempSync(join(tmpdir(), 'yunzhen-python-'));
    const rad = await t.token('rad@xuhui.demo');
    const studies = await stowInstances(url, rad, rewriteInstances([readSample('modalities/CT_small.dcm')], { freshUids: true }));
    consulted = studies[0]!;
    await createConsult(url, rad, studies, { clinicalQuestion: 'Nodule?' });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('as the specialist: an SR filed into the consult study by its own StudyInstanceUID, one for an unknown study refused by name', async () => {
    const [ours, unknown] = [randomUid(), randomUid()];
    const files = [join(folder, 'sr.dcm'), join(folder, 'elsewhere.dcm')];
    writeFileSync(files[0]!, structuredReport(consulted, { sopInstanceUid: ours }));
    writeFileSync(files[1]!, structuredReport(randomUid(), { sopInstanceUid: unknown }));
    const result = await python(base, await t.token('specialist@scc.demo'), files);
    expect(result.status).toBe(202);
    expect(result.stored).toEqual([{ sent: ours, stored: ours, url: expect.stringContaining(`/dicomweb/studies/${consulted}/series/`) }]);
    expect(result.failed).toEqual([{ sent: unknown, reason: 'StudyNotFound' }]);
    expect(result.found).toEqual([{ study: consulted, series: expect.any(String), sop: ours, modality: 'SR' }]);
    expect(result.retrieved).toEqual([{ status: 200, part10: true, holdsUid: true, bytes: expect.any(Number) }]);
  });

  it('as the radiographer: images stored under new UIDs, and the answer maps each sent UID to its stored one', async () => {
    const file = join(folder, 'mr.dcm');
    writeFileSync(file, readSample('transfer-syntaxes/MR_small.dcm'));
    const result = await python(base, await t.token('rad@xuhui.demo'), [file]);
    expect(result.status).toBe(200);
    const [item] = result.stored;
    expect(item!.sent).not.toBe(item!.stored);
    expect(result.found.map((f) => [f.sop, f.modality])).toEqual([[item!.stored, 'MR']]);
    expect(result.retrieved).toEqual([{ status: 200, part10: true, holdsUid: true, bytes: expect.any(Number) }]);
  });
});
