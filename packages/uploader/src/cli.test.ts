import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { demoToken, readSample, samplesDir, spawnServer, type SpawnedServer } from '@yunzhen/server/testing';

import { freshHome, runCli } from './run-cli.js';

const home = freshHome();

/** Runs `pnpm upload …` the way hospital IT does: the real CLI against a real server. */
const uploadCli = (args: string[], env: Record<string, string> = {}) => runCli(args, { env: { ...home, ...env } });

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
    rmSync(home.HOME, { recursive: true, force: true });
  });

  it('uploads folders and zips, reports every file it could not send, and exits 1', async () => {
    const { code, stdout } = await uploadCli(['--server', server.url, '--token', token, folder]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/NOT SENT .*notes\.txt: not a DICOM file \[NotDicom\]/);
    expect(stdout).toMatch(/NOT SENT .*broken\.dcm: file is cut short \[(Truncated|LengthPastEnd)\]/);
    expect(stdout).toContain('stored 5, already stored 0');
  }, 90_000);

  it('resumes: a second run skips what is stored', async () => {
    const { stdout } = await uploadCli(['--server', server.url, '--token', token, join(folder, 'export'), join(folder, 'archive.zip')]);
    expect(stdout).toContain('stored 0, already stored 5');
  }, 90_000);

  it('says why each file was not sent in the viewer\'s words, in Chinese with --lang zh-CN or a Chinese locale', async () => {
    const files = [join(folder, 'export', 'notes.txt'), join(folder, 'broken.dcm')];
    const zh = await uploadCli(['--lang', 'zh-CN', '--server', server.url, '--token', token, ...files]);
    expect(zh.code).toBe(1);
    expect(zh.stdout).toMatch(/未发送 .*notes\.txt：不是 DICOM 文件 \[NotDicom\]/);
    expect(zh.stdout).toMatch(/未发送 .*broken\.dcm：文件不完整 \[(Truncated|LengthPastEnd)\]/);
    expect(zh.stdout).toContain('非 DICOM 或无效 2');
    expect(zh.stdout).not.toMatch(/not a DICOM file|stored \d/);
    const fromLocale = await uploadCli(['--server', server.url, '--token', token, ...files], { LANG: 'zh_CN.UTF-8' });
    expect(fromLocale.stdout).toContain('不是 DICOM 文件');
    const overridden = await uploadCli(['--lang', 'en', '--server', server.url, '--token', token, ...files], { LANG: 'zh_CN.UTF-8' });
    expect(overridden.stdout).toContain('not a DICOM file');
  }, 90_000);

  it('exits 0 when everything is stored, and refuses a bad token clearly', async () => {
    expect((await uploadCli(['--server', server.url, '--token', token, join(folder, 'archive.zip')])).code).toBe(0);
    const refused = await uploadCli(['--server', server.url, '--token', 'yz_wrong', join(folder, 'archive.zip')]);
    expect(refused.code).toBe(1);
  }, 90_000);
});
