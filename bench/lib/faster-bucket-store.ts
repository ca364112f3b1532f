/**
 * FasterKv alone with its hybrid log on object storage (an ObjectLogDevice on S3 or Azure Blob),
 * fold-over checkpoints to the same bucket: the single-tier way of putting f2kv's data on a
 * bucket. Memory split as bench:f2's `faster` store (the index names every key; the log memory
 * gets the rest of the budget). Reads of records below the log's head are ranged GETs.
 */
import { FasterKv, type FasterKvOptions } from '../../src/index.js';
import { openStorageDevice } from '../../src/devices/open-storage-device.js';
import type { OpenObjectStoreOptions } from '../../src/devices/open-object-store.js';
import type { Session } from '../../src/index.js';
import { PENDING as KV_PENDING } from '../../src/index.js';
import { fasterSplit, SessionStore, type BenchStore, type MemoryBudget, type RequestCounters, type StoreConfig, type StoreName } from './f2-stores.js';
import { writeKey, writeValue } from './workload.js';

export interface BucketLocation {
  /** s3://bucket/prefix or az://container/prefix of the store (log under /log, checkpoints under /ck). */
  readonly url: string;
  readonly store: OpenObjectStoreOptions;
}

export class FasterBucketStore extends SessionStore implements BenchStore {
  readonly name = 'faster-bucket' as unknown as StoreName;
  readonly notes: string[];
  readonly budget: MemoryBudget;
  protected readonly session: Session;

  private constructor(
    private readonly kv: FasterKv,
    cfg: StoreConfig,
    options: unknown,
    budget: MemoryBudget,
  ) {
    super(cfg);
    this.session = kv.startSession('bench');
    this.budget = budget;
    this.notes = [`faster-bucket: ${JSON.stringify(options, (k, v: unknown) => (k === 'secretAccessKey' || k === 'connectionString' ? '***' : v))}`];
  }

  static async open(cfg: StoreConfig, where: BucketLocation): Promise<FasterBucketStore> {
    const split = fasterSplit(cfg);
    const base = where.url.replace(/\/+$/, '');
    const device = await openStorageDevice(`${base}/log`, { ...where.store });
    const options: FasterKvOptions = {
      index: { buckets: split.buckets, autoGrow: false },
      log: { device, memorySize: split.log, pageSize: split.logPage, mutableFraction: 0.9 },
      checkpoint: { url: `${base}/ck`, mode: 'fold-over', onClose: false, store: where.store },
      recover: false,
    };
    const kv = await FasterKv.open(options);
    const shown = { ...options, log: { ...options.log, device: `${base}/log` } };
    return new FasterBucketStore(kv, cfg, shown, { configured: split.buckets * 64 + split.log, parts: { index: split.buckets * 64, log: split.log } });
  }

  async load(records: number, progress: (done: number) => void): Promise<void> {
    const s = this.session;
    for (let i = 0; i < records; i++) {
      writeKey(i, this.key);
      writeValue(i, this.value);
      if (s.upsertSync(this.key, this.value) === KV_PENDING) await s.upsert(this.key, this.value);
      if ((i & 0x3ffff) === 0x3ffff) progress(i + 1);
    }
  }

  async afterLoad(): Promise<Record<string, unknown>> {
    // A fold-over checkpoint: flushes the log to the bucket and writes the index.
    const t0 = performance.now();
    await this.kv.checkpoint();
    return { checkpointMs: performance.now() - t0 };
  }

  async checkpoint(): Promise<void> {
    await this.kv.checkpoint();
  }

  requests(): RequestCounters | undefined {
    return undefined;
  }

  memory(): Record<string, number> {
    const st = this.kv.stats();
    return { index: st.index.bytes, log: st.log.memoryBytes, total: st.index.bytes + st.log.memoryBytes };
  }

  details(): Promise<Record<string, unknown>> {
    return Promise.resolve({ stats: this.kv.stats() as unknown, sink: this.sink });
  }

  async close(): Promise<void> {
    await this.kv.close();
  }
}
