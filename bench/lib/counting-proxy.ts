/**
 * A counting HTTP reverse proxy in front of an object store (MinIO, Azurite): every store in the
 * cloud benchmark (bench/cloud.ts) is pointed at the proxy's endpoint, so one neutral party counts
 * the requests and bytes of all of them, instead of each store counting its own.
 *
 * Requests are forwarded unchanged (method, path, query, headers — the Host header too, because
 * S3 SigV4 signs it), and classified by method and query into the kinds object stores bill:
 *
 *   GET     GET (S3 GetObject, Azure Get Blob), also ranged
 *   LIST    GET ?list-type=2 / ?prefix= / ?delimiter= on a bucket (S3 ListObjects[V2]), GET ?comp=list (Azure)
 *   PUT     PUT (PutObject, UploadPart ?partNumber, Azure Put Block / Put Block List), POST ?uploads
 *           (CreateMultipartUpload) and POST ?uploadId (CompleteMultipartUpload): S3 bills them all as PUT-class
 *   HEAD    HEAD (HeadObject / HeadBucket, Azure Get Blob Properties)
 *   DELETE  DELETE (DeleteObject, AbortMultipartUpload, Azure Delete Blob), POST ?delete (DeleteObjects)
 *
 * For each kind: requests, bytes in (request bodies, to the store) and bytes out (response bodies,
 * from the store), and error responses (status >= 400, still counted: they are billed too).
 * `GET /__counting-proxy/stats` on the proxy answers the counters as JSON (not forwarded, not counted).
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const REQUEST_KINDS = ['GET', 'PUT', 'LIST', 'HEAD', 'DELETE'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface KindCounters {
  requests: number;
  bytesIn: number;
  bytesOut: number;
  errors: number;
}

export type ProxyCounts = Record<RequestKind, KindCounters>;

export const STATS_PATH = '/__counting-proxy/stats';

export function emptyCounts(): ProxyCounts {
  const c = {} as ProxyCounts;
  for (const k of REQUEST_KINDS) c[k] = { requests: 0, bytesIn: 0, bytesOut: 0, errors: 0 };
  return c;
}

export function diffCounts(before: ProxyCounts, after: ProxyCounts): ProxyCounts {
  const d = emptyCounts();
  for (const k of REQUEST_KINDS) {
    d[k] = {
      requests: after[k].requests - before[k].requests,
      bytesIn: after[k].bytesIn - before[k].bytesIn,
      bytesOut: after[k].bytesOut - before[k].bytesOut,
      errors: after[k].errors - before[k].errors,
    };
  }
  return d;
}

/** The billing kind of a request, from its method and URL (path + query). */
export function classifyRequest(method: string, url: string): RequestKind {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  switch (method.toUpperCase()) {
    case 'HEAD':
      return 'HEAD';
    case 'DELETE':
      return 'DELETE';
    case 'PUT':
      return 'PUT';
    case 'POST':
      return query.has('delete') ? 'DELETE' : 'PUT';
    case 'GET': {
      if (query.get('comp') === 'list') return 'LIST';
      if (query.has('list-type') || query.has('uploads')) return 'LIST';
      // Path style: "/bucket" or "/bucket/" with a listing query is ListObjects (V1).
      const segments = path.split('/').filter((s) => s.length > 0);
      if (segments.length <= 1 && (query.has('prefix') || query.has('delimiter') || query.has('marker') || query.has('max-keys'))) return 'LIST';
      return 'GET';
    }
    default:
      return 'GET';
  }
}

export interface CountingProxy {
  /** http://127.0.0.1:<port> — give this to the stores instead of the server's endpoint. */
  readonly endpoint: string;
  counts(): ProxyCounts;
  close(): Promise<void>;
}

/** Starts the proxy on a free local port, forwarding to `target` (e.g. http://127.0.0.1:9000). */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const t = new URL(target);
  if (t.protocol !== 'http:') throw new Error(`counting proxy: only http:// targets are supported, got ${target}`);
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const counts = emptyCounts();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === STATS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(counts));
      return;
    }
    const kind = classifyRequest(req.method ?? 'GET', url);
    const c = counts[kind];
    c.requests++;
    const upstream = httpRequest(
      { host: t.hostname, port: t.port, method: req.method, path: url, headers: req.headers, agent },
      (up) => {
        if ((up.statusCode ?? 500) >= 400) c.errors++;
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
        up.on('data', (chunk: Buffer) => {
          c.bytesOut += chunk.length;
        });
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (e) => {
      c.errors++;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`counting proxy: upstream error: ${e.message}`);
      } else {
        res.destroy();
      }
    });
    req.on('data', (chunk: Buffer) => {
      c.bytesIn += chunk.length;
    });
    req.pipe(upstream);
    res.on('close', () => {
      if (!upstream.writableEnded || !res.writableFinished) upstream.destroy();
    });
  };

  const server: Server = createServer({ keepAlive: true }, handle);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => structuredClone(counts),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/** Reads a running proxy's counters over HTTP (from another process). */
export async function fetchProxyCounts(endpoint: string): Promise<ProxyCounts> {
  const res = await fetch(`${endpoint}${STATS_PATH}`);
  if (!res.ok) throw new Error(`counting proxy stats: HTTP ${res.status}`);
  return (await res.json()) as ProxyCounts;
}
