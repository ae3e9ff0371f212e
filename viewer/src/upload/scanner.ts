import type { ScanReply, ScanRequest } from './scan-types.js';

/** The pre-scan worker, started once per upload page. */
export function createScanner(onReply: (reply: ScanReply) => void) {
  const worker = new Worker(new URL('./scan-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<ScanReply>) => onReply(event.data);
  return {
    send(request: ScanRequest) {
      worker.postMessage(request);
    },
    stop() {
      worker.terminate();
    },
  };
}
