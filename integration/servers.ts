/**
 * Starts the object-storage servers the integration tests and the benchmark run against:
 * Azurite (from its npm package) and MinIO (built once with `go install`, cached), as local
 * processes on free ports with throwaway credentials; or containers through testcontainers when
 * a container runtime answers. Used by integration/global-setup.ts and bench/objectstore.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, unlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MINIO_MODULE = 'github.com/minio/minio';
/** RELEASE.2025-10-15T17-29-55Z is refused by the Go module proxy; this pseudo-version builds. */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
export const AZURITE_IMAGE = process.env['F2KV_TEST_AZURITE_IMAGE'] ?? 'mcr.microsoft.com/azure-storage/azurite:3.35.0';
export const MINIO_IMAGE = process.env['F2KV_TEST_MINIO_IMAGE'] ?? 'minio/minio:latest';

/** The package root: the nearest ancestor with node_modules/azurite (also from dist/integration). */
const repo = ((): string => {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'node_modules', 'azurite'))) return d;
    d = resolve(d, '..');
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
})();

/** Connection details of an S3-compatible server (serializable: passed to tests with provide()). */
export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** Where it came from: env, container or process. */
  source: string;
}

export interface AzureEndpoint {
  connectionString: string;
  accountName: string;
  accountKey: string;
  blobEndpoint: string;
  container: string;
  source: string;
}

export interface Running<T> {
  info: T;
  stop(): Promise<void>;
}

export type Log = (line: string) => void;

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitForHttp(url: string, ok: (status: number) => boolean, timeoutMs: number, child?: ChildProcess, what = url): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (ok(res.status)) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(200);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms (${last})`);
}

/** Stops a child process by its PID: SIGTERM, then SIGKILL after a grace period. */
async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

function captureOutput(child: ChildProcess): () => string {
  let tail = '';
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

// ---------------------------------------------------------------------------------------------
// Azurite

const AZURITE_MAIN = join(repo, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');

function azureConnectionString(accountName: string, accountKey: string, blobEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${accountName};AccountKey=${accountKey};BlobEndpoint=${blobEndpoint};`;
}

async function createContainer(info: AzureEndpoint): Promise<void> {
  const { BlobServiceClient } = await import('@azure/storage-blob');
  await BlobServiceClient.fromConnectionString(info.connectionString).getContainerClient(info.container).createIfNotExists();
}

/** Azurite as a local Node process with a throwaway account (AZURITE_ACCOUNTS). */
export async function startAzuriteProcess(log: Log, container = 'f2kv-test'): Promise<Running<AzureEndpoint>> {
  if (!existsSync(AZURITE_MAIN)) throw new Error(`Azurite is not installed (${AZURITE_MAIN} missing); run npm ci`);
  const port = await freePort();
  const location = await mkdtemp(join(tmpdir(), 'f2kv-azurite-'));
  const accountName = `f2kv${randomBytes(4).toString('hex')}`;
  const accountKey = randomBytes(32).toString('base64');
  const child = spawn(
    process.execPath,
    [AZURITE_MAIN, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location, '--disableTelemetry', '--skipApiVersionCheck', '--loose', '--silent'],
    { env: { ...process.env, AZURITE_ACCOUNTS: `${accountName}:${accountKey}` }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = captureOutput(child);
  const stop = async () => {
    await stopProcess(child);
    await rm(location, { recursive: true, force: true });
  };
  try {
    const blobEndpoint = `http://127.0.0.1:${port}/${accountName}`;
    await waitForHttp(`http://127.0.0.1:${port}/`, () => true, 30_000, child, 'Azurite');
    const info: AzureEndpoint = { connectionString: azureConnectionString(accountName, accountKey, blobEndpoint), accountName, accountKey, blobEndpoint, container, source: `Azurite process pid ${child.pid}` };
    await createContainer(info);
    log(`Azurite ready at ${blobEndpoint} (pid ${child.pid})`);
    return { info, stop };
  } catch (e) {
    await stop();
    throw new Error(`could not start Azurite: ${e instanceof Error ? e.message : String(e)}\n${output()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// MinIO

export function minioCacheDir(): string {
  return goBinaryCacheDir(`minio-${MINIO_VERSION}`);
}

/** Where a Go tool built by the harness is cached: ~/.cache/f2kv/<name> (or under XDG_CACHE_HOME). */
export function goBinaryCacheDir(name: string): string {
  return join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'f2kv', name);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A Go program the harness builds once with `go install` and caches. */
export interface GoTool {
  /** What the log says ("MinIO", "Toxiproxy"). */
  label: string;
  /** The package to install, e.g. github.com/minio/minio. */
  pkg: string;
  version: string;
  /** The cache directory (GOBIN of the build). */
  dir: string;
  /** The binary go install produces: the last path element of pkg. */
  binary: string;
}

/**
 * The binary of a Go tool, built with `go install` into its cache directory when absent. A lock
 * file keeps two runs from building at once; a run that finds a live build waits for it.
 */
export async function ensureGoBinary(tool: GoTool, log: Log): Promise<string> {
  const dir = tool.dir;
  const binary = join(dir, tool.binary);
  const lock = join(dir, '.build.lock');
  await mkdir(dir, { recursive: true });
  for (;;) {
    let lockOwner: number | undefined;
    try {
      lockOwner = Number((await readFile(lock, 'utf8')).trim());
    } catch {
      lockOwner = undefined;
    }
    if (lockOwner !== undefined && pidAlive(lockOwner)) {
      log(`waiting for the ${tool.label} build of process ${lockOwner} (${lock})`);
      await sleep(5000);
      continue;
    }
    if (existsSync(binary) && (await stat(binary)).size > 0 && lockOwner === undefined) return binary;
    if (lockOwner !== undefined) await unlink(lock).catch(() => undefined); // stale lock of a dead build
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
    } catch {
      continue; // someone else took the lock first
    }
    break;
  }
  try {
    await rm(binary, { force: true });
    log(`building ${tool.label} ${tool.version} with go install into ${dir} (first run only)...`);
    await new Promise<void>((resolveBuild, reject) => {
      const child = spawn('go', ['install', `${tool.pkg}@${tool.version}`], {
        env: { ...process.env, GOBIN: dir, GOFLAGS: process.env['GOFLAGS'] ?? '-trimpath' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const started = Date.now();
      const ticker = setInterval(() => log(`  ... still building ${tool.label} (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
      child.stderr.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (line.trim()) log(`  go: ${line.trim()}`);
      });
      child.on('error', (e) => {
        clearInterval(ticker);
        reject(new Error(`cannot run go (${e.message}); install Go ≥ 1.24 to build the ${tool.label} test server`));
      });
      child.on('exit', (code) => {
        clearInterval(ticker);
        if (code === 0) resolveBuild();
        else reject(new Error(`go install ${tool.pkg}@${tool.version} failed with exit code ${code}`));
      });
    });
    if (!existsSync(binary)) throw new Error(`go install finished but ${binary} is missing`);
    log(`${tool.label} built: ${binary}`);
    return binary;
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** The MinIO binary, built with `go install` into the cache directory when absent (several minutes). */
export function ensureMinioBinary(log: Log): Promise<string> {
  return ensureGoBinary({ label: 'MinIO', pkg: MINIO_MODULE, version: MINIO_VERSION, dir: minioCacheDir(), binary: 'minio' }, log);
}

async function createBucket(info: S3Endpoint): Promise<void> {
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: info.bucket }));
  } catch (e) {
    if (!(e instanceof Error && /BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(e.name))) throw e;
  } finally {
    client.destroy();
  }
}

/** MinIO as a local process (the cached binary) with throwaway root credentials. */
export async function startMinioProcess(log: Log, bucket = 'f2kv-test'): Promise<Running<S3Endpoint>> {
  const binary = await ensureMinioBinary(log);
  const port = await freePort();
  const consolePort = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'f2kv-minio-'));
  const accessKeyId = `f2kv${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const child = spawn(binary, ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
    env: { ...process.env, MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const stop = async () => {
    await stopProcess(child);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const endpoint = `http://127.0.0.1:${port}`;
    await waitForHttp(`${endpoint}/minio/health/live`, (s) => s === 200, 60_000, child, 'MinIO');
    const info: S3Endpoint = { endpoint, region: 'us-east-1', accessKeyId, secretAccessKey, bucket, source: `MinIO process pid ${child.pid}` };
    await createBucket(info);
    log(`MinIO ready at ${endpoint} (pid ${child.pid})`);
    return { info, stop };
  } catch (e) {
    await stop();
    throw new Error(`could not start MinIO: ${e instanceof Error ? e.message : String(e)}\n${output()}`);
  }
}

/**
 * A MinIO process on a data directory and port of the caller's choosing that a test can kill
 * (SIGKILL, by PID) and start again on the same directory and port: a server crash and restart.
 * Not shared: each test that crashes a server starts its own and stops it at the end.
 */
export class RestartableMinio {
  private child: ChildProcess | undefined;
  private output: () => string = () => '';
  /** Starts of the process (1 after start(), +1 per restart). */
  starts = 0;

  private constructor(
    private readonly binary: string,
    readonly info: S3Endpoint,
    readonly dataDir: string,
    private readonly port: number,
    private readonly consolePort: number,
    private readonly ownsDataDir: boolean,
    private readonly log: Log,
  ) {}

  /** Starts MinIO on `dataDir` (default: a new temporary directory, deleted by stop()) and creates the bucket. */
  static async start(log: Log, o: { dataDir?: string; port?: number; bucket?: string } = {}): Promise<RestartableMinio> {
    const binary = await ensureMinioBinary(log);
    const dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), 'f2kv-minio-restartable-')));
    const port = o.port ?? (await freePort());
    const consolePort = await freePort();
    const info: S3Endpoint = {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      accessKeyId: `f2kv${randomBytes(6).toString('hex')}`,
      secretAccessKey: randomBytes(24).toString('base64url'),
      bucket: o.bucket ?? 'f2kv-restart',
      source: 'restartable MinIO process',
    };
    const m = new RestartableMinio(binary, info, dataDir, port, consolePort, o.dataDir === undefined, log);
    try {
      await m.restart();
      await createBucket(info);
    } catch (e) {
      await m.stop();
      throw e;
    }
    return m;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process (again) on the same data directory and port; resolves once it is healthy. */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`MinIO pid ${this.pid} is still running; kill() it first`);
    const child = spawn(this.binary, ['server', this.dataDir, '--address', `127.0.0.1:${this.port}`, '--console-address', `127.0.0.1:${this.consolePort}`, '--quiet'], {
      env: { ...process.env, MINIO_ROOT_USER: this.info.accessKeyId, MINIO_ROOT_PASSWORD: this.info.secretAccessKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.output = captureOutput(child);
    this.starts++;
    try {
      await waitForHttp(`${this.info.endpoint}/minio/health/live`, (s) => s === 200, 60_000, child, 'MinIO');
    } catch (e) {
      await stopProcess(child);
      throw new Error(`could not (re)start MinIO on ${this.dataDir}: ${e instanceof Error ? e.message : String(e)}\n${this.output()}`);
    }
    this.log(`MinIO up at ${this.info.endpoint} on ${this.dataDir} (pid ${child.pid}, start ${this.starts})`);
  }

  /** Kills the process with SIGKILL (by its PID) and waits until it has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, 'SIGKILL');
    await exited;
    this.log(`MinIO pid ${child.pid} killed (SIGKILL)`);
  }

  /** Stops the process (SIGTERM, then SIGKILL) and deletes the data directory if start() created it. */
  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child);
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Containers

/** True when a container runtime is likely to answer (checked cheaply before testcontainers). */
export function containerRuntimeLikely(): boolean {
  if (process.env['F2KV_TEST_CONTAINERS'] === '0') return false;
  if (process.env['DOCKER_HOST']) return true;
  const sockets = ['/var/run/docker.sock', join(homedir(), '.docker/run/docker.sock'), join(process.env['XDG_RUNTIME_DIR'] ?? '/nonexistent', 'podman/podman.sock')];
  return sockets.some((s) => existsSync(s));
}

export async function startAzuriteContainer(log: Log, container = 'f2kv-test'): Promise<Running<AzureEndpoint>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const accountName = `f2kv${randomBytes(4).toString('hex')}`;
  const accountKey = randomBytes(32).toString('base64');
  const c = await new GenericContainer(AZURITE_IMAGE)
    .withCommand(['azurite-blob', '--blobHost', '0.0.0.0', '--skipApiVersionCheck', '--loose', '--disableTelemetry'])
    .withEnvironment({ AZURITE_ACCOUNTS: `${accountName}:${accountKey}` })
    .withExposedPorts(10000)
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(120_000)
    .start();
  const blobEndpoint = `http://${c.getHost()}:${c.getMappedPort(10000)}/${accountName}`;
  const info: AzureEndpoint = { connectionString: azureConnectionString(accountName, accountKey, blobEndpoint), accountName, accountKey, blobEndpoint, container, source: 'Azurite container' };
  await createContainer(info);
  log(`Azurite container ready at ${blobEndpoint}`);
  return { info, stop: async () => void (await c.stop()) };
}

export async function startMinioContainer(log: Log, bucket = 'f2kv-test'): Promise<Running<S3Endpoint>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const accessKeyId = `f2kv${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const c = await new GenericContainer(MINIO_IMAGE)
    .withCommand(['server', '/data'])
    .withEnvironment({ MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey })
    .withExposedPorts(9000)
    .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000))
    .withStartupTimeout(120_000)
    .start();
  const info: S3Endpoint = { endpoint: `http://${c.getHost()}:${c.getMappedPort(9000)}`, region: 'us-east-1', accessKeyId, secretAccessKey, bucket, source: 'MinIO container' };
  await createBucket(info);
  log(`MinIO container ready at ${info.endpoint}`);
  return { info, stop: async () => void (await c.stop()) };
}

// ---------------------------------------------------------------------------------------------
// Selection: environment, then containers, then local processes

export function s3FromEnv(): S3Endpoint | undefined {
  const env = process.env;
  const endpoint = env['F2KV_TEST_S3_ENDPOINT'];
  if (!endpoint) return undefined;
  const accessKeyId = env['F2KV_TEST_S3_ACCESS_KEY_ID'] ?? env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['F2KV_TEST_S3_SECRET_ACCESS_KEY'] ?? env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) throw new Error('F2KV_TEST_S3_ENDPOINT is set but F2KV_TEST_S3_ACCESS_KEY_ID / F2KV_TEST_S3_SECRET_ACCESS_KEY are not');
  return { endpoint, region: env['F2KV_TEST_S3_REGION'] ?? env['AWS_REGION'] ?? 'us-east-1', accessKeyId, secretAccessKey, bucket: env['F2KV_TEST_S3_BUCKET'] ?? 'f2kv-test', source: 'environment' };
}

export function azureFromEnv(): AzureEndpoint | undefined {
  const cs = process.env['F2KV_TEST_AZURE_CONNECTION_STRING'];
  if (!cs) return undefined;
  const field = (k: string) => new RegExp(`(?:^|;)${k}=([^;]*)`, 'i').exec(cs)?.[1] ?? '';
  const accountName = field('AccountName');
  const blobEndpoint = field('BlobEndpoint') || `https://${accountName}.blob.${field('EndpointSuffix') || 'core.windows.net'}`;
  return { connectionString: cs, accountName, accountKey: field('AccountKey'), blobEndpoint, container: process.env['F2KV_TEST_AZURE_CONTAINER'] ?? 'f2kv-test', source: 'environment' };
}

async function pick<T>(kind: string, fromEnv: () => T | undefined, container: (log: Log) => Promise<Running<T>>, proc: (log: Log) => Promise<Running<T>>, log: Log): Promise<Running<T>> {
  const env = fromEnv();
  if (env) {
    log(`${kind}: using the endpoint from the environment`);
    return { info: env, stop: async () => undefined };
  }
  if (containerRuntimeLikely()) {
    try {
      return await container(log);
    } catch (e) {
      log(`${kind}: container runtime did not start it (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); falling back to a local process`);
    }
  } else {
    log(`${kind}: no container runtime found; starting a local process`);
  }
  return proc(log);
}

export function startS3(log: Log): Promise<Running<S3Endpoint>> {
  return pick('S3 (MinIO)', s3FromEnv, startMinioContainer, startMinioProcess, log);
}

export function startAzure(log: Log): Promise<Running<AzureEndpoint>> {
  return pick('Azure Blob (Azurite)', azureFromEnv, startAzuriteContainer, startAzuriteProcess, log);
}
