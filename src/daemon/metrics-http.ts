/**
 * The HTTP side of the metrics exporter: answers GET /metrics and nothing
 * else. The endpoint has no authentication (Prometheus convention); it binds
 * only to the address written in the config (docs/metrics.md "Exposure").
 *
 * Hostile clients: headers are capped (maxHeaderSize), request bodies are
 * refused, slow clients are cut by the header/request timeouts, and the
 * number of connections is bounded. Concurrent scrapes share one rendering
 * so a burst of requests costs one walk over the SA table.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../ike/ports.js';
import type { KeywayMetrics } from './metrics.js';

export interface MetricsAddress {
  readonly host: string;
  readonly port: number;
}

export interface MetricsServer {
  /** the bound address (port resolved when 0 was asked for) */
  readonly address: MetricsAddress;
  close(): Promise<void>;
}

/** Limits; fixed because nothing legitimate comes close. */
const MAX_HEADER_BYTES = 8192;
const MAX_CONNECTIONS = 32;
const MAX_BODY_DRAIN_BYTES = 16_384;
const HEADERS_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
/** a scrape that takes longer than this answers 503 (Prometheus' default scrape_timeout is 10 s) */
const RENDER_TIMEOUT_MS = 8000;

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

export async function startMetricsServer(opts: { readonly address: MetricsAddress; readonly metrics: KeywayMetrics; readonly logger: Logger }): Promise<MetricsServer> {
  const { metrics, logger } = opts;
  let inflight: Promise<string> | undefined;
  const render = (): Promise<string> => {
    inflight ??= metrics.render().finally(() => (inflight = undefined));
    return inflight;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? '0') !== 0;
    if (hasBody) {
      // A scrape has no body. Drain a small one so the 413 reaches the client (closing
      // with unread data sends a TCP reset that discards it); cut off a large one.
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > MAX_BODY_DRAIN_BYTES) req.destroy();
      });
      req.on('end', () => {
        res.setHeader('connection', 'close');
        send(res, 413, 'request body not accepted\n');
      });
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      send(res, 404, 'not found: this endpoint serves GET /metrics only\n');
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('metrics rendering timed out')), RENDER_TIMEOUT_MS);
    });
    Promise.race([render(), timeout])
      .then((body) => send(res, 200, body, metrics.contentType))
      .catch((e: unknown) => {
        logger.log('warn', 'metrics.scrape.failed', { error: e instanceof Error ? e.message : String(e) });
        if (!res.headersSent) send(res, 503, 'metrics unavailable\n');
      })
      .finally(() => clearTimeout(timer));
  };

  const server: Server = createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 5000 },
    (req, res) => {
      try {
        handle(req, res);
      } catch (e) {
        // never let a request throw into the daemon
        logger.log('warn', 'metrics.request.failed', { error: e instanceof Error ? e.message : String(e) });
        if (!res.headersSent) send(res, 500, 'internal error\n');
      }
    },
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.address.host, port: opts.address.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => logger.log('warn', 'metrics.server.error', { error: e.message }));
  const bound = server.address() as AddressInfo;
  const address = { host: opts.address.host, port: bound.port };
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
