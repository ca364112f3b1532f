/**
 * SlateDB (an LSM tree on object storage, Rust, official Node binding @slatedb/uniffi) behind the
 * benchmark's store interface, on an S3 endpoint (MinIO through the counting proxy).
 *
 * How the binding reaches S3: `ObjectStore.resolve('s3://bucket/')` hands the URL to Rust's
 * object_store crate, which takes the endpoint and credentials from the process environment:
 * AWS_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, and AWS_ALLOW_HTTP=true for a
 * plain-http endpoint. They must be set before resolve() (the benchmark child sets them first).
 * Azure Blob works the same way: `az://container/` with AZURE_STORAGE_ACCOUNT_NAME,
 * AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_ENDPOINT (http://host:port/account for Azurite) and
 * AZURE_ALLOW_HTTP=true (tried against Azurite 3.35).
 *
 * Cache: binding 0.12.1 has no way to size SlateDB's block/metadata cache (DbBuilder offers only
 * with_db_cache_disabled()); `cache: 'default'` keeps SlateDB's default in-memory cache, `'off'`
 * disables it. Writes: put_with_options with await_durable = false by default — acknowledged once
 * in the memtable, durable at the next WAL flush (flush_interval, 100 ms by default), which is
 * closer to f2kv's durability (at the next checkpoint) than waiting for the WAL upload per put;
 * `durable: true` awaits the WAL upload as the binding's plain put() does. The load writes
 * WriteBatches of `loadBatch` records. RMW = get + put (not atomic; the workloads here do not use it).
 */
import type { Db, ObjectStore as SlateObjectStore, WriteOptions, PutOptions, ReadOptions } from '@slatedb/uniffi';
import { applyRmw, HIT, MISS, PENDING, stampFromBytes, type Status } from './peers/peer.js';
import { writeKey, writeValue } from './workload.js';
import type { BenchStore, MemoryBudget, RequestCounters, StoreName } from './f2-stores.js';

export interface SlateDbStoreConfig {
  readonly keySize: number;
  readonly valueSize: number;
  /** s3://bucket/ or az://container/ (endpoint and credentials from the AWS_* / AZURE_* environment). */
  readonly url: string;
  /** Path of the database inside the bucket. */
  readonly path: string;
  readonly cache: 'default' | 'off';
  readonly durable: boolean;
  readonly loadBatch: number;
}

export class SlateDbStore implements BenchStore {
  readonly name = 'slatedb' as unknown as StoreName;
  readonly notes: string[];
  readonly budget: MemoryBudget;
  private sink = 0;
  private readonly writeOptions: WriteOptions;
  private readonly putOptions: PutOptions;

  private constructor(
    private readonly db: Db,
    private readonly objectStore: SlateObjectStore,
    private readonly cfg: SlateDbStoreConfig,
    private readonly mod: typeof import('@slatedb/uniffi'),
  ) {
    this.writeOptions = { await_durable: cfg.durable };
    this.putOptions = { ttl: mod.Ttl.Default() } as PutOptions;
    this.budget = { configured: 0, parts: {} };
    this.notes = [
      `slatedb: @slatedb/uniffi 0.12.1, ${cfg.url}${cfg.path}, default settings (flush_interval 100ms, l0_sst_size_bytes 64 MiB), ` +
        `cache ${cfg.cache === 'off' ? 'disabled' : "SlateDB's default (not sizeable through binding 0.12.1)"}, puts await_durable=${cfg.durable}, load in WriteBatches of ${cfg.loadBatch}`,
    ];
  }

  static async open(cfg: SlateDbStoreConfig): Promise<SlateDbStore> {
    const mod = await import('@slatedb/uniffi');
    const objectStore = mod.ObjectStore.resolve(cfg.url);
    const builder = new mod.DbBuilder(cfg.path, objectStore);
    let db: Db;
    try {
      if (cfg.cache === 'off') builder.with_db_cache_disabled();
      db = await builder.build();
    } finally {
      builder.dispose();
    }
    return new SlateDbStore(db, objectStore, cfg, mod);
  }

  private key(key: number): Uint8Array {
    const k = new Uint8Array(this.cfg.keySize);
    writeKey(key, k);
    return k;
  }

  private value(stamp: number): Uint8Array {
    const v = new Uint8Array(this.cfg.valueSize);
    writeValue(stamp, v);
    return v;
  }

  async load(records: number, progress: (done: number) => void): Promise<void> {
    const batchSize = this.cfg.loadBatch;
    // Several batches in flight, as a loader would do; each awaits its durability (bulk load).
    const window = 4;
    const inflight: Promise<unknown>[] = [];
    let reported = 0;
    for (let start = 0; start < records; start += batchSize) {
      const end = Math.min(records, start + batchSize);
      const batch = new this.mod.WriteBatch();
      for (let i = start; i < end; i++) batch.put(this.key(i), this.value(i));
      const p = this.db.write(batch).finally(() => batch.dispose());
      inflight.push(p);
      if (inflight.length >= window) await inflight.shift();
      if (end - reported >= 262_144) {
        reported = end;
        progress(end);
      }
    }
    await Promise.all(inflight);
  }

  async afterLoad(): Promise<Record<string, unknown>> {
    // Flush the memtable into an L0 SST, so reads after the load go to SSTs as they would in a
    // store that has run for a while (and bytes stored include them).
    const t0 = performance.now();
    await this.db.flush_with_options({ flush_type: this.mod.FlushType.MemTable });
    return { flushMs: performance.now() - t0 };
  }

  readSync(_key: number): Status {
    return PENDING;
  }
  updateSync(_key: number, _stamp: number): Status {
    return PENDING;
  }
  rmwSync(_key: number): Status {
    return PENDING;
  }

  async read(key: number): Promise<Status> {
    const v = await this.db.get(this.key(key));
    if (v === undefined) return MISS;
    this.sink ^= v[0]!;
    return HIT;
  }

  async update(key: number, stamp: number): Promise<void> {
    await this.db.put_with_options(this.key(key), this.value(stamp), this.putOptions, this.writeOptions);
  }

  async rmw(key: number): Promise<void> {
    const k = this.key(key);
    const out = new Uint8Array(this.cfg.valueSize);
    applyRmw(await this.db.get(k), out);
    await this.db.put_with_options(k, out, this.putOptions, this.writeOptions);
  }

  async stampOf(key: number): Promise<number> {
    const v = await this.db.get(this.key(key));
    return v === undefined ? -1 : stampFromBytes(v);
  }

  requests(): RequestCounters | undefined {
    return undefined;
  }

  memory(): Record<string, number> | undefined {
    return undefined;
  }

  /** What a durability point costs: flush the WAL (the workloads call it like f2kv's checkpoint). */
  async checkpoint(): Promise<void> {
    await this.db.flush();
  }

  details(): Promise<Record<string, unknown>> {
    let status: unknown;
    try {
      status = this.db.status();
    } catch {
      status = undefined;
    }
    return Promise.resolve({ sink: this.sink, status: JSON.parse(JSON.stringify(status ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as unknown });
  }

  async close(): Promise<void> {
    await this.db.shutdown();
    this.db.dispose();
    this.objectStore.dispose();
  }
}

export type { ReadOptions };
