import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_PASSWORD, samplesDir, spawnServer, type SpawnedServer } from '@yunzhen/server/testing';

import { freshHome, runCli, type CliRun } from './run-cli.js';

/** A loopback port nothing listens on: bound once by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const storedLogins = (home: { XDG_CONFIG_HOME: string }) =>
  (JSON.parse(readFileSync(join(home.XDG_CONFIG_HOME, 'yunzhen', 'credentials.json'), 'utf8')) as { logins: { server: string; token: string }[] }).logins;

const printed = (run: CliRun) => run.stdout + run.stderr;
const noStack = (run: CliRun) => expect(printed(run)).not.toMatch(/^\s+at /m);

describe('login, the stored token, logout', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  /** `login` with the password on standard input, as a script does. */
  const login = (home: Record<string, string>, email = 'rad@minhang.demo', extra: string[] = []) =>
    runCli(['login', '--server', server.url, '--email', email, '--password-stdin', ...extra], { env: home, input: `${DEMO_PASSWORD}\n` });

  it('stores the token in a file only the user can read, and never prints the password or the token', async () => {
    const home = freshHome();
    const run = await login(home);
    expect(run.code, printed(run)).toBe(0);
    expect(run.stdout).toContain(`Logged in to ${server.url}`);
    const file = join(home.XDG_CONFIG_HOME, 'yunzhen', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.XDG_CONFIG_HOME, 'yunzhen')).mode & 0o777).toBe(0o700);
    const [stored] = storedLogins(home);
    expect(stored!.server).toBe(server.url);
    expect(stored!.token).toMatch(/^yz_/);
    expect(printed(run)).not.toContain(DEMO_PASSWORD);
    expect(printed(run)).not.toContain(stored!.token);

    // Neither a wrong password nor --help shows a secret either.
    const wrong = await runCli(['login', '--server', server.url, '--email', 'rad@minhang.demo', '--password-stdin'], { env: home, input: 'not-the-password-42\n' });
    expect(wrong.code).toBe(1);
    expect(printed(wrong)).toContain('wrong email or password');
    expect(printed(wrong)).not.toContain('not-the-password-42');
    noStack(wrong);
    const help = await runCli(['--help'], { env: home });
    expect(help.stdout).toContain('process list');
    expect(printed(help)).not.toContain(stored!.token);
  });

  it('uploads with the stored token when no --token is given, and says so in Chinese with --lang zh-CN', async () => {
    const home = freshHome();
    expect((await login(home)).code).toBe(0);
    const run = await runCli(['--server', server.url, join(samplesDir, 'studies/mr-16slice/MR05.dcm'), join(samplesDir, 'studies/mr-16slice/MR06.dcm')], { env: home });
    expect(run.code, printed(run)).toBe(0);
    expect(run.stdout).toContain('stored 2, already stored 0');
    // Without --server: the server last logged in to.
    const again = await runCli(['--lang', 'zh-CN', join(samplesDir, 'studies/mr-16slice/MR05.dcm')], { env: home });
    expect(again.code, printed(again)).toBe(0);
    expect(again.stdout).toContain('此前已存储 1');
    expect(printed(again)).not.toContain(storedLogins(home)[0]!.token);
  });

  it('logout revokes the token on the server and deletes it from the computer', async () => {
    const home = freshHome();
    expect((await login(home)).code).toBe(0);
    const { token } = storedLogins(home)[0]!;
    const me = () => fetch(`${server.url}/api/me`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await me()).toBe(200);
    const run = await runCli(['logout', '--server', server.url], { env: home });
    expect(run.code, printed(run)).toBe(0);
    expect(printed(run)).not.toContain(token);
    expect(await me()).toBe(401);
    expect(() => readFileSync(join(home.XDG_CONFIG_HOME, 'yunzhen', 'credentials.json'))).toThrow();
  });

  it('a revoked or expired token: says to log in again, with the command, and exits 1', async () => {
    const home = freshHome();
    expect((await login(home)).code).toBe(0);
    const { token } = storedLogins(home)[0]!;
    expect((await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status).toBe(204);
    const run = await runCli(['--server', server.url, join(samplesDir, 'studies/mr-16slice/MR07.dcm')], { env: home });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('token expired or revoked');
    expect(run.stderr).toContain(`login --server ${server.url}`);
    expect(printed(run)).not.toContain(token);
    noStack(run);
    const zh = await runCli(['--lang', 'zh-CN', '--server', server.url, join(samplesDir, 'studies/mr-16slice/MR07.dcm')], { env: home });
    expect(zh.stderr).toContain('令牌已过期或已被撤销');
  });

  it('an account that does not send studies is told so at login and refused at upload, in words', async () => {
    const home = freshHome();
    const run = await login(home, 'specialist@scc.demo');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('cannot send studies');
    const refused = await runCli([join(samplesDir, 'studies/mr-16slice/MR08.dcm')], { env: home });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not allowed for your account');
    noStack(refused);
  });

  it('not a Yunzhen server: says so', async () => {
    const home = freshHome();
    // Yunzhen's own address with a path prefix it does not have (its 404 for unknown paths).
    const prefixed = await runCli(['login', '--server', `${server.url}/no/such/prefix`, '--email', 'rad@minhang.demo', '--password-stdin'], { env: home, input: `${DEMO_PASSWORD}\n` });
    expect(prefixed.code).toBe(1);
    expect(prefixed.stderr).toContain('not as a Yunzhen server does');
    expect(printed(prefixed)).not.toContain(DEMO_PASSWORD);
    noStack(prefixed);

    // Another web server: a page for every request.
    const other = createHttpServer((_, response) => response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Hospital intranet</body></html>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const address = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
      const run = await runCli(['--server', address, '--token', 'yz_for_another_server', join(samplesDir, 'studies/mr-16slice/MR01.dcm')], { env: home });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('not as a Yunzhen server does');
      noStack(run);
      const zh = await runCli(['login', '--lang', 'zh-CN', '--server', address, '--email', 'rad@minhang.demo', '--password-stdin'], { env: home, input: `${DEMO_PASSWORD}\n` });
      expect(zh.code).toBe(1);
      expect(zh.stderr).toContain('不是云诊服务器的应答');
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});

describe('an unreachable server', () => {
  it('names host and port and the cause, in the chosen language, without a stack trace', async () => {
    const port = await closedPort();
    const home = freshHome();
    const run = await runCli(['--server', `http://127.0.0.1:${port}`, '--token', 'yz_not_a_real_token', join(samplesDir, 'studies/mr-16slice/MR01.dcm')], { env: home });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`127.0.0.1:${port}`);
    expect(run.stderr).toContain('connection refused');
    expect(printed(run)).not.toContain('yz_not_a_real_token');
    noStack(run);

    const zh = await runCli(['login', '--lang', 'zh-CN', '--server', `http://127.0.0.1:${port}`, '--email', 'rad@minhang.demo', '--password-stdin'], { env: home, input: 'secret-password-7\n' });
    expect(zh.code).toBe(1);
    expect(zh.stderr).toContain(`无法连接 127.0.0.1:${port}：连接被拒绝`);
    expect(printed(zh)).not.toContain('secret-password-7');
    noStack(zh);
  });
});
