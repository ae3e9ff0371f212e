import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { demoToken, readSample, samplesDir, spawnServer, type SpawnedServer } from '@yunzhen/server/testing';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `pnpm upload …` the way hospital IT does: the real CLI against a real server. */
async function uploadCli(args: string[]) {
  try {
    const { stdout } = await run(join(repo, 'node_modules/.bin/tsx'), [join(repo, 'packages/uploader/src/cli.ts'), ...args], { cwd: repo });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe('the command-line uploader', () => {
  let server: SpawnedServer;
  let token: string;
  let folder: string;
  beforeAll(async () => {
    server = await spawnServer();
    token = await demoToken(server.url, 'rad@minhang.demo');
    folder = mkdtempSync(join(tmpdir(), 'yunzhen-cli-'));
    const exam = join(folder, 'export', 'series1');
    mkdirSync(exam, { recursive: true });
    for (const name of ['MR01.dcm', 'MR02.dcm', 'MR03.dcm']) copyFileSync(join(samplesDir, 'studies/mr-16slice', name), join(exam, name));
    writeFileSync(join(folder, 'export', 'notes.txt'), 'not a DICOM file');
    writeFileSync(join(folder, 'archive.zip'), zipSync({ 'a/ct.dcm': readSample('modalities/CT_small.dcm'), 'a/mr4.dcm': readSample('studies/mr-16slice/MR04.dcm') }));
    copyFileSync(join(samplesDir, 'broken/MR_truncated.dcm'), join(folder, 'broken.dcm'));
  }, 90_000);
  afterAll(async () => {
    await server.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('uploads folders and zips, reports every file it could not send, and exits 1', async () => {
    const { code, stdout } = await uploadCli(['--server', server.url, '--token', token, folder]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/INVALID .*notes\.txt NotDicom/);
    expect(stdout).toMatch(/INVALID .*broken\.dcm (Truncated|LengthPastEnd)/);
    expect(stdout).toContain('stored 5, already stored 0');
  }, 90_000);

  it('resumes: a second run skips what is stored', async () => {
    const { stdout } = await uploadCli(['--server', server.url, '--token', token, join(folder, 'export'), join(folder, 'archive.zip')]);
    expect(stdout).toContain('stored 0, already stored 5');
  }, 90_000);

  it('exits 0 when everything is stored, and refuses a bad token clearly', async () => {
    expect((await uploadCli(['--server', server.url, '--token', token, join(folder, 'archive.zip')])).code).toBe(0);
    const refused = await uploadCli(['--server', server.url, '--token', 'yz_wrong', join(folder, 'archive.zip')]);
    expect(refused.code).toBe(1);
  }, 90_000);
});
