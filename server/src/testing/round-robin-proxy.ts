import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

export interface Backend {
  url: URL;
  /** Requests the proxy sent here. */
  requests: number;
  /** Set when a connection to it was refused: a load balancer's failed health check. */
  down: boolean;
}

/** What a test watches or breaks on the way through the proxy. */
export interface ProxyHooks {
  /** True cuts the client's connection before the request reaches a backend (a network fault mid-upload). */
  cut?: (method: string, path: string) => boolean;
  /** Called when a backend's answer starts, with the backend that gave it. */
  onAnswer?: (method: string, path: string, status: number, backend: Backend) => void;
}

/**
 * A round-robin reverse proxy for tests and benchmarks of several replicas (what a load
 * balancer does, no more; a real one is configured by the operator, so none is a dependency): each request goes to the
 * next backend that is up, streamed both ways; a refused connection marks the backend down and
 * answers 502, a backend dying mid-answer cuts the client's connection.
 */
export function startRoundRobinProxy(hooks: ProxyHooks = {}) {
  const backends: Backend[] = [];
  let next = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (hooks.cut?.(req.method ?? 'GET', req.url ?? '/')) return void req.socket.destroy();
    const up = backends.filter((b) => !b.down);
    if (up.length === 0) return void res.writeHead(503).end();
    const backend = up[next++ % up.length]!;
    backend.requests++;
    const outgoing = httpRequest(
      { host: backend.url.hostname, port: backend.url.port, method: req.method, path: req.url, headers: { ...req.headers, host: backend.url.host, 'x-forwarded-for': req.socket.remoteAddress ?? '' } },
      (answer) => {
        hooks.onAnswer?.(req.method ?? 'GET', req.url ?? '/', answer.statusCode ?? 502, backend);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        answer.on('aborted', () => res.destroy());
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') backend.down = true;
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(outgoing);
  });
  return {
    backends,
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`))),
    setBackends(urls: string[]) {
      backends.splice(0, backends.length, ...urls.map((url) => ({ url: new URL(url), requests: 0, down: false })));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type RoundRobinProxy = ReturnType<typeof startRoundRobinProxy>;
