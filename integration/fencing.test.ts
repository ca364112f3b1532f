/**
 * Fencing on MinIO (issue 14, item 2): a second instance opened on the same checkpoint prefix
 * claims it, and the first stops writing at once:
 *
 * - in one process, FasterKv and F2Kv: the first instance's background claim check fences it
 *   within its interval; every write then fails with FencedError (sync and async), reads go on,
 *   and close() publishes nothing (the bucket's objects are the same before and after);
 * - across two processes: a child (integration/fencing-child.ts, compiled here) writes and
 *   checkpoints, the parent opens the same prefix, and the child's next writes fail with
 *   FencedError within the check interval; the child closes cleanly and nothing it did after the
 *   fence exists in the bucket.
 *
 * Each test prints the measured time from the claim to the fence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { F2Kv, FasterKv, FencedError } from '../src/index.js';
import { openObjectStore, type OpenObjectStoreOptions } from '../src/devices/open-object-store.js';
import { REPO_ROOT } from '../test/crash/build-worker.js';
import { expectWritesFenced, readText, until } from '../test/helpers/fencing.js';
import { emptyStore, freshPrefix, minioStoreOptions, withBackend } from './backends.js';
import type { ChildConfig, ChildResult } from './fencing-child.js';

/** The background check's period in these tests. */
const CHECK_MS = 250;
/** Slack for the shared, loaded test machine on top of one interval (a LIST round trip, timers). */
const SLACK_MS = 2000;

const CHILD_OUT = join(REPO_ROOT, '.cache', 'f2kv-fence-child');
const CHILD_JS = join(CHILD_OUT, 'integration', 'fencing-child.js');

/** Compiles the child program with the project's TypeScript (incremental). */
async function buildChild(): Promise<string> {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', join(REPO_ROOT, 'integration', 'fencing-child.tsconfig.json')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`building the fencing child failed (tsc exit ${code}):\n${text}`))));
  });
  if (!existsSync(CHILD_JS)) throw new Error(`tsc succeeded but ${CHILD_JS} is missing:\n${out}`);
  return CHILD_JS;
}

async function listAll(url: string, store: OpenObjectStoreOptions): Promise<string[]> {
  const o = await openObjectStore(url, store);
  try {
    return (await o.list('')).sort();
  } finally {
    await o.close();
  }
}

withBackend('s3', 'fencing on MinIO', (s3) => {
  const store = minioStoreOptions(s3, { timeoutMs: 20_000 });
  const prefixes: string[] = [];
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'f2kv-fence-it-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    for (const p of prefixes) {
      const o = await openObjectStore(`s3://${s3.bucket}/${p}`, store);
      await emptyStore(o);
      await o.close();
    }
  });
  const prefixUrl = (label: string): string => {
    const p = freshPrefix(label);
    prefixes.push(p);
    return `s3://${s3.bucket}/${p}`;
  };
  const logOf = (who: string): string => pathToFileURL(join(dir, `${who}-${Math.random().toString(36).slice(2, 8)}`)).href;

  it('FasterKv, two instances in one process: the background check fences the first within its interval', async () => {
    const url = prefixUrl('fence-hot');
    const options = (who: string, fenceCheckIntervalMs: number) => ({
      index: { buckets: 1024 },
      log: { device: logOf(who), pageSize: '64KiB', memorySize: '1MiB' },
      checkpoint: { url, store, fenceCheckIntervalMs },
    });
    const a = await FasterKv.open(options('a', CHECK_MS));
    const s = a.startSession('app');
    for (let i = 0; i < 500; i++) await s.upsert(`k${i}`, `v${i}`);
    await a.checkpoint();
    await s.upsert('late', 'not checkpointed');

    const claimedAt = performance.now();
    const b = await FasterKv.open(options('b', 0));
    const afterClaim = await listAll(url, store);
    await until(() => a.isFenced, CHECK_MS + SLACK_MS, 'the first instance to be fenced');
    const ms = performance.now() - claimedAt;
    process.stdout.write(`[fencing] FasterKv in one process: fenced ${ms.toFixed(0)} ms after the second open (check every ${CHECK_MS} ms)\n`);
    await expectWritesFenced(s, 'k1');
    await expect(a.checkpoint()).rejects.toThrow(FencedError);
    expect(await readText(s, 'k1')).toBe('v1');
    expect(await readText(s, 'late')).toBe('not checkpointed');
    await a.close();
    expect(await listAll(url, store)).toEqual(afterClaim);

    const t = b.continueSession('app');
    expect(await readText(t, 'k499')).toBe('v499');
    expect(await t.read('late')).toBeUndefined();
    await b.close();
  });

  it('F2Kv, two instances in one process: the first is fenced in both tiers and publishes nothing more', async () => {
    const base = prefixUrl('fence-f2');
    const options = (who: string, fenceCheckIntervalMs: number) => ({
      hot: { index: { buckets: 1024 }, log: { device: logOf(who), pageSize: '16KiB', memorySize: '256KiB' } },
      cold: { url: `${base}/cold`, store, index: { expectedKeys: 4096, chunkSize: '64B', chunkCacheSize: '64KiB' }, log: { pageSize: '16KiB', memorySize: '64KiB' } },
      compaction: { hotToCold: { enabled: false } },
      checkpoint: { url: `${base}/ck`, store, fenceCheckIntervalMs },
    });
    const a = await F2Kv.open(options('a', CHECK_MS));
    const s = a.startSession('app');
    for (let i = 0; i < 400; i++) await s.upsert(`k${i}`, `v${i}`);
    await a.compactHotLog();
    expect(a.stats().hotToCold.recordsMoved).toBeGreaterThan(0);
    await a.checkpoint();

    const claimedAt = performance.now();
    const b = await F2Kv.open(options('b', 0));
    const afterClaim = await listAll(base, store);
    await until(() => a.isFenced, CHECK_MS + SLACK_MS, 'the first F2 instance to be fenced');
    const ms = performance.now() - claimedAt;
    process.stdout.write(`[fencing] F2Kv in one process: fenced ${ms.toFixed(0)} ms after the second open (check every ${CHECK_MS} ms)\n`);
    expect(a.hot.isFenced && a.cold.isFenced).toBe(true);
    await expectWritesFenced(s, 'k1');
    await expect(a.compactHotLog()).rejects.toThrow(FencedError);
    await expect(a.checkpoint()).rejects.toThrow(FencedError);
    expect(await readText(s, 'k7')).toBe('v7'); // from the cold tier
    await a.close();
    expect(await listAll(base, store)).toEqual(afterClaim);
    expect(await readText(b.startSession(), 'k7')).toBe('v7');
    await b.close();
  });

  it('FasterKv, two processes: the child is fenced within the check interval and leaves nothing after the fence', async () => {
    const childJs = await buildChild();
    const url = prefixUrl('fence-2proc');
    const config: ChildConfig = { logUrl: logOf('child'), checkpointUrl: url, store, fenceCheckIntervalMs: CHECK_MS, deadlineMs: 60_000 };
    const child: ChildProcess = spawn(process.execPath, [childJs], {
      env: { ...process.env, F2KV_FENCE_CHILD: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => /^READY /m.test(stdout) || child.exitCode !== null, 60_000, 'the child to checkpoint');
      expect(stdout, stderr).toMatch(/^READY /m);
      const claimedAt = Date.now();
      const b = await FasterKv.open({
        index: { buckets: 1024 },
        log: { device: logOf('parent'), pageSize: '64KiB', memorySize: '1MiB' },
        checkpoint: { url, store, fenceCheckIntervalMs: 0 },
      });
      // From here on only the child could add objects: none may appear.
      const afterClaim = await listAll(url, store);
      const code = await exited;
      expect(code, `child exit code; stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
      expect(stdout).toMatch(/^CLOSED$/m);
      const result = JSON.parse(/^RESULT (.*)$/m.exec(stdout)![1]!) as ChildResult;
      const ms = result.fencedAt - claimedAt;
      process.stdout.write(
        `[fencing] two processes: child fenced ${ms} ms after the parent's open, its first write failed ${result.failedAt - claimedAt} ms after it ` +
          `(check every ${CHECK_MS} ms; ${result.writesBeforeFence} writes before)\n`,
      );
      expect(result.fencedAt).toBeGreaterThan(0);
      expect(ms).toBeLessThan(CHECK_MS + SLACK_MS);
      expect(result.failedAt - result.fencedAt).toBeLessThan(1000);
      expect(result.asyncError).toMatch(/^FencedError: /);
      expect(result.syncError).toMatch(/^FencedError: /);
      expect(result.checkpointError).toMatch(/^FencedError: /);
      expect(result.readAfterFence).toBe('child-5');
      expect(await listAll(url, store)).toEqual(afterClaim);
      const t = b.continueSession('child');
      expect(t.serial).toBe(200);
      expect(await readText(t, 'k199')).toBe('child-199');
      expect(await t.read('w0')).toBeUndefined();
      await b.close();
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }
  }, 180_000);
});
