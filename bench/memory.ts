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
