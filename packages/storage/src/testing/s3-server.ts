import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface TestS3Server {
  endpoint: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  /** Kills the server abruptly (a dead object store); `start` brings it back on the same port and data. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /**
   * Stops the server process (SIGSTOP) without closing its port: connections are still
   * accepted by the kernel and never answered, as with a hung store. `thaw` resumes it.
   */
  freeze(): void;
  thaw(): void;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

/** Starts a real S3-compatible server (s3rver) on 127.0.0.1 in a child process. */
export async function startTestS3Server(): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'yunzhen-s3-'));
  const script = new URL('./s3-server-process.mjs', import.meta.url);
  let child: ChildProcess | undefined;
  let port = 0;

  async function start(): Promise<void> {
    const proc = spawn(process.execPath, ['--openssl-legacy-provider', script.pathname, directory, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = proc;
    const lines = createInterface({ input: proc.stdout! });
    port = await new Promise<number>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`s3 test server exited with ${code}`)));
      lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    });
  }

  async function kill(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  await start();
  return {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    kill,
    start,
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    async close() {
      await kill();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
