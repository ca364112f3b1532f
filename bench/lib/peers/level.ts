import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { applyRmw, HIT, MISS, PENDING, stampFromBytes, type Peer, type PeerConfig, type Status } from './peer.js';
import { writeKey, writeValue } from '../workload.js';
import { dirBytes } from '../fs-size.js';

/**
 * classic-level (LevelDB) through its async API, `await db.get` / `await db.put`, one operation in
 * flight. Keys and values use the 'view' (Uint8Array) encoding; LevelDB defaults otherwise
 * (8 MiB block cache, 4 MiB write buffer, Snappy, no fsync per put). Load uses chained batches of
 * 10,000 puts. The scratch key/value buffers are safe to reuse because each call is awaited before
 * the next one writes them.
 */
export class LevelPeer implements Peer {
  readonly name = 'level';
  readonly sync = false;
  readonly notes = ['classic-level async get/put, view encodings, LevelDB defaults (8 MiB cache)'];
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>;
  private readonly key: Uint8Array;
  private readonly value: Uint8Array;
  private readonly rmwValue: Uint8Array;
  private readonly dir: string;
  private sink = 0;

  constructor(cfg: PeerConfig) {
    this.dir = join(cfg.dir, 'level');
    this.key = new Uint8Array(cfg.keySize);
    this.value = new Uint8Array(cfg.valueSize);
    this.rmwValue = new Uint8Array(cfg.valueSize);
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(this.dir, { keyEncoding: 'view', valueEncoding: 'view' });
  }

  async load(records: number, progress: (done: number) => void): Promise<void> {
    await this.db.open();
    const chunk = 10_000;
    for (let start = 0; start < records; start += chunk) {
      const end = Math.min(records, start + chunk);
      const batch = this.db.batch();
      for (let i = start; i < end; i++) {
        const k = new Uint8Array(this.key.length);
        const v = new Uint8Array(this.value.length);
        writeKey(i, k);
        writeValue(i, v);
        batch.put(k, v);
      }
      await batch.write();
      if ((start & 0xfffff) < chunk) progress(start);
    }
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
    writeKey(key, this.key);
    const v = await this.db.get(this.key);
    if (v === undefined) return MISS;
    this.sink ^= v[0]!;
    return HIT;
  }

  async update(key: number, stamp: number): Promise<void> {
    writeKey(key, this.key);
    writeValue(stamp, this.value);
    await this.db.put(this.key, this.value);
  }

  async rmw(key: number): Promise<void> {
    writeKey(key, this.key);
    applyRmw(await this.db.get(this.key), this.rmwValue);
    await this.db.put(this.key, this.rmwValue);
  }

  async stampOf(key: number): Promise<number> {
    writeKey(key, this.key);
    const v = await this.db.get(this.key);
    return v === undefined ? -1 : stampFromBytes(v);
  }

  structuralBytes(): number | undefined {
    return undefined;
  }

  details(): Promise<Record<string, unknown>> {
    return Promise.resolve({ fileBytes: dirBytes(this.dir), sink: this.sink });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
