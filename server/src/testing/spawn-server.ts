import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { DEMO_PASSWORD } from '../demo-union.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

export interface SpawnedServer {
  url: string;
  dataDir: string;
  /** JSON log lines, written to this file (the demo banner is not). */
  logPath: string;
  /** The DIMSE port from the banner (DICOM_PORT 0 picks a free one); undefined when off. */
  dicomPort: number | undefined;
  /** The DICOM TLS listener's port, when DICOM_TLS_CERT and DICOM_TLS_KEY were given. */
  dicomTlsPort: number | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts Yunzhen as an operator would (`server/src/main.ts`, embedded defaults unless `env`
 * says otherwise) on a free port with a fresh data directory and the demo union.
 */
export async function spawnServer(options: { env?: Record<string, string>; dataDir?: string } = {}): Promise<SpawnedServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'yunzhen-server-')));
  const logPath = join(dataDir, 'server.log');
  const log = createWriteStream(logPath, { flags: 'a' });
  // One process (node with tsx's loader), so its pid is the server's: benchmarks read its memory.
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'server/src/main.ts')], {
    cwd: repo,
    // DICOM_PORT 0: each test server gets its own free DIMSE port (not a real PACS's 11112).
    env: { ...process.env, PORT: '0', DICOM_PORT: '0', DATA_DIR: dataDir, YUNZHEN_DEMO: 'true', LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.pipe(log);
  let dicomPort: number | undefined;
  let dicomTlsPort: number | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}; see ${logPath}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      // The log is the JSON lines; the banner (which prints the demo password on purpose) is
      // not logged, but it says where the server listens whatever the log level.
      const dicom = /^DICOM \(C-ECHO, C-STORE\) as AE title \S+ on \S+:(\d+)/.exec(line);
      if (dicom) dicomPort = Number(dicom[1]);
      const dicomTls = /; DICOM TLS on port (\d+)/.exec(line);
      if (dicomTls) dicomTlsPort = Number(dicomTls[1]);
      const banner = /^Yunzhen is running at (\S+)$/.exec(line);
      if (banner) {
        clearTimeout(timer);
        resolve(banner[1]!.replace(/\/$/, ''));
      }
      if (line.startsWith('{')) log.write(line + '\n');
    });
  });
  // The banner is one write: its DICOM line follows the address line in the same chunk.
  await new Promise((resolve) => setImmediate(resolve));
  return {
    url,
    dataDir,
    logPath,
    get dicomTlsPort() {
      return dicomTlsPort;
    },
    get dicomPort() {
      return dicomPort;
    },
    process: child,
    async stop() {
      // A process that was killed has a signalCode and no exitCode: it will not exit again.
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      log.end();
      // The embedded PostgreSQL server stops on its own after the server exits and may still be
      // writing its last WAL: retry while a directory refills under rm.
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}

/** An API token for a demo account on a running server. */
export async function demoToken(url: string, email: string): Promise<string> {
  const response = await fetch(new URL('/api/auth/token', url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: DEMO_PASSWORD }) });
  if (!response.ok) throw new Error(`token for ${email}: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}
