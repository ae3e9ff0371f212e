import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { scanDicom } from '@yunzhen/dicom';
import { createDb, createRepositories, type Db } from '@yunzhen/db';
import { createFsStore } from '@yunzhen/storage';

import { createApp, defaultSettings, type App } from '../app.js';
import { DEMO_PASSWORD, seedDemoUnion } from '../demo-union.js';
import { createLogger } from '../logger.js';
import { samplesDir, stowBody } from '../testing/dicom-fixtures.js';

/**
 * Canary identities: real samples re-written by DCMTK's dcmodify (a tool we did not write)
 * with a unique value in every identifying attribute. After upload through the real server on
 * its embedded defaults, no byte of the data directory (embedded database files and stored
 * objects) nor of the logs may contain any canary, nor the original UIDs.
 */
const SAMPLES = ['modalities/CT_small.dcm', 'transfer-syntaxes/MR_small_implicit.dcm', 'transfer-syntaxes/MR_small_bigendian.dcm', 'charsets/chrX2.dcm', 'modalities/PT_acrin_flt_breast_1.dcm'];

function canariesFor(index: number) {
  const tag = `QZX${index}K`;
  return {
    '(0010,0010)': `${tag}FAMILY^${tag}GIVEN`,
    '(0010,0020)': `${tag}PATIENTID`,
    '(0010,0030)': `19${30 + index}0411`,
    '(0008,0050)': `${tag}ACCESSION`,
    '(0008,0080)': `${tag} Institution Hospital`,
    '(0008,0090)': `${tag}REFERRER^DOCTOR`,
    '(0010,1000)': `${tag}OTHERID`,
    '(0010,1040)': `${tag} Canary Road 7`,
    '(0008,1070)': `${tag}OPERATOR`,
    '(0018,1000)': `${tag}SERIAL`,
  };
}

const gb18030Name = '王金丝雀';

describe('no canary identity survives ingest', () => {
  let dataDir: string;
  let db: Db;
  let app: App;
  const logs: string[] = [];
  const canaries: string[] = [];
  const binaryCanaries: Buffer[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'yunzhen-canary-'));
    const fixtures = join(dataDir, 'fixtures');
    execFileSync('mkdir', ['-p', fixtures]);
    const files: Uint8Array[] = [];
    for (const [index, sample] of SAMPLES.entries()) {
      const path = join(fixtures, `f${index}.dcm`);
      await writeFile(path, await readFile(join(samplesDir, sample)));
      const values = canariesFor(index);
      // New study, series and instance UIDs: two samples of one original study must not become two patients in one study.
      const args = ['-nb', '-ie', '-gst', '-gse', '-gin'];
      for (const [tag, value] of Object.entries(values)) {
        if (sample.startsWith('charsets/') && tag === '(0010,0010)') continue;
        args.push('-i', `${tag}=${value}`);
        canaries.push(value.split('^')[0]!);
      }
      if (sample.startsWith('charsets/')) {
        // The GB18030 sample gets a Chinese canary name, written as raw GB18030 bytes.
        const nameFile = join(fixtures, 'name.bin');
        const gb = Buffer.from(execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: gb18030Name }));
        await writeFile(nameFile, gb);
        args.push('-if', `(0010,0010)=${nameFile}`);
        binaryCanaries.push(gb, Buffer.from(gb18030Name, 'utf8'));
      }
      execFileSync('dcmodify', [...args, path]);
      const bytes = new Uint8Array(await readFile(path));
      const scanned = scanDicom(bytes);
      if (!scanned.ok) throw new Error(`fixture ${index} does not scan: ${scanned.code}`);
      canaries.push(scanned.attributes.StudyInstanceUID!, scanned.attributes.SeriesInstanceUID!, scanned.attributes.SOPInstanceUID!);
      files.push(bytes);
    }

    db = await createDb({ dataDir: join(dataDir, 'pg') });
    await db.migrate();
    await seedDemoUnion(db.kysely);
    const destination = new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) });
    app = createApp({
      db,
      store: createFsStore({ root: join(dataDir, 'objects') }),
      logger: createLogger({ level: 'debug', destination }),
      secret: 'canary-test-secret-of-at-least-32-chars',
      settings: { ...defaultSettings, tempDir: join(dataDir, 'tmp') },
    });
    const login = await app.request('/api/auth/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'rad@xuhui.demo', password: DEMO_PASSWORD }) });
    const { token } = (await login.json()) as { token: string };
    const { body, contentType } = stowBody(files);
    const stored = await app.request('/dicomweb/studies', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body });
    if (stored.status !== 200) throw new Error(`upload failed with ${stored.status}: ${await stored.text()}`);
    // A sender adds to a study by its original Study Instance UID, in the URL.
    const again = stowBody([files[0]!]);
    const studyUrl = `/dicomweb/studies/${scanDicomOk(files[0]!).StudyInstanceUID}`;
    const added = await app.request(studyUrl, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': again.contentType }, body: again.body });
    if (added.status !== 200) throw new Error(`adding to the study failed with ${added.status}`);
    // The sending hospital reads its studies back with real identity: that path must not log it either.
    const list = await app.request('/api/studies', { headers: { Authorization: `Bearer ${token}` } });
    const listed = JSON.stringify(await list.json());
    if (!listed.includes(canariesFor(0)['(0010,0010)'])) throw new Error('the sending hospital should see the real name');
    await db.close();
  }, 120_000);

  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('planted canaries that the same byte scan finds in the fixtures', async () => {
    // Ten attributes and three UIDs per sample; the charsets sample's name is the binary GB18030 canary instead.
    expect(canaries).toHaveLength(SAMPLES.length * 13 - 1);
    expect(binaryCanaries).toHaveLength(2);
    const fixtures = Buffer.concat(await Promise.all((await listFiles(join(dataDir, 'fixtures'))).map((f) => readFile(f))));
    for (const canary of canaries) expect(fixtures.includes(Buffer.from(canary, 'latin1')), canary).toBe(true);
    for (const canary of binaryCanaries.slice(0, 1)) expect(fixtures.includes(canary)).toBe(true);
  });

  it('finds none in the data directory (database files and objects), byte by byte', async () => {
    const files = await listFiles(dataDir);
    const scanned = files.filter((f) => !f.startsWith(join(dataDir, 'fixtures')));
    expect(scanned.some((f) => f.includes(join('pg', 'data', 'base', '')))).toBe(true);
    expect(scanned.some((f) => f.includes(join('pg', 'data', 'pg_wal', '')))).toBe(true);
    expect(scanned.some((f) => f.includes(join('objects', 'instances')))).toBe(true);
    for (const file of scanned) {
      const bytes = await readFile(file);
      for (const canary of canaries) expect(bytes.includes(Buffer.from(canary, 'latin1')), `${canary} in ${file}`).toBe(false);
      for (const canary of binaryCanaries) expect(bytes.includes(canary), `Chinese canary in ${file}`).toBe(false);
    }
  });

  it('finds none in the logs', () => {
    const text = logs.join('');
    expect(text).toContain('"path":"/dicomweb/studies"');
    expect(text).toContain('"path":"/dicomweb/studies/:study"');
    for (const canary of canaries) expect(text).not.toContain(canary);
    expect(text).not.toContain(gb18030Name);
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out;
}

function scanDicomOk(bytes: Uint8Array) {
  const scanned = scanDicom(bytes);
  if (!scanned.ok) throw new Error(scanned.code);
  return scanned.attributes;
}
