import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { spawnServer, startLoopbackSmtp } from '@yunzhen/server/testing';

/**
 * Starts Yunzhen as a user would (`server/src/main.ts`, embedded defaults, demo union) on a
 * free port with a fresh data directory, and keeps its log for tests that read it. E-mail goes
 * to a loopback SMTP server that writes each message to YUNZHEN_MAIL_DIR for the tests to read.
 */
export default async function globalSetup() {
  const mailDir = mkdtempSync(join(tmpdir(), 'yunzhen-mail-'));
  const smtp = await startLoopbackSmtp({ dir: mailDir });
  // Small parts (64 KiB, the least UPLOAD_PART_BYTES takes), so a zip of a few slices goes up in several.
  const server = await spawnServer({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://yunzhen.example.org', UPLOAD_PART_BYTES: String(64 * 1024) } });
  process.env.YUNZHEN_URL = server.url + '/';
  process.env.YUNZHEN_SERVER_LOG = server.logPath;
  process.env.YUNZHEN_DATA_DIR = server.dataDir;
  process.env.YUNZHEN_DICOM_PORT = String(server.dicomPort ?? '');
  process.env.YUNZHEN_MAIL_DIR = mailDir;
  return async () => {
    await server.stop();
    await smtp.close();
  };
}
