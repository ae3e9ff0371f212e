import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Peak resident memory (VmHWM) of a process, in MB; undefined off Linux. */
export function peakRssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Current resident memory (VmRSS) of a process, in MB; undefined off Linux. */
export function rssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Memory of an embedded PostgreSQL server (`DATA_DIR/pg`): the proportional set size (PSS) of
 * its postmaster and every backend, in MB, so shared buffers count once, not once per process.
 */
export function postgresPssMb(dataDir: string): number | undefined {
  try {
    const postmaster = Number(readFileSync(join(dataDir, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    let kb = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (Number(entry) !== postmaster && ppid !== postmaster) continue;
        kb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      } catch {
        // the process ended meanwhile
      }
    }
    return Math.round(kb / 1024);
  } catch {
    return undefined;
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Prints one machine-readable JSON line and one line for people. */
export function report(result: Record<string, unknown>, human: string): void {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.stdout.write(`# ${human}\n`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface OrthancServer {
  url: string;
  pid: number | undefined;
  /** Orthanc's own version string, recorded with its figures. */
  version: string;
  /**
   * Stops and starts the same server on the same storage, so its memory caches are empty again;
   * with `storageCacheMb`, with a storage cache of that size from then on.
   */
  restart(options?: Pick<OrthancOptions, 'storageCacheMb'>): Promise<void>;
  stop(): Promise<void>;
}

export interface OrthancOptions {
  dicomweb?: boolean;
  /**
   * Orthanc's in-memory cache of stored files (`MaximumStorageCacheSize`, written or read, new
   * in 1.10.0); Orthanc's default, 128 MB, when omitted.
   */
  storageCacheMb?: number;
  /** Turns Orthanc's DICOM (DIMSE) server on, on this port, as AE title ORTHANC. */
  dicomPort?: number;
}

/** Starts the Debian `orthanc` package's server for a side-by-side run, or returns undefined when absent. */
export async function startOrthanc(options: OrthancOptions = {}): Promise<OrthancServer | undefined> {
  const binary = ['/usr/sbin/Orthanc', '/usr/bin/Orthanc'].find((path) => existsSync(path));
  if (!binary) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'orthanc-bench-'));
  const httpPort = await freePort();
  const plugins = options.dicomweb && existsSync('/usr/share/orthanc/plugins/libOrthancDicomWeb.so') ? ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'] : [];
  const configFor = (storageCacheMb: number | undefined) => ({
    Name: 'bench',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    HttpPort: httpPort,
    DicomServerEnabled: options.dicomPort !== undefined,
    ...(options.dicomPort !== undefined && { DicomPort: options.dicomPort, DicomAet: 'ORTHANC', DicomCheckCalledAet: false }),
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    HttpCompressionEnabled: false,
    StorageCompression: false,
    ...(storageCacheMb === undefined ? {} : { MaximumStorageCacheSize: storageCacheMb }),
    Plugins: plugins,
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
  });
  await mkdir(join(dir, 'storage'), { recursive: true });
  const url = `http://127.0.0.1:${httpPort}`;

  const start = async (storageCacheMb: number | undefined) => {
    await writeFile(join(dir, 'orthanc.json'), JSON.stringify(configFor(storageCacheMb)));
    const child: ChildProcess = spawn(binary, [join(dir, 'orthanc.json')], { stdio: 'ignore' });
    let system: { Version?: string } | undefined;
    for (let i = 0; i < 100 && !system; i++) {
      system = await fetch(`${url}/system`).then((response) => (response.ok ? (response.json() as Promise<{ Version?: string }>) : undefined), () => undefined);
      if (!system) await new Promise((r) => setTimeout(r, 100));
    }
    if (!system) {
      child.kill('SIGKILL');
      throw new Error('Orthanc did not start within 10 s');
    }
    return { child, version: system.Version ?? 'unknown' };
  };
  const stop = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });

  let storageCacheMb = options.storageCacheMb;
  let running = await start(storageCacheMb);
  return {
    url,
    get pid() {
      return running.child.pid;
    },
    version: running.version,
    async restart(restartOptions = {}) {
      if ('storageCacheMb' in restartOptions) storageCacheMb = restartOptions.storageCacheMb;
      await stop(running.child);
      running = await start(storageCacheMb);
    },
    async stop() {
      await stop(running.child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
