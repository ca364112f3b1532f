import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FasterKv, PENDING as F2_PENDING } from '../../../src/index.js';
import { applyRmw, HIT, MISS, PENDING, stampFromBytes, type Peer, type PeerConfig, type Status } from './peer.js';
import { writeKey, writeValue } from '../workload.js';
import { dirBytes } from '../fs-size.js';

/** readInto's "the record is on the device" code. */
const PENDING_CODE = -2;

type Store = Awaited<ReturnType<typeof FasterKv.open>>;
type Session = ReturnType<Store['startSession']>;

/**
 * f2kv, in one of two modes:
 *  - sync:  readInto / upsertSync / rmwSync; when one returns PENDING (record on the device, or
 *           flush backpressure) the harness awaits the async call for that operation.
 *  - async: await read / upsert / rmw for every operation.
 * Keys and values are written into reused scratch buffers from the key index.
 */
export class F2kvPeer implements Peer {
  readonly name: string;
  readonly sync: boolean;
  readonly notes: readonly string[];
  private readonly key: Uint8Array;
  private readonly value: Uint8Array;
  private readonly out: Uint8Array;
  private readonly rmwValue: Uint8Array;
  private readonly rmwFn = (old: Uint8Array | undefined): Uint8Array => {
    applyRmw(old, this.rmwValue);
    return this.rmwValue;
  };
  private sink = 0;

  private constructor(
    private readonly store: Store,
    private readonly session: Session,
    private readonly logDir: string | undefined,
    cfg: PeerConfig,
    mode: 'sync' | 'async',
    options: unknown,
  ) {
    this.name = `f2kv-${mode}`;
    this.sync = mode === 'sync';
    this.notes = [`f2kv ${mode}: ${JSON.stringify(options)}`];
    this.key = new Uint8Array(cfg.keySize);
    this.value = new Uint8Array(cfg.valueSize);
    this.out = new Uint8Array(Math.max(cfg.valueSize, 64));
    this.rmwValue = new Uint8Array(cfg.valueSize);
  }

  static async open(cfg: PeerConfig, mode: 'sync' | 'async'): Promise<F2kvPeer> {
    const f = cfg.f2kv;
    const logDir = join(cfg.dir, 'f2kv');
    if (f.device === 'file') mkdirSync(logDir, { recursive: true });
    const options = {
      index: { buckets: f.buckets },
      log: {
        device: f.device === 'memory' ? 'memory://' : `file://${logDir}`,
        memorySize: f.memorySize,
        pageSize: f.pageSize,
        mutableFraction: f.mutableFraction,
      },
    };
    const store = await FasterKv.open(options);
    return new F2kvPeer(store, store.startSession(), f.device === 'file' ? logDir : undefined, cfg, mode, options);
  }

  async load(records: number, progress: (done: number) => void): Promise<void> {
    const s = this.session;
    for (let i = 0; i < records; i++) {
      writeKey(i, this.key);
      writeValue(i, this.value);
      if (s.upsertSync(this.key, this.value) === F2_PENDING) await s.upsert(this.key, this.value);
      if ((i & 0xfffff) === 0) progress(i);
    }
  }

  readSync(key: number): Status {
    writeKey(key, this.key);
    const n = this.session.readInto(this.key, this.out);
    if (n >= 0) {
      this.sink ^= this.out[0]!;
      return HIT;
    }
    return n === PENDING_CODE ? PENDING : MISS;
  }

  updateSync(key: number, stamp: number): Status {
    writeKey(key, this.key);
    writeValue(stamp, this.value);
    return this.session.upsertSync(this.key, this.value) === F2_PENDING ? PENDING : HIT;
  }

  rmwSync(key: number): Status {
    writeKey(key, this.key);
    return this.session.rmwSync(this.key, this.rmwFn) === F2_PENDING ? PENDING : HIT;
  }

  async read(key: number): Promise<Status> {
    writeKey(key, this.key);
    const v = await this.session.read(this.key);
    if (v === undefined) return MISS;
    this.sink ^= v[0]!;
    return HIT;
  }

  async update(key: number, stamp: number): Promise<void> {
    writeKey(key, this.key);
    writeValue(stamp, this.value);
    await this.session.upsert(this.key, this.value);
  }

  async rmw(key: number): Promise<void> {
    writeKey(key, this.key);
    await this.session.rmw(this.key, this.rmwFn);
  }

  async stampOf(key: number): Promise<number> {
    writeKey(key, this.key);
    const v = await this.session.read(this.key);
    return v === undefined ? -1 : stampFromBytes(v);
  }

  /** Index table bytes + log page frames allocated in memory (store.stats()). */
  structuralBytes(): number | undefined {
    const st: unknown = this.store.stats();
    const indexBytes = numberAt(st, ['index', 'bytes']);
    const logBytes = numberAt(st, ['log', 'memoryBytes']);
    if (indexBytes === undefined || logBytes === undefined) return undefined;
    return indexBytes + logBytes;
  }

  details(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = { stats: this.store.stats() as unknown, sink: this.sink };
    if (this.logDir !== undefined) out['fileBytes'] = dirBytes(this.logDir);
    return Promise.resolve(out);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** Reads a number at a property path of an unknown value (store.stats() is only loosely typed here). */
export function numberAt(obj: unknown, path: readonly string[]): number | undefined {
  let cur: unknown = obj;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return typeof cur === 'number' ? cur : undefined;
}
