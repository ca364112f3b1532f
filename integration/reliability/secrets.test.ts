/**
 * No secret in anything the store prints. With real credentials against MinIO and Azurite, this
 * captures every log line (pino at level trace, written to a capture stream), the messages,
 * stacks and full inspection of the errors of failing opens (wrong bucket, wrong access key,
 * wrong secret, unreachable endpoint, wrong account key, bad SAS token), JSON.stringify of the
 * stores' stats(), the verifyStore report, and the CLI's stdout and stderr of `f2kv config check
 * <file>` (TOML and --json) and `f2kv inspect <file>` on TOML files that hold the credentials
 * literally and through ${ENV} references; and asserts that none of the secret strings (access
 * key id, secret access key, account key, connection string, SAS token and its signature, and the
 * wrong secrets tried) appears in any of them.
 *
 * To check another output, add one entry to OUTPUTS: a name and a function that produces the text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';

// Before the first import of the store: every component logger is created at level trace.
process.env['F2KV_LOG_LEVEL'] = 'trace';
const { logger } = await import('../../src/core/logger.js');
const { pino } = await import('pino');
const { F2Kv } = await import('../../src/f2/f2-kv.js');
const { FasterKv } = await import('../../src/hot/faster-kv.js');
const { ColdKv } = await import('../../src/cold/cold-kv.js');
const { openObjectStore } = await import('../../src/devices/open-object-store.js');
const { verifyStore } = await import('../../src/f2/verify-store.js');
const { captureIo } = await import('../../src/cli/io.js');
const { main } = await import('../../src/cli/main.js');
const { freePort } = await import('../servers.js');
const { emptyStore, freshPrefix } = await import('../backends.js');
type OpenObjectStoreOptions = import('../../src/devices/open-object-store.js').OpenObjectStoreOptions;

/** Every log line of every component, at level trace. */
const logLines: string[] = [];
(logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = { write: (line: string) => void logLines.push(line) };

const scratch = mkdtempSync(join(tmpdir(), 'f2kv-secrets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The outputs to check: a name and the text the store produced. Extend this list for new outputs. */
const OUTPUTS: { name: string; text: () => string }[] = [{ name: 'log lines (pino, level trace)', text: () => logLines.join('') }];
const secrets: { name: string; value: string }[] = [];

function addSecret(name: string, value: string | undefined): void {
  if (value !== undefined && value.length >= 8) secrets.push({ name, value });
}

/** The text of an error, as a user or a log would see it: message, stack, causes, inspection. */
function errorText(err: unknown): string {
  const parts: string[] = [inspect(err, { depth: 6 }), JSON.stringify(err, Object.getOwnPropertyNames(err ?? {}))];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(e.message, e.stack ?? '');
  // pino's error serializer, as in `logger.error({ err })`.
  parts.push(JSON.stringify(pino.stdSerializers.err(err as Error)));
  return parts.join('\n');
}

async function failingOpen(name: string, open: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  let err: unknown;
  try {
    const s = await open();
    await s.close();
  } catch (e) {
    err = e;
  }
  expect(err, `${name} must fail`).toBeInstanceOf(Error);
  const text = errorText(err);
  OUTPUTS.push({ name: `error of a failing open: ${name}`, text: () => text });
}

async function workload(kv: { startSession(): { upsert(k: string, v: string): Promise<void>; read(k: string): Promise<Uint8Array | undefined> } }): Promise<void> {
  const s = kv.startSession();
  for (let i = 0; i < 300; i++) await s.upsert(`k${i}`, `v${i}-${'s'.repeat(i % 50)}`);
  for (let i = 0; i < 300; i += 7) expect(new TextDecoder().decode(await s.read(`k${i}`))).toBe(`v${i}-${'s'.repeat(i % 50)}`);
}

/**
 * The [object_store.<scheme>] table of a TOML file: `literal` holds the secrets as strings in the
 * file, `viaEnv` as ${NAME} references to the variables in `env` (set only while the CLI runs).
 */
interface TomlCredentials {
  literal: string;
  viaEnv: string;
  env: Record<string, string>;
}

const tomlString = (v: string): string => JSON.stringify(v);

/** `f2kv config check <file>` (TOML, --json) and `f2kv inspect <file>` on both files; their stdout and stderr go to OUTPUTS. */
async function cliRun(label: string, base: string, hotDir: string, toml: TomlCredentials): Promise<void> {
  for (const [how, table] of [['literal secrets', toml.literal], ['${ENV} references', toml.viaEnv]] as const) {
    const file = join(scratch, `${label}-${how.startsWith('literal') ? 'literal' : 'env'}.toml`);
    writeFileSync(file, [
      '[hot.log]', `device = ${tomlString(pathToFileURL(hotDir).href)}`,
      '[cold]', `url = ${tomlString(`${base}/cold`)}`,
      '[checkpoint]', `url = ${tomlString(`${base}/checkpoints`)}`,
      table, '',
    ].join('\n'));
    const saved = Object.fromEntries(Object.keys(toml.env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, toml.env);
    try {
      for (const argv of [['config', 'check', file], ['config', 'check', '--json', file], ['inspect', file]]) {
        const io = captureIo();
        const code = await main(argv, io);
        const name = `f2kv ${argv.slice(0, -1).join(' ')} <file> on ${label}, ${how}`;
        expect(code, `${name}:\n${io.stdout()}${io.stderr()}`).toBe(0);
        if (argv[0] === 'inspect') expect(io.stdout(), name).toContain('No problems found.');
        else expect(io.stdout(), name).toContain('valid (two tiers: F2Kv)');
        const text = `${io.stdout()}\n${io.stderr()}`;
        OUTPUTS.push({ name, text: () => text });
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }
}

async function f2Run(label: string, base: string, store: OpenObjectStoreOptions, toml?: TomlCredentials): Promise<void> {
  const hotDir = join(scratch, `hot-${label}`);
  const options = {
    hot: { log: { device: pathToFileURL(hotDir).href, memorySize: '32KiB', pageSize: '4KiB' }, index: { buckets: 128 } },
    cold: { url: `${base}/cold`, store, log: { pageSize: '4KiB', memorySize: '16KiB' }, index: { expectedKeys: 1024, chunkSize: '64B', chunkCacheSize: '32KiB' } },
    checkpoint: { url: `${base}/checkpoints`, store },
  };
  const kv = await F2Kv.open({ ...options, recover: false });
  await workload(kv);
  await kv.compactHotLog();
  await kv.checkpoint();
  const stats = JSON.stringify(kv.stats());
  OUTPUTS.push({ name: `F2Kv stats() on ${label}`, text: () => stats });
  await kv.close();
  const reopened = await F2Kv.open({ ...options, recover: true });
  await reopened.close();
  const report = JSON.stringify(await verifyStore({ url: `${base}/checkpoints`, store, cold: { url: `${base}/cold`, store } }));
  OUTPUTS.push({ name: `verifyStore report (f2kv inspect) on ${label}`, text: () => report });
  if (toml !== undefined) await cliRun(label, base, hotDir, toml);

  const hot = await FasterKv.open({ log: { device: pathToFileURL(join(scratch, `faster-${label}`)).href }, checkpoint: { url: `${base}/faster`, store }, recover: false });
  await workload(hot);
  await hot.checkpoint();
  const hotStats = JSON.stringify(hot.stats());
  OUTPUTS.push({ name: `FasterKv stats() on ${label}`, text: () => hotStats });
  await hot.close();
  const cold = await ColdKv.open({ url: `${base}/coldkv`, store, recover: false, index: { expectedKeys: 1024 } });
  await workload(cold);
  await cold.checkpoint();
  const coldStats = JSON.stringify(cold.stats());
  OUTPUTS.push({ name: `ColdKv stats() on ${label}`, text: () => coldStats });
  await cold.close();
  const o = await openObjectStore(base, store);
  await emptyStore(o);
  await o.close();
}

const fast = { timeoutMs: 3000, maxAttempts: 1 } as const;

describe('secrets never appear in logs, errors, stats or inspect output', () => {
  const s3 = inject('s3');
  const az = inject('azure');
  if (!s3.available || !az.available) {
    if (process.env['CI'] === 'true' || process.env['F2KV_ALLOW_MISSING_BACKENDS'] !== '1') throw new Error('secrets test: MinIO and Azurite are required');
    it.skip('backends unavailable', () => undefined);
    return;
  }

  it('MinIO: a run with real credentials, then failing opens', async () => {
    const info = s3.info;
    addSecret('S3 access key id', info.accessKeyId);
    addSecret('S3 secret access key', info.secretAccessKey);
    const good: OpenObjectStoreOptions = { endpoint: info.endpoint, region: info.region, forcePathStyle: true, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey } };
    const s3Table = (id: string, secret: string): string =>
      ['[object_store.s3]', `endpoint = ${tomlString(info.endpoint)}`, `region = ${tomlString(info.region)}`, 'path_style = true', `access_key_id = ${id}`, `secret_access_key = ${secret}`].join('\n');
    await f2Run('minio', `s3://${info.bucket}/${freshPrefix('secrets')}`, good, {
      literal: s3Table(tomlString(info.accessKeyId), tomlString(info.secretAccessKey)),
      viaEnv: s3Table('"${F2KV_SECRETS_TEST_S3_KEY_ID}"', '"${F2KV_SECRETS_TEST_S3_SECRET}"'),
      env: { F2KV_SECRETS_TEST_S3_KEY_ID: info.accessKeyId, F2KV_SECRETS_TEST_S3_SECRET: info.secretAccessKey },
    });
    const wrongSecret = `WRONG${randomBytes(12).toString('hex')}`;
    const wrongKeyId = `AKIAWRONG${randomBytes(6).toString('hex').toUpperCase()}`;
    addSecret('a wrong S3 secret', wrongSecret);
    addSecret('a wrong S3 access key id', wrongKeyId);
    const url = `s3://${info.bucket}/${freshPrefix('secrets-fail')}`;
    await failingOpen('S3 wrong bucket', () => openObjectStore(`s3://no-such-bucket-${randomBytes(4).toString('hex')}/x`, { ...good, ...fast }));
    await failingOpen('S3 wrong secret', () => openObjectStore(url, { ...good, ...fast, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: wrongSecret } }));
    await failingOpen('S3 wrong access key id', () => openObjectStore(url, { ...good, ...fast, credentials: { accessKeyId: wrongKeyId, secretAccessKey: info.secretAccessKey } }));
    const closed = await freePort();
    await failingOpen('S3 unreachable endpoint', () => openObjectStore(url, { ...good, ...fast, endpoint: `http://127.0.0.1:${closed}` }));
    await failingOpen('F2Kv with a wrong S3 secret', () =>
      F2Kv.open({
        hot: { log: { device: pathToFileURL(join(scratch, 'hot-fail')).href } },
        cold: { url: `${url}/cold`, store: { ...good, ...fast, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: wrongSecret } } },
        checkpoint: { url: `${url}/ck`, store: { ...good, ...fast, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: wrongSecret } } },
      }),
    );
  });

  it('Azurite: a run with a connection string and with a SAS token, then failing opens', async () => {
    const info = az.info;
    const { generateAccountSASQueryParameters, AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, StorageSharedKeyCredential } = await import('@azure/storage-blob');
    const sas = generateAccountSASQueryParameters(
      {
        expiresOn: new Date(Date.now() + 3600_000),
        permissions: AccountSASPermissions.parse('rwdlacup'),
        resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
        services: AccountSASServices.parse('b').toString(),
      },
      new StorageSharedKeyCredential(info.accountName, info.accountKey),
    ).toString();
    const signature = new URLSearchParams(sas).get('sig')!;
    addSecret('Azure account key', info.accountKey);
    addSecret('Azure connection string', info.connectionString);
    addSecret('Azure SAS token', sas);
    addSecret('Azure SAS signature', signature);
    addSecret('Azure SAS signature (URL-encoded)', encodeURIComponent(signature));
    await f2Run('azurite', `az://${info.container}/${freshPrefix('secrets')}`, { connectionString: info.connectionString }, {
      literal: `[object_store.az]\nconnection_string = ${tomlString(info.connectionString)}`,
      viaEnv: '[object_store.az]\nconnection_string = "${F2KV_SECRETS_TEST_AZ_CONNECTION}"',
      env: { F2KV_SECRETS_TEST_AZ_CONNECTION: info.connectionString },
    });
    await f2Run('azurite-sas', `az://${info.container}/${freshPrefix('secrets-sas')}`, { accountName: info.accountName, endpoint: info.blobEndpoint, sasToken: sas }, {
      literal: `[object_store.az]\naccount_name = ${tomlString(info.accountName)}\nendpoint = ${tomlString(info.blobEndpoint)}\nsas_token = ${tomlString(sas)}`,
      viaEnv: `[object_store.az]\naccount_name = ${tomlString(info.accountName)}\nendpoint = ${tomlString(info.blobEndpoint)}\nsas_token = "\${F2KV_SECRETS_TEST_AZ_SAS}"`,
      env: { F2KV_SECRETS_TEST_AZ_SAS: sas },
    });
    const wrongKey = randomBytes(32).toString('base64');
    addSecret('a wrong Azure account key', wrongKey);
    const badSas = generateAccountSASQueryParameters(
      { expiresOn: new Date(Date.now() + 3600_000), permissions: AccountSASPermissions.parse('rl'), resourceTypes: 'sco', services: 'b' },
      new StorageSharedKeyCredential(info.accountName, wrongKey),
    ).toString();
    addSecret('a wrong SAS signature', new URLSearchParams(badSas).get('sig')!);
    const url = `az://${info.container}/${freshPrefix('secrets-fail')}`;
    await failingOpen('Azure wrong container', () => openObjectStore(`az://no-such-container-${randomBytes(4).toString('hex')}/x`, { connectionString: info.connectionString, ...fast }));
    await failingOpen('Azure wrong account key', () => openObjectStore(url, { accountName: info.accountName, endpoint: info.blobEndpoint, accountKey: wrongKey, ...fast }));
    await failingOpen('Azure SAS signed with a wrong key', () => openObjectStore(url, { accountName: info.accountName, endpoint: info.blobEndpoint, sasToken: badSas, ...fast }));
    const closed = await freePort();
    const unreachable = info.connectionString.replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, `BlobEndpoint=http://127.0.0.1:${closed}`);
    await failingOpen('Azure unreachable endpoint (connection string)', () => openObjectStore(url, { connectionString: unreachable, ...fast }));
  });

  it('no output contains a secret', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    const leaks: string[] = [];
    let bytes = 0;
    for (const o of OUTPUTS) {
      const text = o.text();
      bytes += text.length;
      for (const s of secrets) if (text.includes(s.value)) leaks.push(`${s.name} appears in ${o.name}`);
    }
    console.log(`[secrets] ${OUTPUTS.length} outputs (${logLines.length} log lines, ${bytes} characters) checked for ${secrets.length} secrets: ${leaks.length} leaks`);
    expect(logLines.length, 'the capture stream received the trace logs').toBeGreaterThan(10);
    expect(logLines.some((l) => l.includes('"level":20') || l.includes('"level":10')), 'debug/trace lines were captured').toBe(true);
    expect(leaks).toEqual([]);
  });
});
