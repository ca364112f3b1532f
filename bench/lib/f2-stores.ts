/**
 * The stores of the two-tier benchmark (bench/f2.ts), each behind one interface that the in-flight
 * runner (bench/lib/inflight.ts) drives with up to 64 operations outstanding:
 *
 *  - f2-local / f2-minio: F2Kv (hot log on a local file, cold tier on a local directory or MinIO),
 *  - faster: FasterKv alone on a local file,
 *  - level: classic-level,
 *
 * all with the same memory budget (see bench/f2.ts for how it is split). The sync methods are the
 * stores' fast paths (readSync / upsertSync / rmwSync; PENDING means "complete it with the async
 * call"); classic-level has none and always answers PENDING. The async methods allocate their own
 * key and value buffers: with many operations in flight a reused scratch buffer would be
 * overwritten while an earlier operation still holds it (Session.upsert keeps the value it was
 * given across its wait for log room).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { F2Kv, FasterKv, PENDING as KV_PENDING, type F2KvOptions, type F2Session, type Session } from '../../src/index.js';
import { applyRmw, HIT, MISS, PENDING, stampFromBytes, type Status } from './peers/peer.js';
import { writeKey, writeValue } from './workload.js';
import { dirBytes } from './fs-size.js';

export type StoreName = 'f2-local' | 'f2-minio' | 'f2-azurite' | 'faster' | 'level';

/** Object-store request counters of a store (F2 only). */
export interface RequestCounters {
  gets: number;
  puts: number;
  lists: number;
  heads: number;
  deletes: number;
  /**
   * Reads served by the cold tier (F2 stats().reads.cold) and the GETs cold lookups cost: record
   * GETs (stats().cold.readGets.record, counted per lookup) + chunk GETs (stats().cold.index.chunkReads,
   * every chunk fetched, also by migration's writes). stats().getsPerColdRead is not used: ColdKv.find
   * does not count reads (opStats.reads), so it stays 0 under F2.
   */
  coldReads: number;
  coldReadGets: number;
  /** Operations the F2 store counted (reads + upserts + rmws + deletes). */
  ops: number;
}

export interface MemoryBudget {
  /** Bytes of memory the store was configured with (what "10% of the data" buys). */
  configured: number;
  /** How the configured bytes are split, by structure. */
  parts: Record<string, number>;
}

export interface BenchStore {
  readonly name: StoreName;
  readonly notes: string[];
  readonly budget: MemoryBudget;
  load(records: number, progress: (done: number) => void): Promise<void>;
  /** Work done once after the load (F2: compactHotLog()); returns what to record. */
  afterLoad(): Promise<Record<string, unknown>>;
  readSync(key: number): Status;
  updateSync(key: number, stamp: number): Status;
  rmwSync(key: number): Status;
  read(key: number): Promise<Status>;
  update(key: number, stamp: number): Promise<void>;
  rmw(key: number): Promise<void>;
  stampOf(key: number): Promise<number>;
  requests(): RequestCounters | undefined;
  /** Memory the store accounts for itself, by structure (bytes). */
  memory(): Record<string, number> | undefined;
  details(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface StoreConfig {
  readonly records: number;
  readonly keySize: number;
  readonly valueSize: number;
  /** Scratch directory (created and removed by the caller). */
  readonly dir: string;
  /** Memory budget in bytes (hot log + read cache + hot index; log + index; block cache). */
  readonly memory: number;
  /** F2 cold index: chunk size and chunk cache bytes. */
  readonly chunkSize: number;
  readonly chunkCacheSize: number;
  /** Cold index slots per record: cold.index.expectedKeys = records × this (1 = one slot per key). */
  readonly coldSlotsPerKey: number;
  /** S3 endpoint for f2-minio. */
  readonly s3?: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string; prefix: string };
  /** Azure Blob endpoint for f2-azurite (bench/cloud.ts). */
  readonly azure?: { connectionString: string; container: string; prefix: string };
}

/** Bytes a record takes in an f2kv log: 24-byte header + key + value, 8-byte aligned. */
export function logRecordBytes(keySize: number, valueSize: number): number {
  return (24 + keySize + valueSize + 7) & ~7;
}

export function pow2Floor(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

function pageSizeFor(memory: number): number {
  // 16+ pages in memory, between 64 KiB and 4 MiB.
  return Math.max(64 * 1024, Math.min(4 * 2 ** 20, pow2Floor(memory / 16)));
}

function floorTo(n: number, unit: number): number {
  return Math.max(unit, Math.floor(n / unit) * unit);
}

/**
 * The F2 split of the budget: hot index ~15% (buckets a power of two, 64 B each, autoGrow off),
 * read cache 25%, hot log memory the rest (whole pages); the hot log's on-disk budget is twice its
 * memory, so the hot index holds about (2 × log + read cache) / record bytes keys.
 */
export function f2Split(cfg: StoreConfig): { buckets: number; readCache: number; log: number; logPage: number; rcPage: number; maxLogSize: number } {
  const buckets = Math.max(1024, pow2Floor((cfg.memory * 0.16) / 64));
  const readCacheRaw = cfg.memory * 0.25;
  const logRaw = cfg.memory - buckets * 64 - readCacheRaw;
  const logPage = pageSizeFor(logRaw);
  const log = floorTo(logRaw, logPage);
  const rcPage = Math.min(logPage, pageSizeFor(readCacheRaw));
  const readCache = floorTo(readCacheRaw, rcPage);
  return { buckets, readCache, log, logPage, rcPage, maxLogSize: 2 * log };
}

/**
 * FasterKv alone: its index must name every key, so it takes what it needs first (about 8 keys per
 * 64-byte bucket, autoGrow off: overflow buckets beyond that) and the log memory gets the rest.
 */
export function fasterSplit(cfg: StoreConfig): { buckets: number; log: number; logPage: number } {
  const buckets = Math.max(1024, pow2Floor(cfg.records / 8));
  const logRaw = Math.max(cfg.memory - buckets * 64, 16 * 64 * 1024);
  const logPage = pageSizeFor(logRaw);
  return { buckets, log: floorTo(logRaw, logPage), logPage };
}

abstract class Base {
  protected readonly key: Uint8Array;
  protected readonly value: Uint8Array;
  protected readonly rmwValue: Uint8Array;
  protected sink = 0;
  protected readonly keySize: number;
  protected readonly valueSize: number;
  /** Sync RMW function (the result is copied into the log before the call returns). */
  protected readonly rmwFn = (old: Uint8Array | undefined): Uint8Array => {
    applyRmw(old, this.rmwValue);
    return this.rmwValue;
  };

  constructor(cfg: StoreConfig) {
    this.keySize = cfg.keySize;
    this.valueSize = cfg.valueSize;
    this.key = new Uint8Array(cfg.keySize);
    this.value = new Uint8Array(cfg.valueSize);
    this.rmwValue = new Uint8Array(cfg.valueSize);
  }

  protected freshKey(key: number): Uint8Array {
    const k = new Uint8Array(this.keySize);
    writeKey(key, k);
    return k;
  }

  protected freshValue(stamp: number): Uint8Array {
    const v = new Uint8Array(this.valueSize);
    writeValue(stamp, v);
    return v;
  }

  /** An RMW function with its own output buffer (for operations that may be in flight together). */
  protected freshRmwFn(): (old: Uint8Array | undefined) => Uint8Array {
    const out = new Uint8Array(this.valueSize);
    return (old) => {
      applyRmw(old, out);
      return out;
    };
  }
}

/** The session calls of a store whose sessions have FasterKv's API (FasterKv and F2Kv). */
export abstract class SessionStore extends Base {
  protected abstract readonly session: F2Session | Session;

  readSync(key: number): Status {
    writeKey(key, this.key);
    const v = this.session.readSync(this.key);
    if (v === KV_PENDING) return PENDING;
    if (v === undefined) return MISS;
    this.sink ^= v[0]!;
    return HIT;
  }

  updateSync(key: number, stamp: number): Status {
    writeKey(key, this.key);
    writeValue(stamp, this.value);
    return this.session.upsertSync(this.key, this.value) === KV_PENDING ? PENDING : HIT;
  }

  rmwSync(key: number): Status {
    writeKey(key, this.key);
    return this.session.rmwSync(this.key, this.rmwFn) === KV_PENDING ? PENDING : HIT;
  }

  async read(key: number): Promise<Status> {
    const v = await this.session.read(this.freshKey(key));
    if (v === undefined) return MISS;
    this.sink ^= v[0]!;
    return HIT;
  }

  async update(key: number, stamp: number): Promise<void> {
    await this.session.upsert(this.freshKey(key), this.freshValue(stamp));
  }

  async rmw(key: number): Promise<void> {
    await this.session.rmw(this.freshKey(key), this.freshRmwFn());
  }

  async stampOf(key: number): Promise<number> {
    const v = await this.session.read(this.freshKey(key));
    return v === undefined ? -1 : stampFromBytes(v);
  }
}

// ------------------------------------------------------------------------------------------ F2Kv

export class F2Store extends SessionStore implements BenchStore {
  readonly notes: string[];
  readonly budget: MemoryBudget;
  private constructor(
    readonly name: StoreName,
    private readonly kv: F2Kv,
    protected readonly session: F2Session,
    private readonly hotDir: string,
    private readonly coldDir: string | undefined,
    cfg: StoreConfig,
    options: unknown,
    budget: MemoryBudget,
  ) {
    super(cfg);
    this.budget = budget;
    this.notes = [`${name}: ${JSON.stringify(options, (k, v: unknown) => (k === 'secretAccessKey' || k === 'connectionString' ? '***' : v))}`];
  }

  static async open(cfg: StoreConfig, where: 'local' | 'minio' | 'azurite'): Promise<F2Store> {
    const hotDir = join(cfg.dir, 'hot');
    mkdirSync(hotDir, { recursive: true });
    const split = f2Split(cfg);
    let coldUrl: string;
    let ckUrl: string;
    let store: F2KvOptions['cold']['store'];
    let coldDir: string | undefined;
    if (where === 'local') {
      coldDir = join(cfg.dir, 'cold');
      mkdirSync(coldDir, { recursive: true });
      mkdirSync(join(cfg.dir, 'ck'), { recursive: true });
      coldUrl = pathToFileURL(coldDir).href;
      ckUrl = pathToFileURL(join(cfg.dir, 'ck')).href;
      store = undefined;
    } else if (where === 'azurite') {
      const az = cfg.azure;
      if (az === undefined) throw new Error('f2-azurite needs an Azure Blob endpoint');
      coldUrl = `az://${az.container}/${az.prefix}/cold`;
      ckUrl = `az://${az.container}/${az.prefix}/ck`;
      store = { connectionString: az.connectionString };
    } else {
      const s3 = cfg.s3;
      if (s3 === undefined) throw new Error('f2-minio needs an S3 endpoint');
      coldUrl = `s3://${s3.bucket}/${s3.prefix}/cold`;
      ckUrl = `s3://${s3.bucket}/${s3.prefix}/ck`;
      store = { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
    }
    const options: F2KvOptions = {
      hot: {
        index: { buckets: split.buckets, autoGrow: false },
        log: { device: pathToFileURL(hotDir).href, memorySize: split.log, pageSize: split.logPage },
        readCache: { memorySize: split.readCache, pageSize: split.rcPage },
      },
      cold: {
        url: coldUrl,
        ...(store === undefined ? {} : { store }),
        index: { expectedKeys: Math.round(cfg.records * cfg.coldSlotsPerKey), chunkSize: cfg.chunkSize, chunkCacheSize: cfg.chunkCacheSize },
      },
      compaction: { hotToCold: { maxLogSize: split.maxLogSize } },
      checkpoint: { url: ckUrl, onClose: false, ...(store === undefined ? {} : { store }) },
      recover: false,
    };
    const kv = await F2Kv.open(options);
    const budget: MemoryBudget = {
      configured: split.buckets * 64 + split.log + split.readCache,
      parts: { hotIndex: split.buckets * 64, hotLog: split.log, readCache: split.readCache, hotLogOnDiskBudget: split.maxLogSize, chunkCache: cfg.chunkCacheSize },
    };
    return new F2Store(where === 'local' ? 'f2-local' : where === 'minio' ? 'f2-minio' : 'f2-azurite', kv, kv.startSession('bench'), hotDir, coldDir, cfg, options, budget);
  }

  async load(records: number, progress: (done: number) => void): Promise<void> {
    const s = this.session;
    for (let i = 0; i < records; i++) {
      writeKey(i, this.key);
      writeValue(i, this.value);
      if (s.upsertSync(this.key, this.value) === KV_PENDING) await s.upsert(this.key, this.value);
      if ((i & 0xffff) === 0xffff) {
        // Let the background migration (hot → cold) run between bursts of sync upserts.
        await new Promise<void>((r) => setImmediate(r));
        if ((i & 0xfffff) === 0xfffff) progress(i + 1);
      }
    }
  }

  async afterLoad(): Promise<Record<string, unknown>> {
    const t0 = performance.now();
    const before = this.kv.stats();
    const r = await this.kv.compactHotLog();
    const after = this.kv.stats();
    return {
      compactHotLog: r,
      compactMs: performance.now() - t0,
      hotLogBytesBefore: before.hot.log.tailAddress - before.hot.log.beginAddress,
      hotLogBytesAfter: after.hot.log.tailAddress - after.hot.log.beginAddress,
      coldLogBytes: after.cold.log.bytes,
      migration: after.hotToCold,
    };
  }

  requests(): RequestCounters {
    const st = this.kv.stats();
    const c = st.requests.cold.byKind;
    const h = st.requests.hotCheckpoints?.byKind;
    const sum = (k: 'GET' | 'PUT' | 'LIST' | 'HEAD' | 'DELETE'): number => c[k].requests + (h?.[k].requests ?? 0);
    return {
      gets: sum('GET'),
      puts: sum('PUT'),
      lists: sum('LIST'),
      heads: sum('HEAD'),
      deletes: sum('DELETE'),
      coldReads: st.reads.cold,
      coldReadGets: st.cold.index.chunkReads + st.cold.readGets.record,
      ops: st.operations.reads + st.operations.upserts + st.operations.rmws + st.operations.deletes,
    };
  }

  memory(): Record<string, number> {
    return { ...this.kv.stats().memory };
  }

  stats(): ReturnType<F2Kv['stats']> {
    return this.kv.stats();
  }

  /** A checkpoint of both tiers (the benchmark's durability point). */
  async checkpoint(): Promise<void> {
    await this.kv.checkpoint();
  }

  details(): Promise<Record<string, unknown>> {
    const st = this.kv.stats();
    const out: Record<string, unknown> = {
      stats: { ...st, hot: { ...st.hot }, cold: { ...st.cold } },
      sink: this.sink,
      hotFileBytes: dirBytes(this.hotDir),
    };
    if (this.coldDir !== undefined) out['coldFileBytes'] = dirBytes(this.coldDir);
    return Promise.resolve(out);
  }

  async close(): Promise<void> {
    await this.kv.close();
  }
}

// ------------------------------------------------------------------------------------ FasterKv

export class FasterStore extends SessionStore implements BenchStore {
  readonly name = 'faster' as const;
  readonly notes: string[];
  readonly budget: MemoryBudget;
  protected readonly session: Session;

  private constructor(
    private readonly kv: FasterKv,
    private readonly logDir: string,
    cfg: StoreConfig,
    options: unknown,
    budget: MemoryBudget,
  ) {
    super(cfg);
    this.session = kv.startSession();
    this.budget = budget;
    this.notes = [`faster: ${JSON.stringify(options)}`];
  }

  static async open(cfg: StoreConfig): Promise<FasterStore> {
    const logDir = join(cfg.dir, 'faster');
    mkdirSync(logDir, { recursive: true });
    const split = fasterSplit(cfg);
    const options = {
      index: { buckets: split.buckets, autoGrow: false },
      log: { device: pathToFileURL(logDir).href, memorySize: split.log, pageSize: split.logPage, mutableFraction: 0.9 },
    };
    const kv = await FasterKv.open(options);
    return new FasterStore(kv, logDir, cfg, options, { configured: split.buckets * 64 + split.log, parts: { index: split.buckets * 64, log: split.log } });
  }

  async load(records: number, progress: (done: number) => void): Promise<void> {
    const s = this.session;
    for (let i = 0; i < records; i++) {
      writeKey(i, this.key);
      writeValue(i, this.value);
      if (s.upsertSync(this.key, this.value) === KV_PENDING) await s.upsert(this.key, this.value);
      if ((i & 0xfffff) === 0xfffff) progress(i + 1);
    }
  }

  afterLoad(): Promise<Record<string, unknown>> {
    return Promise.resolve({});
  }

  requests(): undefined {
    return undefined;
  }

  memory(): Record<string, number> {
    const st = this.kv.stats();
    return { index: st.index.bytes, log: st.log.memoryBytes, total: st.index.bytes + st.log.memoryBytes };
  }

  details(): Promise<Record<string, unknown>> {
    return Promise.resolve({ stats: this.kv.stats() as unknown, sink: this.sink, fileBytes: dirBytes(this.logDir) });
  }

  async close(): Promise<void> {
    await this.kv.close();
  }
}

// -------------------------------------------------------------------------------- classic-level

export class LevelStore extends Base implements BenchStore {
  readonly name = 'level' as const;
  readonly notes: string[];
  readonly budget: MemoryBudget;
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>;
  private readonly dir: string;

  constructor(cfg: StoreConfig) {
    super(cfg);
    this.dir = join(cfg.dir, 'level');
    // The budget is LevelDB's block cache; its write buffer (4 MiB default) comes on top.
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(this.dir, { keyEncoding: 'view', valueEncoding: 'view', cacheSize: cfg.memory });
    this.budget = { configured: cfg.memory, parts: { blockCache: cfg.memory } };
    this.notes = [`level: classic-level, view encodings, cacheSize ${cfg.memory} B (block cache), other LevelDB defaults; load in batches of 10,000; rmw = get + put (not atomic)`];
  }

  async load(records: number, progress: (done: number) => void): Promise<void> {
    await this.db.open();
    const chunk = 10_000;
    for (let start = 0; start < records; start += chunk) {
      const end = Math.min(records, start + chunk);
      const batch = this.db.batch();
      for (let i = start; i < end; i++) batch.put(this.freshKey(i), this.freshValue(i));
      await batch.write();
      if (((start + chunk) & 0xfffff) < chunk) progress(end);
    }
  }

  afterLoad(): Promise<Record<string, unknown>> {
    return Promise.resolve({});
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
    const v = await this.db.get(this.freshKey(key));
    if (v === undefined) return MISS;
    this.sink ^= v[0]!;
    return HIT;
  }

  async update(key: number, stamp: number): Promise<void> {
    await this.db.put(this.freshKey(key), this.freshValue(stamp));
  }

  async rmw(key: number): Promise<void> {
    const k = this.freshKey(key);
    const out = new Uint8Array(this.valueSize);
    applyRmw(await this.db.get(k), out);
    await this.db.put(k, out);
  }

  async stampOf(key: number): Promise<number> {
    const v = await this.db.get(this.freshKey(key));
    return v === undefined ? -1 : stampFromBytes(v);
  }

  requests(): undefined {
    return undefined;
  }

  memory(): undefined {
    return undefined;
  }

  details(): Promise<Record<string, unknown>> {
    return Promise.resolve({ fileBytes: dirBytes(this.dir), sink: this.sink });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export async function openStore(name: StoreName, cfg: StoreConfig): Promise<BenchStore> {
  switch (name) {
    case 'f2-local':
      return F2Store.open(cfg, 'local');
    case 'f2-minio':
      return F2Store.open(cfg, 'minio');
    case 'f2-azurite':
      return F2Store.open(cfg, 'azurite');
    case 'faster':
      return FasterStore.open(cfg);
    case 'level':
      return new LevelStore(cfg);
  }
}
