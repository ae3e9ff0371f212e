import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '@yunzhen/db/testing';

export { freePort };

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
  /** Turns Orthanc's DICOM (DIMSE) server on, on this port. */
  dicomPort?: number;
  /** Orthanc's own AE title on that port (ORTHANC when omitted). */
  dicomAet?: string;
}

/**
 * Starts the Debian `orthanc` package's server, a peer nobody here wrote (the benchmarks' side-by-side
 * runs, a hospital PACS in tests), or returns undefined when absent.
 */
export async function startOrthanc(options: OrthancOptions = {}): Promise<OrthancServer | undefined> {
  const binary = ['/usr/sbin/Orthanc', '/usr/bin/Orthanc'].find((path) => existsSync(path));
  if (!binary) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'orthanc-'));
  const httpPort = await freePort();
  const plugins = options.dicomweb && existsSync('/usr/share/orthanc/plugins/libOrthancDicomWeb.so') ? ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'] : [];
  const configFor = (storageCacheMb: number | undefined) => ({
    Name: 'peer',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    HttpPort: httpPort,
    DicomServerEnabled: options.dicomPort !== undefined,
    ...(options.dicomPort !== undefined && { DicomPort: options.dicomPort, DicomAet: options.dicomAet ?? 'ORTHANC', DicomCheckCalledAet: false }),
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
