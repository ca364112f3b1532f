/**
 * The first writer of the two-process fencing test (integration/fencing.test.ts), run as a plain
 * `node` child (compiled by that test). It opens a FasterKv whose checkpoints are on MinIO,
 * writes, checkpoints and prints `READY`; then it keeps writing until a write fails — which
 * must happen once the parent opens a second instance on the same prefix and this one's
 * background claim check notices — and prints one `RESULT <json>` line: when it was fenced,
 * what its async and sync writes and its checkpoint threw, and whether reads still work. Then it
 * closes the store (which must succeed and publish nothing) and prints `CLOSED`.
 *
 * Configuration: the JSON in F2KV_FENCE_CHILD (ChildConfig).
 */
import { FasterKv } from '../src/index.js';
import type { OpenObjectStoreOptions } from '../src/devices/open-object-store.js';

export interface ChildConfig {
  logUrl: string;
  checkpointUrl: string;
  store: OpenObjectStoreOptions;
  fenceCheckIntervalMs: number;
  /** Give up (and exit 3) when no write failed within this many ms of READY. */
  deadlineMs: number;
}

export interface ChildResult {
  /** Date.now() when the store reported it was fenced (onFenced). */
  fencedAt: number;
  /** Date.now() when the first write failed. */
  failedAt: number;
  writesBeforeFence: number;
  asyncError: string;
  syncError: string;
  checkpointError: string;
  /** A key written before the checkpoint, read after the fence. */
  readAfterFence: string | undefined;
}

const errorName = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const config = JSON.parse(process.env['F2KV_FENCE_CHILD'] ?? '') as ChildConfig;
  const kv = await FasterKv.open({
    index: { buckets: 1024 },
    log: { device: config.logUrl, pageSize: '64KiB', memorySize: '1MiB' },
    checkpoint: { url: config.checkpointUrl, store: config.store, fenceCheckIntervalMs: config.fenceCheckIntervalMs },
  });
  let fencedAt = 0;
  kv.onFenced(() => (fencedAt = Date.now()));
  const s = kv.startSession('child');
  for (let i = 0; i < 200; i++) await s.upsert(`k${i}`, `child-${i}`);
  const token = await kv.checkpoint();
  process.stdout.write(`READY ${token}\n`);
  const readyAt = Date.now();
  let writes = 0;
  let asyncError = '';
  for (;;) {
    try {
      await s.upsert(`w${writes % 50}`, `after-ready-${writes}`);
      writes++;
    } catch (err) {
      asyncError = errorName(err);
      break;
    }
    if (Date.now() - readyAt > config.deadlineMs) {
      process.stdout.write(`TIMEOUT no write failed within ${config.deadlineMs} ms\n`);
      process.exit(3);
    }
    await sleep(2);
  }
  const failedAt = Date.now();
  let syncError = '';
  try {
    s.upsertSync('sync', 'x');
  } catch (err) {
    syncError = errorName(err);
  }
  const checkpointError = await kv.checkpoint().then(() => 'none', errorName);
  const read = await s.read('k5');
  const result: ChildResult = {
    fencedAt,
    failedAt,
    writesBeforeFence: writes,
    asyncError,
    syncError,
    checkpointError,
    readAfterFence: read === undefined ? undefined : new TextDecoder().decode(read),
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  await kv.close();
  process.stdout.write('CLOSED\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`fencing child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
