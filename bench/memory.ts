/**
 * Memory per record of f2kv alone: one process that does nothing but load N records (8-byte keys
 * and values by default) into an in-memory store, for several index sizes, and report
 *   - structural bytes: the index table plus the log page frames f2kv allocated,
 *   - RSS growth of the process after a full GC,
 * each per record and beyond key + value, plus the read latency of a uniform lookup so the
 * memory/speed trade-off of the index size is visible. The YCSB benchmark's RSS figure is higher
 * because its child process also holds the workload stream and bookkeeping.
 *
 *   node --expose-gc dist/bench/memory.js [--records 1000000] [--buckets 262144,131072]
 *   node --expose-gc dist/bench/memory.js --scenario huge [--records 100000000] [--buckets …]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { FasterKv } from '../src/index.js';
import { fullGc } from './lib/memory.js';
import { renderTable, fmtInt } from './lib/table.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const records = Number(flag('records', '1000000'));
const bucketChoices = flag('buckets', '262144,131072').split(',').map(Number);
const lookups = 2_000_000;

interface Row {
  buckets: number;
  structuralBeyond: number;
  rssBeyond: number;
  indexBytesPerRecord: number;
  overflowBuckets: number;
  lookupNs: number;
}

async function measure(buckets: number): Promise<Row> {
  if (!fullGc()) throw new Error('run with node --expose-gc');
  const before = process.memoryUsage().rss;
  const store = await FasterKv.open({ index: { buckets, autoGrow: false }, log: { device: 'memory://', pageSize: '4MiB', memorySize: '4GiB' } });
  const s = store.startSession();
  const key = new Uint8Array(8);
  const view = new DataView(key.buffer);
  const value = new Uint8Array(8);
  for (let i = 0; i < records; i++) {
    view.setUint32(0, Math.imul(i, 0x9e3779b1) >>> 0, true);
    s.upsertSync(key, value);
  }
  fullGc();
  const rss = process.memoryUsage().rss - before;
  const st = store.stats();
  const picks = new Uint32Array(lookups);
  for (let i = 0; i < lookups; i++) picks[i] = (Math.random() * records) >>> 0;
  const out = new Uint8Array(8);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    for (let i = 0; i < lookups; i++) {
      view.setUint32(0, Math.imul(picks[i]!, 0x9e3779b1) >>> 0, true);
      if (s.readInto(key, out) !== 8) throw new Error('a loaded key is missing');
    }
    best = Math.min(best, ((performance.now() - t) * 1e6) / lookups);
  }
  await store.close();
  return {
    buckets,
    structuralBeyond: (st.index.bytes + st.log.memoryBytes) / records - 16,
    rssBeyond: rss / records - 16,
    indexBytesPerRecord: st.index.bytes / records,
    overflowBuckets: st.index.overflowBuckets,
    lookupNs: best,
  };
}

/**
 * `--scenario huge`: 100M records (8 B keys and values) in one store, loaded and every one read
 * back and checked, with the load rate and RSS printed. A Map<string, …> stops at 2^24 entries
 * (16.7M). Not for CI: it needs about 8 GiB and minutes. Flags: --records, --buckets.
 */
async function huge(): Promise<void> {
  const n = Number(flag('records', '100000000'));
  const buckets = Number(flag('buckets', String(2 ** Math.max(4, Math.round(Math.log2(n / 6))))));
  fullGc();
  const before = process.memoryUsage().rss;
  const logMemory = Math.ceil((n * 40 * 1.05) / 2 ** 22) * 2 ** 22 + 2 ** 24;
  const store = await FasterKv.open({ index: { buckets, autoGrow: false }, log: { device: 'memory://', pageSize: '4MiB', memorySize: logMemory } });
  const s = store.startSession();
  const key = new Uint8Array(8);
  const view = new DataView(key.buffer);
  const value = new Uint8Array(8);
  const valueView = new DataView(value.buffer);
  const say = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  say(`huge: ${fmtInt(n)} records, 8 B keys and values, ${fmtInt(buckets)} buckets, memory:// log of up to ${(logMemory / 2 ** 30).toFixed(2)} GiB`);
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    view.setUint32(0, Math.imul(i, 0x9e3779b1) >>> 0, true);
    view.setUint32(4, i, true);
    valueView.setUint32(0, i, true);
    valueView.setUint32(4, ~i, true);
    s.upsertSync(key, value);
    if (i % 10_000_000 === 9_999_999) say(`loaded ${fmtInt(i + 1)} (rss ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB)`);
  }
  const loadSeconds = (performance.now() - t) / 1000;
  fullGc();
  const rss = process.memoryUsage().rss - before;
  const st = store.stats();
  say(`load: ${loadSeconds.toFixed(1)} s, ${fmtInt(n / loadSeconds)} records/s; RSS +${(rss / 2 ** 30).toFixed(2)} GiB = ${(rss / n - 16).toFixed(1)} B per record beyond key and value; structural ${((st.index.bytes + st.log.memoryBytes) / n - 16).toFixed(1)} B (index ${(st.index.bytes / n).toFixed(1)} B, ${fmtInt(st.index.overflowBuckets)} overflow buckets)`);
  t = performance.now();
  const out = new Uint8Array(8);
  const outView = new DataView(out.buffer);
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    view.setUint32(0, Math.imul(i, 0x9e3779b1) >>> 0, true);
    view.setUint32(4, i, true);
    if (s.readInto(key, out) !== 8 || outView.getUint32(0, true) !== i || outView.getUint32(4, true) !== (~i >>> 0)) wrong++;
  }
  const verifySeconds = (performance.now() - t) / 1000;
  say(`verified all ${fmtInt(n)} records in ${verifySeconds.toFixed(1)} s (${fmtInt(n / verifySeconds)} reads/s): ${fmtInt(wrong)} wrong`);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/memory-huge-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ benchmark: 'memory-huge', command: process.argv.join(' '), records: n, buckets, loadSeconds, loadRate: n / loadSeconds, rssBytes: rss, rssBeyondPerRecord: rss / n - 16, structuralBeyondPerRecord: (st.index.bytes + st.log.memoryBytes) / n - 16, verifySeconds, wrong }, null, 2));
  say(`JSON: ${file}`);
  await store.close();
  if (wrong > 0) process.exit(1);
}

if (flag('scenario', 'table') === 'huge') {
  await huge();
  process.exit(0);
}

const rows: Row[] = [];
for (const b of bucketChoices) rows.push(await measure(b));
console.log(`f2kv memory per record: ${fmtInt(records)} records, 8 B keys and values, memory:// log, 4 MiB pages\n`);
console.log(
  renderTable(
    ['buckets', 'index B/rec', 'overflow buckets', 'structural beyond k+v', 'RSS beyond k+v', 'uniform lookup ns'],
    rows.map((r) => [fmtInt(r.buckets), r.indexBytesPerRecord.toFixed(1), fmtInt(r.overflowBuckets), r.structuralBeyond.toFixed(1), r.rssBeyond.toFixed(1), r.lookupNs.toFixed(0)]),
  ),
);
mkdirSync('bench/results', { recursive: true });
const out = `bench/results/memory-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(out, JSON.stringify({ benchmark: 'memory', command: process.argv.join(' '), records, rows }, null, 2));
console.log(`\nJSON: ${out}`);
