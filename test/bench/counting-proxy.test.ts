import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyRequest, fetchProxyCounts, startCountingProxy, type CountingProxy } from '../../bench/lib/counting-proxy.js';

describe('counting proxy: request classification', () => {
  it('classifies S3 and Azure requests into billing kinds', () => {
    expect(classifyRequest('GET', '/bucket/key')).toBe('GET');
    expect(classifyRequest('GET', '/bucket/dir/key?x-id=GetObject')).toBe('GET');
    expect(classifyRequest('GET', '/bucket?list-type=2&prefix=a%2F')).toBe('LIST');
    expect(classifyRequest('GET', '/bucket/?prefix=a&delimiter=%2F')).toBe('LIST');
    expect(classifyRequest('GET', '/account/container?restype=container&comp=list&prefix=p')).toBe('LIST');
    expect(classifyRequest('PUT', '/bucket/key')).toBe('PUT');
    expect(classifyRequest('PUT', '/bucket/key?partNumber=2&uploadId=u')).toBe('PUT');
    expect(classifyRequest('POST', '/bucket/key?uploads')).toBe('PUT');
    expect(classifyRequest('POST', '/bucket/key?uploadId=u')).toBe('PUT');
    expect(classifyRequest('POST', '/bucket?delete')).toBe('DELETE');
    expect(classifyRequest('DELETE', '/bucket/key')).toBe('DELETE');
    expect(classifyRequest('HEAD', '/bucket/key')).toBe('HEAD');
    expect(classifyRequest('PUT', '/account/container/blob?comp=block&blockid=AA')).toBe('PUT');
  });
});

describe('counting proxy: forwarding and counting', () => {
  let upstream: Server;
  let proxy: CountingProxy;
  const seenHosts: string[] = [];

  beforeAll(async () => {
    // A tiny HTTP server standing in for the object store: echoes request bodies, answers GETs with 1,000 bytes.
    upstream = createServer((req, res) => {
      seenHosts.push(req.headers.host ?? '');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'GET') res.end(Buffer.alloc(1000, 7));
        else if (req.method === 'HEAD') res.end();
        else if (req.url?.includes('missing')) {
          res.statusCode = 404;
          res.end('no');
        } else res.end(`got ${Buffer.concat(chunks).length}`);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    proxy = await startCountingProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  it('forwards requests with their Host header and counts requests and bytes by kind', async () => {
    const get = await fetch(`${proxy.endpoint}/b/k`);
    expect((await get.arrayBuffer()).byteLength).toBe(1000);
    const put = await fetch(`${proxy.endpoint}/b/k`, { method: 'PUT', body: new Uint8Array(300) });
    expect(await put.text()).toBe('got 300');
    await fetch(`${proxy.endpoint}/b?list-type=2`);
    await fetch(`${proxy.endpoint}/b/k`, { method: 'HEAD' });
    const missing = await fetch(`${proxy.endpoint}/b/missing`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    await missing.text();
    const c = await fetchProxyCounts(proxy.endpoint);
    expect(c.GET).toEqual({ requests: 1, bytesIn: 0, bytesOut: 1000, errors: 0 });
    expect(c.PUT.requests).toBe(1);
    expect(c.PUT.bytesIn).toBe(300);
    expect(c.LIST.requests).toBe(1);
    expect(c.LIST.bytesOut).toBe(1000);
    expect(c.HEAD.requests).toBe(1);
    expect(c.DELETE).toMatchObject({ requests: 1, errors: 1 });
    expect(proxy.counts()).toEqual(c);
    // The Host header reaches the server as the client sent it (S3 SigV4 signs it).
    expect(seenHosts.every((h) => h === new URL(proxy.endpoint).host)).toBe(true);
  });
});
