import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { applyRmw, HIT, MISS, stampFromBytes, type Peer, type PeerConfig, type Status } from './peer.js';
import { writeKey, writeValue } from '../workload.js';
import { dirBytes } from '../fs-size.js';

/**
 * lmdb-js through its synchronous API: `getBinaryFast` (returns a reused buffer, read at once)
 * and `putSync` (one write transaction per call). Settings are the fastest honest ones for an
 * in-memory comparison: `noSync` + `noMetaSync` (no fsync; the OS page cache holds the data, as
 * f2kv's memory device does), raw binary keys and values (no msgpack), no compression, no
 * lmdb-js object cache, `noMemInit`. Load uses `transactionSync` in chunks of 10,000 puts.
 * A read-modify-write is getBinaryFast + putSync (single-threaded, so no other writer interleaves).
 */
export class LmdbPeer implements Peer {
  readonly name = 'lmdb';
  readonly sync = true;
  readonly notes = ['lmdb-js sync API: getBinaryFast/putSync; noSync, noMetaSync, binary encodings, no cache, no compression'];
  private readonly db: RootDatabase<Uint8Array, Uint8Array>;
  private readonly key: Buffer;
  private readonly value: Buffer;
  private readonly rmwValue: Buffer;
  private readonly dir: string;
  private sink = 0;

  constructor(cfg: PeerConfig) {
    this.dir = cfg.dir;
    this.key = Buffer.alloc(cfg.keySize);
    this.value = Buffer.alloc(cfg.valueSize);
    this.rmwValue = Buffer.alloc(cfg.valueSize);
    // Leave ample address space; LMDB only touches what it uses.
    const mapSize = Math.max(1 << 30, cfg.records * (cfg.keySize + cfg.valueSize + 64) * 4);
    this.db = open<Uint8Array, Uint8Array>({
      path: join(cfg.dir, 'lmdb'),
      keyEncoding: 'binary',
      encoding: 'binary',
      noSync: true,
      noMetaSync: true,
      noMemInit: true,
      cache: false,
      compression: false,
      mapSize,
    });
  }

  async load(records: number, progress: (done: number) => void): Promise<void> {
    const chunk = 10_000;
    for (let start = 0; start < records; start += chunk) {
      const end = Math.min(records, start + chunk);
      this.db.transactionSync(() => {
        for (let i = start; i < end; i++) {
          writeKey(i, this.key);
          writeValue(i, this.value);
          this.db.putSync(this.key, this.value);
        }
      });
      if ((start & 0xfffff) < chunk) progress(start);
    }
    return Promise.resolve();
  }

  readSync(key: number): Status {
    writeKey(key, this.key);
    const v = this.db.getBinaryFast(this.key);
    if (v === undefined) return MISS;
    this.sink ^= v[0]!;
    return HIT;
  }

  updateSync(key: number, stamp: number): Status {
    writeKey(key, this.key);
    writeValue(stamp, this.value);
    this.db.putSync(this.key, this.value);
    return HIT;
  }

  rmwSync(key: number): Status {
    writeKey(key, this.key);
    applyRmw(this.db.getBinaryFast(this.key), this.rmwValue);
    this.db.putSync(this.key, this.rmwValue);
    return HIT;
  }

  read(key: number): Promise<Status> {
    return Promise.resolve(this.readSync(key));
  }
  update(key: number, stamp: number): Promise<void> {
    this.updateSync(key, stamp);
    return Promise.resolve();
  }
  rmw(key: number): Promise<void> {
    this.rmwSync(key);
    return Promise.resolve();
  }

  stampOf(key: number): Promise<number> {
    writeKey(key, this.key);
    const v = this.db.getBinaryFast(this.key);
    return Promise.resolve(v === undefined ? -1 : stampFromBytes(v));
  }

  structuralBytes(): number | undefined {
    return undefined;
  }

  details(): Promise<Record<string, unknown>> {
    return Promise.resolve({ fileBytes: dirBytes(join(this.dir, 'lmdb')), sink: this.sink });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
