/**
 * YCSB-style workloads, precomputed into typed arrays before anything is timed.
 *
 * - Workloads: A = 50% read / 50% update, B = 95% read / 5% update, C = 100% read,
 *   F = 50% read / 50% read-modify-write (YCSB core workloads; D and E are not modelled).
 * - Key choice: uniform over [0, records), or scrambled Zipf with θ = 0.99 as in YCSB's
 *   ScrambledZipfianGenerator: a Zipf rank is drawn (Gray et al., "Quickly generating
 *   billion-record synthetic databases") and then hashed onto the key space so that the hot keys
 *   are scattered, not the lowest key indexes.
 * - Everything is driven by one seeded PRNG (sfc32), so a run is reproducible from --seed.
 */

export type WorkloadName = 'A' | 'B' | 'C' | 'F';
export type Distribution = 'uniform' | 'zipf';

export const OP_READ = 0;
export const OP_UPDATE = 1;
export const OP_RMW = 2;

export const WORKLOADS: Record<WorkloadName, { read: number; update: number; rmw: number; label: string }> = {
  A: { read: 0.5, update: 0.5, rmw: 0, label: '50% read / 50% update' },
  B: { read: 0.95, update: 0.05, rmw: 0, label: '95% read / 5% update' },
  C: { read: 1, update: 0, rmw: 0, label: '100% read' },
  F: { read: 0.5, update: 0, rmw: 0.5, label: '50% read / 50% read-modify-write' },
};

export function isWorkloadName(s: string): s is WorkloadName {
  return s === 'A' || s === 'B' || s === 'C' || s === 'F';
}

export function isDistribution(s: string): s is Distribution {
  return s === 'uniform' || s === 'zipf';
}

/** sfc32: small, fast, 32-bit state PRNG with good statistical quality. Seeded by splitmix32. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }
}

/** Zipf over ranks [0, n) with parameter theta (YCSB ZipfianGenerator, Gray et al.). */
export class ZipfGenerator {
  private readonly n: number;
  private readonly theta: number;
  private readonly alpha: number;
  private readonly zetan: number;
  private readonly eta: number;
  private readonly half: number;

  constructor(n: number, theta: number) {
    if (n < 2) throw new Error('Zipf needs at least 2 items');
    this.n = n;
    this.theta = theta;
    this.zetan = zeta(n, theta);
    const zeta2 = zeta(2, theta);
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - Math.pow(2 / n, 1 - theta)) / (1 - zeta2 / this.zetan);
    this.half = 1 + Math.pow(0.5, theta);
  }

  next(u: number): number {
    const uz = u * this.zetan;
    if (uz < 1) return 0;
    if (uz < this.half) return 1;
    const r = Math.floor(this.n * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    return r < this.n ? r : this.n - 1;
  }

  /** The probability of the rank-0 item, for reporting. */
  topProbability(): number {
    return 1 / this.zetan;
  }
}

const zetaCache = new Map<string, number>();

function zeta(n: number, theta: number): number {
  const key = `${n}:${theta}`;
  const hit = zetaCache.get(key);
  if (hit !== undefined) return hit;
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += 1 / Math.pow(i, theta);
  zetaCache.set(key, sum);
  return sum;
}

/** Scrambles a Zipf rank onto the key space (YCSB hashes the rank with FNV-64; we use a 32-bit
 *  avalanche of the rank's two halves, which serves the same purpose: hot keys land anywhere). */
export function scramble(rank: number, n: number): number {
  let h = Math.imul((rank >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  h ^= Math.floor(rank / 4294967296);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) % n;
}

export interface OpStream {
  readonly workload: WorkloadName;
  readonly dist: Distribution;
  /** OP_READ, OP_UPDATE or OP_RMW per operation. */
  readonly ops: Uint8Array;
  /** Key index per operation, in [0, records). */
  readonly keys: Uint32Array;
  readonly counts: { read: number; update: number; rmw: number };
  /** Number of distinct keys the stream touches (a skew sanity check). */
  readonly distinctKeys: number;
}

export function generateOps(
  workload: WorkloadName,
  dist: Distribution,
  records: number,
  opCount: number,
  seed: number,
): OpStream {
  const mix = WORKLOADS[workload];
  // A separate stream per (workload, dist) so that each cell is reproducible on its own.
  const rng = new Rng((seed ^ Math.imul(workload.charCodeAt(0), 0x9e3779b1) ^ (dist === 'zipf' ? 0x5bd1e995 : 0)) >>> 0);
  const zipf = dist === 'zipf' ? new ZipfGenerator(records, 0.99) : undefined;
  const ops = new Uint8Array(opCount);
  const keys = new Uint32Array(opCount);
  let read = 0;
  let update = 0;
  let rmw = 0;
  for (let i = 0; i < opCount; i++) {
    const p = rng.float();
    let op: number;
    if (p < mix.read) {
      op = OP_READ;
      read++;
    } else if (p < mix.read + mix.update) {
      op = OP_UPDATE;
      update++;
    } else {
      op = OP_RMW;
      rmw++;
    }
    ops[i] = op;
    keys[i] = zipf ? scramble(zipf.next(rng.float()), records) : rng.below(records);
  }
  const seen = new Uint8Array(records);
  let distinct = 0;
  for (let i = 0; i < opCount; i++) {
    const k = keys[i]!;
    if (seen[k] === 0) {
      seen[k] = 1;
      distinct++;
    }
  }
  return { workload, dist, ops, keys, counts: { read, update, rmw }, distinctKeys: distinct };
}

/**
 * Writes key `index` into `out` (length = key size): the index as a big-endian 64-bit integer in
 * the last 8 bytes, preceded by a fixed filler for keys longer than 8 bytes. Keys shorter than 8
 * bytes keep the low bytes. Big-endian keeps byte order = numeric order, so load order is key
 * order for the ordered peers (lmdb, LevelDB).
 */
export function writeKey(index: number, out: Uint8Array): void {
  const n = out.length;
  let v = index;
  let i = n - 1;
  for (; i >= 0 && i >= n - 8; i--) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  for (; i >= 0; i--) out[i] = 0x6b; // 'k'
}

/** Fills a value of `out.length` bytes from a 32-bit stamp (little-endian, repeated). */
export function writeValue(stamp: number, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i] = (stamp >>> ((i & 3) << 3)) & 0xff;
}
