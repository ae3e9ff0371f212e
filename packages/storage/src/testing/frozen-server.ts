import { createServer, type Socket } from 'node:net';

export interface FrozenServer {
  endpoint: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Requests answered with a 200 before going silent. */
  readonly answered: number;
  close(): Promise<void>;
}

export interface FrozenServerOptions {
  /**
   * `silent`: accepts connections and never answers (a frozen S3 endpoint). `answer`: answers
   * a request with `200 OK` and a Content-Length of `declaredBytes`, sends `sentBytes` of them
   * (all by default), then goes silent; fewer than declared is a store that froze while
   * sending an object.
   */
  mode: 'silent' | 'answer';
  declaredBytes?: number;
  sentBytes?: number;
  /**
   * Answer HEAD requests `404 Not Found` first (a key not stored yet), so a put gets past its
   * existence check and freezes in the upload itself.
   */
  missingOnHead?: boolean;
}

/**
 * A loopback server that freezes deterministically, for testing timeouts without signals or
 * sleeps. Connections stay open until `close`.
 */
export async function startFrozenServer(options: FrozenServerOptions): Promise<FrozenServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let answered = 0;
  const declared = options.declaredBytes ?? 1024;
  const sent = Math.min(options.sentBytes ?? declared, declared);
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = '';
    const onData = (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const method = pending.slice(0, pending.indexOf(' '));
        pending = pending.slice(end + 4);
        if (method === 'HEAD' && options.missingOnHead) {
          socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
          continue; // a HEAD has no body: the next bytes are the next request
        }
        socket.off('data', onData); // whatever follows (a request body) is never read
        if (options.mode === 'answer') {
          answered++;
          socket.write(
            `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\nETag: "frozen"\r\nLast-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n`,
          );
          socket.write(Buffer.alloc(sent, 0x2a));
        }
        return;
      }
    };
    socket.on('data', onData);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get answered() {
      return answered;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
