/**
 * A minimal HTTP endpoint for Prometheus: GET <path> (default /metrics) answers with the
 * registry's text; everything else is 404. Built on node:http so that it adds no dependency.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Options of startMetricsServer. */
export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one (see MetricsServer.port). */
  port: number;
  /** Interface to listen on (default 127.0.0.1; "0.0.0.0" for every interface). */
  host?: string;
  /** URL path of the metrics (default "/metrics"). */
  path?: string;
}

/** A running metrics endpoint (startMetricsServer). */
export interface MetricsServer {
  /** The port it listens on. */
  readonly port: number;
  /** URL of the metrics, e.g. http://127.0.0.1:9464/metrics. */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** What the server scrapes: a prom-client Registry, or anything that renders one. */
export type MetricsSource = Pick<Registry, 'metrics' | 'contentType'>;

/** Starts an HTTP server answering GET on options.path with the registry's metrics text (404 for anything else). Resolves once it listens. @throws the listen error, e.g. EADDRINUSE when the port is taken. */
export async function startMetricsServer(registry: MetricsSource, options: MetricsServerOptions): Promise<MetricsServer> {
  const path = options.path ?? '/metrics';
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: metrics are at GET ${path}\n`);
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
