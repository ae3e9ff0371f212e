import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repo = fileURLToPath(new URL('..', import.meta.url));

/** A workspace package's own executable (pnpm links bins per package). */
export function bin(packageDir: string, name: string): string {
  return join(repo, packageDir, 'node_modules/.bin', name);
}

/** Runs a command with inherited output; resolves to its exit code. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd ?? repo, env: options.env ?? process.env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

/** Newest modification time of any file under `paths` (skipping node_modules and dist). */
export function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const info = statSync(path);
    if (info.isDirectory()) {
      for (const entry of readdirSync(path)) {
        if (entry !== 'node_modules' && entry !== 'dist') visit(join(path, entry));
      }
    } else {
      newest = Math.max(newest, info.mtimeMs);
    }
  };
  paths.forEach(visit);
  return newest;
}

/** Builds the viewer unless `viewer/dist` is newer than every source it is built from. */
export async function buildViewerIfStale(): Promise<void> {
  const index = join(repo, 'viewer/dist/index.html');
  const sources = ['viewer/src', 'viewer/index.html', 'viewer/vite.config.ts', 'viewer/public', 'packages'].map((p) => join(repo, p));
  if (existsSync(index) && statSync(index).mtimeMs > newestMtime(sources)) return;
  process.stdout.write('Building the viewer…\n');
  const code = await run(bin('viewer', 'vite'), ['build', '--logLevel', 'warn'], { cwd: join(repo, 'viewer') });
  if (code !== 0) throw new Error(`viewer build failed (exit ${code})`);
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
