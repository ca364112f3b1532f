/**
 * The S3 and Azure stores against a scripted local HTTP server: the SDKs' own retries are off,
 * so every retry is the request policy's (counted, backed off), and failures map to typed errors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessDeniedError, AuthenticationError, ObjectStoreError, TransientObjectStoreError } from '../../src/core/errors.js';
import { AzureBlobObjectStore } from '../../src/devices/azure-blob-object-store.js';
import { S3ObjectStore } from '../../src/devices/s3-object-store.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server | undefined;
async function serve(handler: Handler): Promise<{ url: string; count: () => number }> {
  let n = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res, ++n));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, count: () => n };
}
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const SECRET = 'S3CRET-value-never-shown';
const fast = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2000, verify: false };

function s3Error(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} message</Message><RequestId>1</RequestId></Error>`);
}

function s3Store(url: string, extra = {}): S3ObjectStore {
  return new S3ObjectStore({ bucket: 'bkt', endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: SECRET }, ...fast, ...extra });
}

describe('S3ObjectStore request policy (scripted server)', () => {
  it('retries 503 SlowDown and 500 with its own policy only, then succeeds', async () => {
    const srv = await serve((_req, res, n) => {
      if (n === 1) return s3Error(res, 503, 'SlowDown');
      if (n === 2) return s3Error(res, 500, 'InternalError');
      res.writeHead(200, { etag: '"abc"' });
      res.end();
    });
    const store = s3Store(srv.url);
    expect(await store.put('k', new Uint8Array([1, 2, 3]))).toEqual({ etag: '"abc"' });
    expect(srv.count()).toBe(3);
    expect(store.stats().byKind.PUT).toMatchObject({ requests: 3, retries: 2, errors: 0, bytes: 3 });
    await store.close();
  });

  it('gives up after maxAttempts with a transient error naming the bucket and endpoint', async () => {
    const srv = await serve((_req, res) => s3Error(res, 503, 'SlowDown'));
    const store = s3Store(srv.url, { maxAttempts: 4 });
    const err = await store.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientObjectStoreError);
    expect((err as Error).message).toContain(`S3 bucket "bkt" at ${srv.url}`);
    expect(srv.count()).toBe(4);
    await store.close();
  });

  it('times out a request that never answers, and retries it', async () => {
    const srv = await serve((_req, res, n) => {
      if (n === 1) return; // never answers
      res.writeHead(200, { 'content-length': '2' });
      res.end('ok');
    });
    const store = s3Store(srv.url, { timeoutMs: 200 });
    const t0 = performance.now();
    expect(new TextDecoder().decode(await store.get('k'))).toBe('ok');
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(store.stats().byKind.GET).toMatchObject({ requests: 2, retries: 1 });
    await store.close();
  });

  it('maps authentication and permission failures at once, without the secret', async () => {
    const srv = await serve((_req, res, n) => s3Error(res, 403, n === 1 ? 'SignatureDoesNotMatch' : 'AccessDenied'));
    const store = s3Store(srv.url);
    const auth = await store.put('k', new Uint8Array(1)).catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(AuthenticationError);
    expect((auth as Error).message).toContain(srv.url);
    expect(`${(auth as Error).message} ${String((auth as Error).cause)}`).not.toContain(SECRET);
    const denied = await store.put('k', new Uint8Array(1)).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect(srv.count()).toBe(2);
    await store.close();
  });

  it('does not retry a 400', async () => {
    const srv = await serve((_req, res) => s3Error(res, 400, 'InvalidArgument'));
    const store = s3Store(srv.url);
    const err = await store.put('k', new Uint8Array(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as ObjectStoreError).transient).toBe(false);
    expect(srv.count()).toBe(1);
    await store.close();
  });
});

describe('AzureBlobObjectStore request policy (scripted server)', () => {
  const key = Buffer.from(SECRET).toString('base64');
  const open = (url: string, extra = {}) =>
    AzureBlobObjectStore.open({ container: 'ctr', connectionString: `DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=${key};BlobEndpoint=${url}/acct;`, ...fast, ...extra });

  function azError(res: ServerResponse, status: number, code: string): void {
    res.writeHead(status, { 'x-ms-error-code': code, 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code} message</Message></Error>`);
  }

  it('retries 503 ServerBusy with its own policy only, then succeeds', async () => {
    const srv = await serve((_req, res, n) => {
      if (n <= 2) return azError(res, 503, 'ServerBusy');
      res.writeHead(201, { etag: '"0x1"', 'last-modified': new Date().toUTCString() });
      res.end();
    });
    const store = await open(srv.url);
    expect(await store.put('k', new Uint8Array([1]))).toEqual({ etag: '"0x1"' });
    expect(srv.count()).toBe(3);
    expect(store.stats().byKind.PUT).toMatchObject({ requests: 3, retries: 2 });
    await store.close();
  });

  it('maps AuthenticationFailed at once, naming the endpoint, never the key', async () => {
    const srv = await serve((_req, res) => azError(res, 403, 'AuthenticationFailed'));
    const store = await open(srv.url);
    const err = await store.put('k', new Uint8Array(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    const text = `${(err as Error).message} ${String((err as Error).cause)}`;
    expect(text).toContain(`${srv.url}/acct`);
    expect(text).not.toContain(key);
    expect(srv.count()).toBe(1);
    await store.close();
  });
});
