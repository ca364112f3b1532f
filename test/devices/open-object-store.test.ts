import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { LocalFsObjectStore } from '../../src/devices/local-fs-object-store.js';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { openObjectStore, parseObjectStoreUrl } from '../../src/devices/open-object-store.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseObjectStoreUrl', () => {
  it('parses the four schemes', () => {
    expect(parseObjectStoreUrl('memory://')).toEqual({ scheme: 'memory', authority: '', path: '' });
    expect(parseObjectStoreUrl('memory://cold')).toEqual({ scheme: 'memory', authority: 'cold', path: '' });
    expect(parseObjectStoreUrl('file:///var/lib/f2kv/')).toEqual({ scheme: 'file', authority: '', path: '/var/lib/f2kv' });
    expect(parseObjectStoreUrl('s3://my-bucket/a/b/')).toEqual({ scheme: 's3', authority: 'my-bucket', path: 'a/b' });
    expect(parseObjectStoreUrl('s3://my-bucket')).toEqual({ scheme: 's3', authority: 'my-bucket', path: '' });
    expect(parseObjectStoreUrl('az://container-1/pre/fix')).toEqual({ scheme: 'az', authority: 'container-1', path: 'pre/fix' });
  });

  it('names the wrong part of a malformed URL', () => {
    expect(configError(() => parseObjectStoreUrl('')).message).toMatch(/expected a URL/);
    expect(configError(() => parseObjectStoreUrl('gs://bucket')).message).toMatch(/unsupported scheme "gs"/);
    expect(configError(() => parseObjectStoreUrl('/just/a/path')).message).toMatch(/scheme is missing/);
    expect(configError(() => parseObjectStoreUrl('s3:bucket')).message).toMatch(/expected "s3:\/\/"/);
    expect(configError(() => parseObjectStoreUrl('s3://')).message).toMatch(/bucket is missing/);
    expect(configError(() => parseObjectStoreUrl('s3://Bad_Bucket/x')).message).toMatch(/bucket "Bad_Bucket" is not a valid/);
    expect(configError(() => parseObjectStoreUrl('s3://bucket/../x')).message).toMatch(/prefix/);
    expect(configError(() => parseObjectStoreUrl('az://')).message).toMatch(/container is missing/);
    expect(configError(() => parseObjectStoreUrl('az://UPPER')).message).toMatch(/container "UPPER"/);
    expect(configError(() => parseObjectStoreUrl('file://host/dir')).message).toMatch(/absolute path/);
    expect(configError(() => parseObjectStoreUrl('file:///')).message).toMatch(/absolute directory/);
    expect(configError(() => parseObjectStoreUrl('s3://bucket/x?sig=SECRET')).message).not.toContain('SECRET');
    const withCreds = configError(() => parseObjectStoreUrl('s3://AKIA:hunter2@bucket/x'));
    expect(withCreds.message).toMatch(/credentials do not belong in the URL/);
    expect(withCreds.message).not.toContain('hunter2');
    expect(withCreds.option).toBe('url');
  });
});

describe('openObjectStore', () => {
  it('opens memory and file stores', async () => {
    expect(await openObjectStore('memory://')).toBeInstanceOf(MemoryObjectStore);
    const dir = await mkdtemp(join(tmpdir(), 'f2kv-open-'));
    try {
      const s = await openObjectStore(`file://${dir}`);
      expect(s).toBeInstanceOf(LocalFsObjectStore);
      expect(s.url).toBe(`file://${dir}`);
      await expect(openObjectStore(`file://${dir}/missing`)).rejects.toThrow(/does not exist/);
      expect(await openObjectStore(`file://${dir}/created`, { createIfMissing: true })).toBeInstanceOf(LocalFsObjectStore);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects an S3 endpoint that is not a URL, without echoing secrets', async () => {
    const err = await openObjectStore('s3://bucket/x', { endpoint: 'not a url', credentials: { accessKeyId: 'AK', secretAccessKey: 'TOPSECRET' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain('TOPSECRET');
  });

  it('asks for an account when Azure has neither credentials nor endpoint', async () => {
    const saved = { ...process.env };
    for (const k of ['AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_ACCOUNT', 'AZURE_STORAGE_KEY', 'AZURE_STORAGE_SAS_TOKEN']) delete process.env[k];
    try {
      await expect(openObjectStore('az://container/x', { verify: false })).rejects.toThrow(/accountName/);
    } finally {
      process.env = saved;
    }
  });
});
