import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts Yunzhen as a user would (`server/src/main.ts`, embedded defaults, demo union) on a
 * free port with a fresh data directory, and keeps its log for tests that read it.
 */
export default async function globalSetup() {
  const dataDir = await mkdtemp(join(tmpdir(), 'yunzhen-e2e-'));
  const logPath = join(dataDir, 'server.log');
  const log = createWriteStream(logPath);
  const tsx = join(repo, 'node_modules/.bin/tsx');
  const server = spawn(tsx, [join(repo, 'server/src/main.ts')], {
    cwd: repo,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, YUNZHEN_DEMO: 'true', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr.pipe(log);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000);
    server.once('exit', (code) => reject(new Error(`server exited with ${code}; see ${logPath}`)));
    createInterface({ input: server.stdout }).on('line', (line) => {
      // The log is the JSON lines; the demo banner (which prints the demo password on purpose) is not.
      if (!line.startsWith('{')) return;
      log.write(line + '\n');
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'listening' && entry.url) {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
  });
  process.env.YUNZHEN_URL = url;
  process.env.YUNZHEN_SERVER_LOG = logPath;
  process.env.YUNZHEN_DATA_DIR = dataDir;

  return async () => {
    await new Promise<void>((resolve) => {
      server.once('exit', () => resolve());
      server.kill('SIGTERM');
    });
    log.end();
    await rm(dataDir, { recursive: true, force: true });
  };
}
