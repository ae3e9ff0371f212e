import { spawnServer } from '@yunzhen/server/testing';

/**
 * Starts Yunzhen as a user would (`server/src/main.ts`, embedded defaults, demo union) on a
 * free port with a fresh data directory, and keeps its log for tests that read it.
 */
export default async function globalSetup() {
  const server = await spawnServer();
  process.env.YUNZHEN_URL = server.url + '/';
  process.env.YUNZHEN_SERVER_LOG = server.logPath;
  process.env.YUNZHEN_DATA_DIR = server.dataDir;
  process.env.YUNZHEN_DICOM_PORT = String(server.dicomPort ?? '');
  return () => server.stop();
}
