/**
 * Toxiproxy (github.com/Shopify/toxiproxy), a TCP proxy that injects network faults, for the
 * fault tests: the server is built once with `go install` and cached beside MinIO
 * (~/.cache/f2kv/toxiproxy-<version>), started as a local process on a free port, and driven
 * through its HTTP API:
 *   POST   /proxies                          create a proxy (name, listen, upstream)
 *   POST   /proxies/{name}                   update it (enabled: false drops every connection
 *                                            and refuses new ones; true listens again)
 *   POST   /proxies/{name}/toxics            add a toxic (latency, bandwidth, reset_peer,
 *                                            limit_data, timeout, ...) to one direction
 *   DELETE /proxies/{name}/toxics/{toxic}    remove it
 *   DELETE /proxies/{name}                   delete the proxy
 * Directions: `upstream` is client → server (requests), `downstream` server → client (responses).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ensureGoBinary, freePort, goBinaryCacheDir, type Log } from './servers.js';

export const TOXIPROXY_PACKAGE = 'github.com/Shopify/toxiproxy/v2/cmd/server';
export const TOXIPROXY_VERSION = 'v2.5.0';

/** The Toxiproxy server binary, built on first use (about a minute) and cached. */
export function ensureToxiproxyBinary(log: Log): Promise<string> {
  return ensureGoBinary(
    { label: 'Toxiproxy', pkg: TOXIPROXY_PACKAGE, version: TOXIPROXY_VERSION, dir: goBinaryCacheDir(`toxiproxy-${TOXIPROXY_VERSION}`), binary: 'server' },
    log,
  );
}

export type ToxicStream = 'upstream' | 'downstream';

/** The toxics the fault tests use, with their attributes (times in ms, rates in KB/s, sizes in bytes). */
export type ToxicSpec =
  | { type: 'latency'; attributes: { latency: number; jitter: number } }
  | { type: 'bandwidth'; attributes: { rate: number } }
  | { type: 'reset_peer'; attributes: { timeout: number } }
  | { type: 'limit_data'; attributes: { bytes: number } }
  | { type: 'timeout'; attributes: { timeout: number } }
  | { type: 'slow_close'; attributes: { delay: number } };

export interface Toxic {
  name: string;
  stream: ToxicStream;
  /** Probability that the toxic applies to a connection, in [0, 1]. */
  toxicity: number;
  spec: ToxicSpec;
}

/** One proxy: connect to `listen` instead of `upstream`. */
export class ToxiProxy {
  constructor(
    private readonly api: Toxiproxy,
    readonly name: string,
    /** host:port to connect to. */
    readonly listen: string,
    readonly upstream: string,
  ) {}

  /** `http://<listen>`: the endpoint that goes through the proxy. */
  get url(): string {
    return `http://${this.listen}`;
  }

  async addToxic(t: Toxic): Promise<void> {
    await this.api.request('POST', `/proxies/${this.name}/toxics`, { name: t.name, type: t.spec.type, stream: t.stream, toxicity: t.toxicity, attributes: t.spec.attributes });
  }

  async removeToxic(name: string): Promise<void> {
    await this.api.request('DELETE', `/proxies/${this.name}/toxics/${name}`);
  }

  /** Removes every toxic of this proxy. */
  async clearToxics(): Promise<void> {
    const p = (await this.api.request('GET', `/proxies/${this.name}`)) as { toxics?: { name: string }[] };
    for (const t of p.toxics ?? []) await this.removeToxic(t.name);
  }

  /** false: the proxy closes its connections and stops listening (the server "disappears"); true: back. */
  async setEnabled(enabled: boolean): Promise<void> {
    await this.api.request('POST', `/proxies/${this.name}`, { enabled });
  }

  async delete(): Promise<void> {
    await this.api.request('DELETE', `/proxies/${this.name}`);
  }
}

/** A running Toxiproxy server (a child process of this one) and its API. */
export class Toxiproxy {
  private constructor(
    private readonly child: ChildProcess,
    readonly apiUrl: string,
    private readonly output: () => string,
  ) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(log: Log): Promise<Toxiproxy> {
    const binary = await ensureToxiproxyBinary(log);
    const port = await freePort();
    const child = spawn(binary, ['-host', '127.0.0.1', '-port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
    let tail = '';
    const keep = (d: Buffer): void => {
      tail = (tail + d.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const t = new Toxiproxy(child, `http://127.0.0.1:${port}`, () => tail);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Toxiproxy exited with code ${child.exitCode} before it was ready:\n${tail}`);
      try {
        const res = await fetch(`${t.apiUrl}/version`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await t.stop();
        throw new Error(`Toxiproxy not ready after 20 s:\n${tail}`);
      }
      await new Promise<void>((r) => setTimeout(r, 100));
    }
    log(`Toxiproxy ready at ${t.apiUrl} (pid ${child.pid})`);
    return t;
  }

  /** Calls the API; throws with the server's answer on an HTTP error. */
  async request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Toxiproxy ${method} ${path}: HTTP ${res.status} ${text}\n${this.output().slice(-1000)}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  /** A proxy on a free local port in front of `upstream` (host:port). */
  async createProxy(name: string, upstream: string): Promise<ToxiProxy> {
    const listen = `127.0.0.1:${await freePort()}`;
    await this.request('POST', '/proxies', { name, listen, upstream, enabled: true });
    return new ToxiProxy(this, name, listen, upstream);
  }

  /** Stops the server by its PID (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 3000);
    await exited;
    clearTimeout(timer);
  }
}

/** host:port of an http(s) endpoint URL. */
export function hostPort(endpoint: string): string {
  const u = new URL(endpoint);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}
