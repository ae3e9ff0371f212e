import { readdirSync, readFileSync } from 'node:fs';
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
 * Sums a figure (in kB) over the running processes `chosen` picks by pid and parent pid, in MB:
 * memory of a group of processes, such as a server's children.
 */
function sumOverProcesses(chosen: (pid: number, ppid: number) => boolean, kbOf: (pid: number) => number): number {
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (chosen(Number(entry), ppid)) kb += kbOf(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return Math.round(kb / 1024);
}

/** Resident memory (VmRSS) of the OCR engine processes a server started (`server/src/ocr`), in MB. */
export function ocrRssMb(serverPid: number | undefined): number | undefined {
  if (!serverPid) return undefined;
  return sumOverProcesses(
    (pid, ppid) => ppid === serverPid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ocr-worker'),
    (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0),
  );
}

/**
 * Memory of an embedded PostgreSQL server (`DATA_DIR/pg`): the proportional set size (PSS) of
 * its postmaster and every backend, in MB, so shared buffers count once, not once per process.
 */
export function postgresPssMb(dataDir: string): number | undefined {
  try {
    const postmaster = Number(readFileSync(join(dataDir, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return sumOverProcesses(
      (pid, ppid) => pid === postmaster || ppid === postmaster,
      (pid) => Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0),
    );
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

/** The middle value; with an even count, the mean of the two middle ones. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Prints one machine-readable JSON line and one line for people. */
export function report(result: Record<string, unknown>, human: string): void {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.stdout.write(`# ${human}\n`);
}

