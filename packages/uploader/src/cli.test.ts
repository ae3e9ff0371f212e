import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { demoToken, readSample, samplesDir, spawnServer, startRoundRobinProxy, type SpawnedServer } from '@yunzhen/server/testing';

import { PNPM_COMMAND } from './messages.js';
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

  it('takes the token from a file or YUNZHEN_TOKEN, warns about one on the command line, and never prints it', async () => {
    const tokenFile = join(folder, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const zip = join(folder, 'archive.zip');
    const fromFile = await uploadCli(['--server', server.url, '--token-file', tokenFile, zip]);
    expect(fromFile.code).toBe(0);
    const fromEnv = await uploadCli(['--server', server.url, zip], { YUNZHEN_TOKEN: token });
    expect(fromEnv.code).toBe(0);
    const onCommandLine = await uploadCli(['--server', server.url, '--token', token, zip]);
    expect(onCommandLine.stderr).toContain('--token-file or YUNZHEN_TOKEN');
    // A file that holds something else is refused without quoting it.
    writeFileSync(join(folder, 'not-a-token'), 'Bearer yz_secret with spaces\n');
    const malformed = await uploadCli(['--server', server.url, '--token-file', join(folder, 'not-a-token'), zip]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('TokenMalformed');
    for (const run of [fromFile, fromEnv, onCommandLine, malformed]) {
      expect(run.stdout + run.stderr).not.toContain(token);
      expect(run.stdout + run.stderr).not.toContain('yz_secret');
    }
  }, 90_000);

  it('run as the README says (through pnpm), prints no token given on the command line', async () => {
    // pnpm prints a script's command line, arguments included, unless told to be silent.
    const [npx, ...args] = PNPM_COMMAND.split(' ');
    const repo = fileURLToPath(new URL('../../../', import.meta.url));
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(npx!, [...args, '--', '--server', server.url, '--token', token, join(folder, 'archive.zip')], { cwd: repo, env: { ...process.env, ...home, YUNZHEN_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d));
      child.stderr.on('data', (d: Buffer) => (text += d));
      child.on('error', reject);
      child.on('close', () => resolve(text));
    });
    expect(output).toContain('already stored');
    expect(output).not.toContain(token);
  }, 180_000);
});

describe('the command-line uploader sending a zip in parts', () => {
  const PART_BYTES = 64 * 1024;
  const partHome = freshHome();
  let server: SpawnedServer;
  let token: string;
  let archive: string;
  let tokenFile: string;
  /** Parts the server acknowledged, by index, over every run. */
  const acknowledged = new Map<number, number>();
  let cutNext = (_path: string) => false;
  const proxy = startRoundRobinProxy({
    cut: (method, path) => method === 'PUT' && cutNext(path),
    onAnswer: (method, path, status) => {
      const index = method === 'PUT' && status === 200 ? /\/parts\/(\d+)$/.exec(path)?.[1] : undefined;
      if (index !== undefined) acknowledged.set(Number(index), (acknowledged.get(Number(index)) ?? 0) + 1);
    },
  });
  let proxyUrl: string;
  beforeAll(async () => {
    server = await spawnServer({ env: { UPLOAD_PART_BYTES: String(PART_BYTES) } });
    proxyUrl = await proxy.listen();
    proxy.setBackends([server.url]);
    token = await demoToken(server.url, 'rad@minhang.demo');
    const folder = mkdtempSync(join(tmpdir(), 'yunzhen-cli-parts-'));
    archive = join(folder, 'exam.zip');
    // Stored, not deflated: 12 MR slices make an archive of many parts.
    const entries = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`mr/${i + 1}.dcm`, readSample(`studies/mr-16slice/MR${String(i + 1).padStart(2, '0')}.dcm`)] as const));
    writeFileSync(archive, zipSync(entries, { level: 0 }));
    tokenFile = join(folder, 'token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
  }, 90_000);
  afterAll(async () => {
    await server.stop();
    await proxy.close();
    rmSync(partHome.HOME, { recursive: true, force: true });
  });
  const run = (onChild?: Parameters<typeof runCli>[1]['onChild']) =>
    runCli(['--server', proxyUrl, '--token-file', tokenFile, '--concurrency', '2', archive], { env: { ...partHome }, onChild });

  it('resumes after it was killed mid-upload, sending only the parts the server lacks', async () => {
    const parts = Math.ceil(statSync(archive).size / PART_BYTES);
    expect(parts).toBeGreaterThanOrEqual(8);
    // The first run is killed once parts 0–2 are on the server. Parts from 3 on are cut until
    // then: two go at a time, so part 3 is first sent while part 2 may still be arriving.
    let killed = false;
    let firstRun: ChildProcess | undefined;
    cutNext = (path) => {
      if (Number(/\/parts\/(\d+)$/.exec(path)?.[1]) < 3) return false;
      if (!killed && [0, 1, 2].every((index) => acknowledged.has(index))) {
        firstRun?.kill('SIGKILL');
        killed = true;
      }
      return true;
    };
    const first = await run((child) => (firstRun = child));
    expect(first.code).toBeNull();
    const sentBefore = new Set(acknowledged.keys());
    expect([...sentBefore].sort()).toEqual([0, 1, 2]);

    // The connection is cut once in the second run too: the part is sent again within the run.
    let cuts = 0;
    cutNext = () => cuts++ === 0;
    const second = await run();
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('stored 12, already stored 0');
    expect(cuts).toBeGreaterThan(1);
    // Every part reached the server; the ones acknowledged before the kill were not sent again.
    expect(acknowledged.size).toBe(parts);
    for (const index of sentBefore) expect(acknowledged.get(index), `part ${index}`).toBe(1);

    // Run once more: the archive is known as ingested, nothing is sent.
    const before = [...acknowledged.values()].reduce((a, b) => a + b, 0);
    const third = await run();
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('stored 0, already stored 12');
    expect([...acknowledged.values()].reduce((a, b) => a + b, 0)).toBe(before);
  }, 180_000);
});
