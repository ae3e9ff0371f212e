/** Test helper: runs the real CLI (`tsx src/cli.ts`) as a user would, with its own HOME, and captures everything it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh HOME (and XDG_CONFIG_HOME inside it) for one user of the uploader. */
export function freshHome(): { HOME: string; XDG_CONFIG_HOME: string } {
  const home = mkdtempSync(join(tmpdir(), 'yunzhen-home-'));
  return { HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
}

/** `onChild` gets the process, for a test that interrupts it. */
export function runCli(args: string[], options: { env: Record<string, string>; input?: string; onChild?: (child: ChildProcess) => void }): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, LANG: 'C', LC_ALL: '', LC_MESSAGES: '', YUNZHEN_TOKEN: '', npm_lifecycle_event: '', ...options.env };
  return new Promise((resolve, reject) => {
    // One process (node with tsx's loader, not the tsx launcher, which runs node as its child), so a test's kill reaches the uploader itself.
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'packages/uploader/src/cli.ts'), ...args], { cwd: repo, env, stdio: ['pipe', 'pipe', 'pipe'] });
    options.onChild?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
