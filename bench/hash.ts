/**
 * Hash candidates for the hot index: speed (ns per hash, 8- and 32-byte keys) and distribution
 * quality (chi-square over 2^18 buckets and over the 14-bit tags, for sequential keys in several
 * encodings, plus (bucket, tag) collision pairs against the ideal expectation).
 *
 *   npm run bench:hash                    # or: node dist/bench/hash.js [--keys 4M] [--iterations 10M]
 *
 * Timing runs each candidate in its own child process so every call site stays monomorphic.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { hashKey, lastTag } from '../src/core/key-hash.js';
import { Flags } from './lib/args.js';
import { CANDIDATES, type HashCandidate } from './lib/hashes.js';
import { fmtInt, renderTable } from './lib/table.js';
import { Rng, writeKey } from './lib/workload.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = resolve(dirname(THIS_FILE), '..', '..');

const ALL: readonly HashCandidate[] = [
  ...CANDIDATES,
  { name: 'src/core/key-hash', description: "the engine's current hashKey + lastTag", tagSource: 'own lane', hash: hashKey, tag: lastTag },
];

const BASELINE: HashCandidate = {
  name: 'baseline',
  description: 'loop overhead: returns the first byte',
  tagSource: 'top 14 bits',
  hash: (b: Uint8Array, l: number): number => b[0]! + l,
  tag: (): number => 0,
};

type Encoding = 'seq-be-8' | 'seq-le-8' | 'seq-be-32' | 'random-8';
const ENCODINGS: readonly Encoding[] = ['seq-be-8', 'seq-le-8', 'seq-be-32', 'random-8'];

function encode(enc: Encoding, i: number, out: Uint8Array, rng: Rng): void {
  switch (enc) {
    case 'seq-be-8':
    case 'seq-be-32':
      writeKey(i, out);
      return;
    case 'seq-le-8': {
      let v = i;
      for (let b = 0; b < 8; b++) {
        out[b] = v & 0xff;
        v = Math.floor(v / 256);
      }
      return;
    }
    case 'random-8':
      for (let b = 0; b < 8; b += 4) {
        const r = rng.u32();
        out[b] = r & 0xff;
        out[b + 1] = (r >>> 8) & 0xff;
        out[b + 2] = (r >>> 16) & 0xff;
        out[b + 3] = r >>> 24;
      }
  }
}

interface Quality {
  encoding: Encoding;
  keys: number;
  /** (chi2 - df) / sqrt(2 df) over 2^18 buckets: about N(0,1) for an ideal hash; |z| > 4 is suspicious. */
  bucketZ: number;
  bucketChi2PerDf: number;
  /** Same over the 2^14 tag values. */
  tagZ: number;
  /** Largest bucket load vs the mean. */
  maxBucketLoad: number;
  meanBucketLoad: number;
  /** Key pairs that share bucket and tag (false matches the index must resolve on the log), 2^18 buckets. */
  pairs18: number;
  pairs18Expected: number;
  /** The same with 2^22 buckets (a 16M-record table): single-lane hashes lose tag bits here. */
  pairs22: number;
  pairs22Expected: number;
}

function zScore(counts: Uint32Array, n: number): { z: number; perDf: number } {
  const bins = counts.length;
  const expected = n / bins;
  let chi2 = 0;
  for (let i = 0; i < bins; i++) {
    const d = counts[i]! - expected;
    chi2 += (d * d) / expected;
  }
  const df = bins - 1;
  return { z: (chi2 - df) / Math.sqrt(2 * df), perDf: chi2 / df };
}

function collisionPairs(combined: Float64Array): number {
  combined.sort();
  let pairs = 0;
  let run = 1;
  for (let i = 1; i <= combined.length; i++) {
    if (i < combined.length && combined[i] === combined[i - 1]) {
      run++;
    } else {
      pairs += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return pairs;
}

function quality(c: HashCandidate, enc: Encoding, n: number): Quality {
  const keyLen = enc === 'seq-be-32' ? 32 : 8;
  const key = new Uint8Array(keyLen);
  const rng = new Rng(7);
  const buckets18 = new Uint32Array(1 << 18);
  const tags = new Uint32Array(1 << 14);
  const comb18 = new Float64Array(n);
  const comb22 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    encode(enc, i, key, rng);
    const h = c.hash(key, keyLen) >>> 0;
    const t = c.tag();
    const b18 = h & 0x3ffff;
    buckets18[b18]!++;
    tags[t]!++;
    comb18[i] = b18 * 16384 + t;
    comb22[i] = (h & 0x3fffff) * 16384 + t;
  }
  const b = zScore(buckets18, n);
  const t = zScore(tags, n);
  let max = 0;
  for (let i = 0; i < buckets18.length; i++) if (buckets18[i]! > max) max = buckets18[i]!;
  const pairsAll = (n * (n - 1)) / 2;
  return {
    encoding: enc,
    keys: n,
    bucketZ: b.z,
    bucketChi2PerDf: b.perDf,
    tagZ: t.z,
    maxBucketLoad: max,
    meanBucketLoad: n / buckets18.length,
    pairs18: collisionPairs(comb18),
    pairs18Expected: pairsAll / 2 ** 32,
    pairs22: collisionPairs(comb22),
    pairs22Expected: pairsAll / 2 ** 36,
  };
}

/** ns per hash (+ tag read), best of `reps`, hashing a ring of 4096 distinct keys held in cache. */
function timeHash(c: HashCandidate, keyLen: number, iterations: number, reps: number): number {
  const ring = 4096;
  const keys: Uint8Array[] = [];
  for (let i = 0; i < ring; i++) {
    const k = new Uint8Array(keyLen);
    writeKey(i * 7919, k);
    keys.push(k);
  }
  const hash = c.hash;
  const tag = c.tag;
  let best = Infinity;
  let acc = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) {
      acc ^= hash(keys[i & (ring - 1)]!, keyLen) ^ tag();
    }
    const ns = ((performance.now() - t0) * 1e6) / iterations;
    if (ns < best) best = ns;
  }
  if (acc === 0x7fffffff) process.stderr.write('.'); // keep acc alive
  return best;
}

interface Timing {
  name: string;
  ns8: number;
  ns32: number;
}

function timeInChild(name: string, iterations: number): Timing {
  const r = spawnSync(process.execPath, [THIS_FILE, '--time-child', name, '--iterations', String(iterations)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`timing child for ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Timing;
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === '--time-child') {
    const name = argv[1]!;
    const flags = new Flags(argv.slice(2));
    const iterations = flags.count('iterations', 10_000_000);
    const c = name === 'baseline' ? BASELINE : ALL.find((x) => x.name === name);
    if (c === undefined) throw new Error(`unknown hash ${name}`);
    const t: Timing = { name, ns8: timeHash(c, 8, iterations, 5), ns32: timeHash(c, 32, Math.ceil(iterations / 2), 5) };
    process.stdout.write(JSON.stringify(t));
    return;
  }
  const flags = new Flags(argv);
  const keys = flags.count('keys', 1 << 22);
  const iterations = flags.count('iterations', 10_000_000);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = flags.string('out', join(REPO_ROOT, 'bench', 'results', `hash-${stamp}.json`));
  flags.rejectUnknown();

  process.stderr.write(`timing ${ALL.length} hashes (${fmtInt(iterations)} iterations, best of 5, one child each)\n`);
  const base = timeInChild('baseline', iterations);
  const timings = ALL.map((c) => timeInChild(c.name, iterations));
  process.stderr.write(`distribution over ${fmtInt(keys)} keys per encoding\n`);
  const qualities = ALL.map((c) => ({ name: c.name, q: ENCODINGS.map((e) => quality(c, e, keys)) }));

  const lines: string[] = [];
  lines.push(`Key hash candidates — node ${process.version}, ${cpus()[0]?.model ?? '?'}`);
  lines.push('');
  lines.push(`Speed: ns per hash + tag (best of 5; loop overhead ${base.ns8.toFixed(2)} ns at 8 B, ${base.ns32.toFixed(2)} ns at 32 B; "net" subtracts it)`);
  lines.push(
    renderTable(
      ['hash', '8 B ns', '8 B net', '32 B ns', '32 B net', 'tag lane', 'what'],
      ALL.map((c, i) => {
        const t = timings[i]!;
        return [c.name, t.ns8.toFixed(2), (t.ns8 - base.ns8).toFixed(2), t.ns32.toFixed(2), (t.ns32 - base.ns32).toFixed(2), c.tagSource, c.description];
      }),
    ),
  );
  lines.push('');
  lines.push(
    `Distribution: ${fmtInt(keys)} keys per encoding; z = (chi2 - df)/sqrt(2 df) over 2^18 buckets and 2^14 tags (ideal: |z| < ~3);` +
      ` pairs = key pairs sharing (bucket, tag) at 2^18 / 2^22 buckets vs ideal`,
  );
  const rows: string[][] = [];
  for (const { name, q } of qualities) {
    for (const x of q) {
      rows.push([
        name,
        x.encoding,
        x.bucketZ.toFixed(1),
        x.tagZ.toFixed(1),
        `${x.maxBucketLoad} / ${x.meanBucketLoad.toFixed(0)}`,
        `${fmtInt(x.pairs18)} / ${fmtInt(x.pairs18Expected)}`,
        `${fmtInt(x.pairs22)} / ${fmtInt(x.pairs22Expected)}`,
      ]);
    }
  }
  lines.push(renderTable(['hash', 'keys', 'bucket z', 'tag z', 'max/mean load', 'pairs@2^18 (ideal)', 'pairs@2^22 (ideal)'], rows));
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ benchmark: 'hash', date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, iterations, keys, baseline: base, timings, qualities, table: text }, null, 2)}\n`,
  );
  process.stdout.write(`\nJSON: ${out}\n`);
}

main();
