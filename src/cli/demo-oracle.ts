/**
 * The demo's oracle: what every key must hold right now, kept in two typed arrays instead of a
 * copy of the data (a few bytes per key), so the demo can check every value it reads.
 *
 * Every value is a pure function of (key index, version): 4 bytes key index, 4 bytes version,
 * then pseudo-random filler seeded by both, with a length that also depends on both. Each write
 * to a key takes the next version of that key, so a stale or misplaced value is always detected.
 */

/** Longest value the demo writes for a given average value size. */
export function maxValueSize(averageValueSize: number): number {
  return Math.max(8, Math.floor(averageValueSize / 2)) + averageValueSize;
}

export interface Mismatch {
  operation: string;
  key: string;
  expected: string;
  got: string;
}

const KEY_PREFIX = 'key:';
const KEY_DIGITS = 10;
export const KEY_BYTES = KEY_PREFIX.length + KEY_DIGITS;
const MAX_MISMATCHES_KEPT = 20;

function mix(k: number, version: number): number {
  let h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(version + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class DemoOracle {
  readonly records: number;
  /** Current version of each key (the newest write, including deletes). */
  private readonly versions: Int32Array;
  /** 1 when the key holds a value, 0 when it is absent (never loaded or deleted). */
  private readonly live: Uint8Array;
  private readonly minLength: number;
  private readonly lengthSpan: number;
  checks = 0;
  mismatchCount = 0;
  readonly mismatches: Mismatch[] = [];

  constructor(records: number, averageValueSize: number) {
    this.records = records;
    this.versions = new Int32Array(records);
    this.live = new Uint8Array(records);
    this.minLength = Math.max(8, Math.floor(averageValueSize / 2));
    this.lengthSpan = averageValueSize + 1;
  }

  /** Writes the key of index k ("key:0000000042") into out[0, KEY_BYTES) and returns out. */
  keyInto(k: number, out: Uint8Array): Uint8Array {
    for (let i = 0; i < KEY_PREFIX.length; i++) out[i] = KEY_PREFIX.charCodeAt(i);
    let n = k;
    for (let i = KEY_BYTES - 1; i >= KEY_PREFIX.length; i--) {
      out[i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    return out;
  }

  key(k: number): Uint8Array {
    return this.keyInto(k, new Uint8Array(KEY_BYTES));
  }

  keyName(k: number): string {
    return KEY_PREFIX + String(k).padStart(KEY_DIGITS, '0');
  }

  value(k: number, version: number): Uint8Array {
    const h = mix(k, version);
    const v = new Uint8Array(this.minLength + (h % this.lengthSpan));
    const dv = new DataView(v.buffer);
    dv.setUint32(0, k, true);
    dv.setUint32(4, version, true);
    let s = h | 1;
    for (let i = 8; i < v.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      v[i] = s & 0xff;
    }
    return v;
  }

  /** True when bytes[0, length) is exactly value(k, version), compared without allocating. */
  matches(k: number, version: number, bytes: Uint8Array, length = bytes.length): boolean {
    const h = mix(k, version);
    if (length !== this.minLength + (h % this.lengthSpan)) return false;
    if (readU32(bytes, 0) !== k || readU32(bytes, 4) !== version >>> 0) return false;
    let s = h | 1;
    for (let i = 8; i < length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      if (bytes[i] !== (s & 0xff)) return false;
    }
    return true;
  }

  isLive(k: number): boolean {
    return this.live[k] === 1;
  }

  // ------------------------------------------------------------------ writes (recorded at issue)

  /** Records an upsert of k and returns the value to write. */
  upsert(k: number): Uint8Array {
    const version = ++this.versions[k]!;
    this.live[k] = 1;
    return this.value(k, version);
  }

  /** Records a load of k with version 0 (the load phase). */
  load(k: number): Uint8Array {
    this.versions[k] = 0;
    this.live[k] = 1;
    return this.value(k, 0);
  }

  delete(k: number): void {
    this.versions[k]!++;
    this.live[k] = 0;
  }

  /**
   * Records an RMW of k and returns [update function, expected new version]. The function is pure:
   * from the old value's version v it produces version v + 1, and from an absent value the version
   * that follows this key's newest write; it checks the old value it is given against the oracle.
   */
  rmw(k: number): [(old: Uint8Array | undefined) => Uint8Array, number] {
    const wasLive = this.live[k] === 1;
    const oldVersion = this.versions[k]!;
    const next = oldVersion + 1;
    this.versions[k] = next;
    this.live[k] = 1;
    const fn = (old: Uint8Array | undefined): Uint8Array => {
      this.checkValue('rmw (old value)', k, wasLive, oldVersion, old);
      const version = old === undefined || old.length < 8 ? next : readU32(old, 4) + 1;
      return this.value(k, version);
    };
    return [fn, next];
  }

  // ------------------------------------------------------------------ checks

  /** What a read of k must return now: the version, or -1 when absent. */
  expectedVersion(k: number): number {
    return this.live[k] === 1 ? this.versions[k]! : -1;
  }

  /** Checks a read result against an expectation taken when the read was issued. */
  check(operation: string, k: number, expectedVersion: number, got: Uint8Array | undefined, length?: number): boolean {
    return this.checkValue(operation, k, expectedVersion >= 0, expectedVersion, got, length);
  }

  private checkValue(
    operation: string, k: number, live: boolean, version: number, got: Uint8Array | undefined, length?: number,
  ): boolean {
    this.checks++;
    const ok = live ? got !== undefined && this.matches(k, version, got, length ?? got.length) : got === undefined;
    if (!ok) this.recordMismatch(operation, k, live ? version : -1, got, length);
    return ok;
  }

  private recordMismatch(operation: string, k: number, version: number, got: Uint8Array | undefined, length?: number): void {
    this.mismatchCount++;
    if (this.mismatches.length >= MAX_MISMATCHES_KEPT) return;
    const expected = version < 0 ? 'absent' : `version ${version} (${this.value(k, version).length} B)`;
    this.mismatches.push({ operation, key: this.keyName(k), expected, got: this.describe(got, length) });
  }

  private describe(got: Uint8Array | undefined, length?: number): string {
    if (got === undefined) return 'absent';
    const n = length ?? got.length;
    if (n < 8) return `${n} B (too short to be a demo value)`;
    const gk = readU32(got, 0);
    const gv = readU32(got, 4);
    const intact = gk < this.records && this.matches(gk, gv, got, n);
    return `${n} B, ${intact ? '' : 'corrupt bytes claiming '}key ${this.keyName(gk)} version ${gv}`;
  }
}

function readU32(b: Uint8Array, offset: number): number {
  return (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0;
}
