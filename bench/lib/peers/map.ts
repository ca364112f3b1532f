import { applyRmw, HIT, MISS, stampFromBytes, type Peer, type PeerConfig, type Status } from './peer.js';
import { writeKey, writeValue } from '../workload.js';

/**
 * The baseline: a JS `Map<string, Uint8Array>`. Keys are the key bytes as a one-byte (latin1)
 * string, built once at load time and kept in an array indexed by key number, so a lookup costs
 * exactly `map.get(string)` — no encoding per operation. An update stores a fresh copy of the
 * value (a store must not alias the caller's buffer); a read returns the stored array without
 * copying (Map's natural advantage, kept).
 */
export class MapPeer implements Peer {
  readonly name = 'map';
  readonly sync = true;
  readonly notes = ['Map<string, Uint8Array>, key strings prebuilt once; update stores a copy'];
  private readonly map = new Map<string, Uint8Array>();
  private keys: string[] = [];
  private readonly scratchKey: Uint8Array;
  private readonly valueSize: number;
  private sink = 0;

  constructor(cfg: PeerConfig) {
    this.scratchKey = new Uint8Array(cfg.keySize);
    this.valueSize = cfg.valueSize;
  }

  async load(records: number, progress: (done: number) => void): Promise<void> {
    const keys = new Array<string>(records);
    for (let i = 0; i < records; i++) {
      writeKey(i, this.scratchKey);
      keys[i] = String.fromCharCode.apply(null, this.scratchKey as unknown as number[]);
    }
    this.keys = keys;
    for (let i = 0; i < records; i++) {
      const v = new Uint8Array(this.valueSize);
      writeValue(i, v);
      this.map.set(keys[i]!, v);
      if ((i & 0xfffff) === 0) progress(i);
    }
  }

  readSync(key: number): Status {
    const v = this.map.get(this.keys[key]!);
    if (v === undefined) return MISS;
    this.sink ^= v[0]!;
    return HIT;
  }

  updateSync(key: number, stamp: number): Status {
    const v = new Uint8Array(this.valueSize);
    writeValue(stamp, v);
    this.map.set(this.keys[key]!, v);
    return HIT;
  }

  rmwSync(key: number): Status {
    const k = this.keys[key]!;
    const v = new Uint8Array(this.valueSize);
    applyRmw(this.map.get(k), v);
    this.map.set(k, v);
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
    const v = this.map.get(this.keys[key]!);
    return Promise.resolve(v === undefined ? -1 : stampFromBytes(v));
  }

  structuralBytes(): number | undefined {
    return undefined;
  }

  details(): Promise<Record<string, unknown>> {
    return Promise.resolve({ size: this.map.size, sink: this.sink });
  }

  close(): Promise<void> {
    this.map.clear();
    this.keys = [];
    return Promise.resolve();
  }
}
