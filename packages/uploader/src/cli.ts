#!/usr/bin/env node
/**
 * `pnpm upload --server URL --token TOKEN <paths…>`: sends folders and zips of DICOM files
 * from a hospital PACS export to Yunzhen through STOW-RS. Patient identity is removed by the
 * server on ingest. Resumable: run it again and instances already stored are skipped.
 */
import { parseArgs } from 'node:util';

import { collectSources, type Source } from './sources.js';
import { upload, UploadError, type FileResult, type Progress } from './upload.js';

const usage = `Usage: pnpm upload --server URL [--token TOKEN] [--concurrency N] <file|folder|zip>...

  --server URL       Yunzhen server, e.g. https://yunzhen.example.org
  --token TOKEN      API token (POST /api/auth/token); or set YUNZHEN_TOKEN
  --concurrency N    parallel requests (default 4)
  --help             this text

Exit status: 0 when every file was stored (or already stored), 1 when any was refused or failed.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      token: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const token = values.token ?? process.env.YUNZHEN_TOKEN;
  if (!values.server || !token || positionals.length === 0) {
    process.stderr.write(usage + '\n');
    return 2;
  }
  const server = values.server.replace(/\/+$/, '');
  const sources: Source[] = [];
  for await (const source of collectSources(positionals)) sources.push(source);
  process.stdout.write(`${sources.length} files found\n`);

  const bar = progressBar();
  let results: FileResult[];
  try {
    results = await upload(sources, {
      server,
      token,
      concurrency: Math.max(1, Number(values.concurrency) || 4),
      batchInstances: 16,
      batchBytes: 32 * 1024 * 1024,
      maxAttempts: 6,
      onProgress: bar.update,
    });
  } catch (error) {
    bar.end();
    if (error instanceof UploadError) {
      process.stderr.write(`upload stopped: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  bar.end();

  const count = (status: FileResult['status']) => results.filter((r) => r.status === status).length;
  for (const r of results) if ('code' in r) process.stdout.write(`${r.status.toUpperCase()} ${r.label} ${r.code}\n`);
  process.stdout.write(
    `stored ${count('stored')}, already stored ${count('skipped')}, not DICOM or invalid ${count('invalid')}, refused ${count('rejected')}, failed ${count('failed')}\n`,
  );
  return count('rejected') + count('failed') + count('invalid') > 0 ? 1 : 0;
}

/** One redrawn line on a terminal, a line every few seconds otherwise (CI logs). */
function progressBar() {
  const started = Date.now();
  let lastLine = 0;
  const tty = process.stdout.isTTY;
  const render = (p: Progress) => {
    const fraction = p.bytesTotal ? p.bytesDone / p.bytesTotal : 1;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? p.bytesDone / seconds : 0;
    const eta = rate > 0 ? Math.round((p.bytesTotal - p.bytesDone) / rate) : 0;
    const filled = Math.round(fraction * 30);
    return `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${p.done}/${p.total} files ${(p.bytesDone / 1e6).toFixed(1)} MB ${(rate / 1e6).toFixed(1)} MB/s ETA ${eta}s`;
  };
  return {
    update(p: Progress) {
      if (tty) process.stdout.write(`\r${render(p)}`);
      else if (Date.now() - lastLine > 5000 || p.done === p.total) {
        lastLine = Date.now();
        process.stdout.write(render(p) + '\n');
      }
    },
    end() {
      if (tty) process.stdout.write('\n');
    },
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`upload failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
