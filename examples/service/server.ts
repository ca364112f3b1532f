/**
 * An example HTTP service embedding f2kv (fastify): the store comes from a TOML file.
 *
 *   GET    /kv/:key   the value (application/octet-stream), 404 when absent
 *   PUT    /kv/:key   stores the request body, 204
 *   DELETE /kv/:key   204
 *   GET    /metrics   Prometheus metrics (registerMetrics)
 *   GET    /healthz   200 while serving, 503 once shutting down or fenced by another writer
 *
 * Run: `node .cache/f2kv-service/examples/service/server.js <config.toml> [--port N] [--host H]`
 * (compiled by `npx tsc -p examples/service/tsconfig.json`). It prints one JSON line on stdout
 * when it listens ({"listening":"http://127.0.0.1:PORT"}). On SIGTERM or SIGINT it stops taking
 * requests, waits for those in flight, takes a final checkpoint, closes the store and exits 0.
 * With `[checkpoint] interval` in the file it also checkpoints periodically.
 *
 * Outside this repository, import from 'f2kv' instead of '../../src/index.js'.
 */
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { loadConfig, openStore, registerMetrics, type F2Kv, type FasterKv } from '../../src/index.js';

interface ServiceArgs {
  config: string;
  port: number;
  host: string;
}

function parseArgs(argv: string[]): ServiceArgs {
  let config: string | undefined = process.env['F2KV_CONFIG'];
  let port = Number(process.env['PORT'] ?? 8080);
  let host = '127.0.0.1';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--port') port = Number(argv[++i]);
    else if (a === '--host') host = argv[++i] ?? host;
    else config = a;
  }
  if (config === undefined) throw new Error('usage: server.js <config.toml> [--port N] [--host H] (or set F2KV_CONFIG)');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port, got ${String(port)}`);
  return { config, port, host };
}

const SESSION_ID = 'service';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = await loadConfig(args.config); // a bad file fails here, before anything is opened
  const store: F2Kv | FasterKv = await openStore(config);
  const session = store.continueSession(SESSION_ID);
  const registry = new Registry();
  registerMetrics(store, registry, { prefix: config.metrics.prefix });

  let shuttingDown = false;
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  // Values are bytes: take every request body as a Buffer, whatever its content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get<{ Params: { key: string } }>('/kv/:key', async (req, reply) => {
    const value = await session.read(req.params.key);
    if (value === undefined) return reply.code(404).send({ error: 'not found', key: req.params.key });
    return reply.type('application/octet-stream').send(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  });
  app.put<{ Params: { key: string }; Body: Buffer | undefined }>('/kv/:key', async (req, reply) => {
    const body = req.body ?? Buffer.alloc(0);
    await session.upsert(req.params.key, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    return reply.code(204).send();
  });
  app.delete<{ Params: { key: string } }>('/kv/:key', async (req, reply) => {
    await session.delete(req.params.key);
    return reply.code(204).send();
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/healthz', async (_req, reply) => {
    const fenced = 'isFenced' in store ? store.isFenced : false;
    if (shuttingDown || fenced) return reply.code(503).send({ status: shuttingDown ? 'shutting down' : 'fenced' });
    return { status: 'ok' };
  });

  let timer: NodeJS.Timeout | undefined;
  if (config.checkpointIntervalMs !== undefined) {
    timer = setInterval(() => {
      store.checkpoint().catch((err: unknown) => process.stderr.write(`periodic checkpoint failed: ${String(err)}\n`));
    }, config.checkpointIntervalMs);
    timer.unref();
  }

  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    if (timer !== undefined) clearInterval(timer);
    process.stderr.write(`${signal}: stopping\n`);
    try {
      await app.close(); // stops listening and waits for requests in flight
      const token = await store.checkpoint();
      process.stderr.write(`final checkpoint ${token}\n`);
      session.end();
      await store.close();
      process.exit(0);
    } catch (err) {
      process.stderr.write(`shutdown failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  const address = await app.listen({ port: args.port, host: args.host });
  process.stdout.write(`${JSON.stringify({ listening: address })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`f2kv service: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
