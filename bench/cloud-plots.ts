/**
 * Plots of the cloud benchmark, drawn from its JSON with vega-lite (compiled to vega, rendered to
 * SVG headless by vega.View#toSVG — no browser):
 *
 *   cloud-throughput.svg  ops/s per store and cell (log scale), at each in-flight level
 *   cloud-latency-cdf.svg read and update latency CDFs of B zipf at 64 in flight (from the HDR percentiles)
 *   cloud-requests.svg    object-store requests per operation by kind, per store and cell
 *   cloud-dollars.svg     dollars per million operations per store and cell (log scale)
 *   cloud-concurrency.svg read p50 / p99 against operations in flight (when several levels ran)
 *
 *   npm run bench:cloud:plots                                    # from bench/results/cloud.summary.json
 *   node dist/bench/cloud-plots.js --json bench/results/cloud-minio-<ts>.json --out docs/bench
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { REQUEST_KINDS } from './lib/counting-proxy.js';
import type { CloudSummary } from './lib/cloud-types.js';

const STORE_ORDER = ['f2', 'faster-bucket', 'slatedb'];
const STORE_COLORS = ['#1f77b4', '#2ca02c', '#d62728'];

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A log-scale domain over whole decades around the values (bars on a log scale must not start at 0). */
function logDomain(values: readonly number[]): [number, number] {
  const pos = values.filter((v) => v > 0);
  if (pos.length === 0) return [1, 10];
  const lo = 10 ** Math.floor(Math.log10(Math.min(...pos)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...pos)));
  return [lo, hi > lo ? hi : lo * 10];
}

function storeColor(): { field: string; type: 'nominal'; scale: { domain: string[]; range: string[] }; title: string } {
  return { field: 'store', type: 'nominal', scale: { domain: STORE_ORDER, range: STORE_COLORS }, title: 'store' };
}

function subtitle(s: CloudSummary): string {
  return `${(s.records / 1e6).toFixed(s.records % 1e6 === 0 ? 0 : 1)}M records x ${s.keySize + s.valueSize} B, memory ${(s.memoryBytes / 2 ** 20).toFixed(1)} MiB, ${s.backend}, every request counted by one proxy`;
}

export async function renderCloudPlots(s: CloudSummary, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, spec: TopLevelSpec): Promise<void> => {
    const file = join(outDir, name);
    writeFileSync(file, await toSvg(spec));
    files.push(file);
  };
  const cellOrder = [...new Set(s.cells.map((c) => c.cell))];
  const suffix = s.backend === 'minio' ? '' : `-${s.backend}`;

  // Throughput.
  const tp = s.cells.map((c) => ({ store: c.store, cell: c.cell, inFlight: `${c.inFlight} in flight`, opsPerSec: Math.max(1, c.opsPerSec) }));
  await write(`cloud-throughput${suffix}.svg`, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Throughput (ops/s, log scale)', subtitle: subtitle(s) },
    data: { values: tp },
    facet: { column: { field: 'inFlight', type: 'nominal', title: null, sort: s.inFlight.map((n) => `${n} in flight`) } },
    spec: {
      width: 70 * Math.max(1, cellOrder.length),
      height: 220,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'cell', type: 'nominal', sort: cellOrder, title: null, axis: { labelAngle: -30 } },
        xOffset: { field: 'store', sort: STORE_ORDER },
        y: { field: 'opsPerSec', type: 'quantitative', stack: null, scale: { type: 'log', domain: logDomain(tp.map((d) => d.opsPerSec)) }, title: 'ops/s' },
        color: storeColor(),
      },
    },
  } as TopLevelSpec);

  // Latency CDFs of B zipf at 64 in flight (or the first level).
  const level = s.inFlight.includes(64) ? 64 : s.inFlight[0]!;
  const cdfCell = s.cells.some((c) => c.cell === 'B zipf') ? 'B zipf' : cellOrder[0]!;
  const cdf: { store: string; kind: string; percentile: number; ms: number }[] = [];
  for (const c of s.cells) {
    if (c.cell !== cdfCell || c.inFlight !== level) continue;
    for (const kind of ['read', 'update'] as const) {
      const l = c.latency[kind];
      if (l === undefined) continue;
      for (const [p, us] of l.cdf) cdf.push({ store: c.store, kind, percentile: p, ms: Math.max(0.001, us / 1000) });
    }
  }
  await write(`cloud-latency-cdf${suffix}.svg`, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Latency CDF, ${cdfCell}, ${level} in flight (ms, log scale)`, subtitle: subtitle(s) },
    data: { values: cdf },
    facet: { column: { field: 'kind', type: 'nominal', title: null } },
    spec: {
      width: 300,
      height: 220,
      mark: { type: 'line', point: { size: 12 }, tooltip: true },
      encoding: {
        x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms)' },
        y: { field: 'percentile', type: 'quantitative', title: 'percentile', scale: { domain: [0, 100] } },
        color: storeColor(),
      },
    },
  } as TopLevelSpec);

  // Requests per operation by kind.
  const rq: { store: string; cell: string; kind: string; perOp: number }[] = [];
  for (const c of s.cells) {
    if (c.inFlight !== level) continue;
    for (const k of REQUEST_KINDS) if (c.requests.perOp[k] > 0) rq.push({ store: c.store, cell: c.cell, kind: k, perOp: c.requests.perOp[k] });
  }
  await write(`cloud-requests${suffix}.svg`, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Object-store requests per operation, by kind (${level} in flight)`, subtitle: subtitle(s) },
    data: { values: rq },
    facet: { column: { field: 'cell', type: 'nominal', sort: cellOrder, title: null } },
    spec: {
      width: 110,
      height: 220,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'store', type: 'nominal', sort: STORE_ORDER, title: null, axis: { labelAngle: -30 } },
        y: { field: 'perOp', type: 'quantitative', title: 'requests per operation', stack: 'zero' },
        color: { field: 'kind', type: 'nominal', sort: [...REQUEST_KINDS], title: 'request' },
      },
    },
  } as TopLevelSpec);

  // Dollars per million operations.
  const dl = s.cells.filter((c) => c.inFlight === level).map((c) => ({ store: c.store, cell: c.cell, dollars: Math.max(1e-4, c.requests.dollarsPerMillionOps) }));
  for (const l of s.loads) dl.push({ store: l.store, cell: 'load (per M records)', dollars: Math.max(1e-4, l.requests.dollarsPerMillionOps) });
  const p = s.prices;
  await write(`cloud-dollars${suffix}.svg`, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Request dollars per million operations (log scale, ${level} in flight)`,
      subtitle: [subtitle(s), `prices per 1,000 requests: GET $${p.get}, PUT/POST $${p.put}, LIST $${p.list}, HEAD $${p.head}, DELETE $${p.delete}`],
    },
    data: { values: dl },
    width: 80 * Math.max(1, cellOrder.length + 1),
    height: 220,
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'cell', type: 'nominal', sort: [...cellOrder, 'load (per M records)'], title: null, axis: { labelAngle: -30 } },
      xOffset: { field: 'store', sort: STORE_ORDER },
      y: { field: 'dollars', type: 'quantitative', stack: null, scale: { type: 'log', domain: logDomain(dl.map((d) => d.dollars)) }, title: '$ per million operations' },
      color: storeColor(),
    },
  } as TopLevelSpec);

  // Latency against concurrency.
  if (s.inFlight.length > 1) {
    const lc: { store: string; inFlight: number; stat: string; ms: number }[] = [];
    for (const c of s.cells) {
      if (c.cell !== cdfCell || c.latency.read === undefined) continue;
      lc.push({ store: c.store, inFlight: c.inFlight, stat: 'read p50', ms: Math.max(0.001, c.latency.read.p50us / 1000) });
      lc.push({ store: c.store, inFlight: c.inFlight, stat: 'read p99', ms: Math.max(0.001, c.latency.read.p99us / 1000) });
    }
    await write(`cloud-concurrency${suffix}.svg`, {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: `Read latency against operations in flight, ${cdfCell} (ms, log scales)`, subtitle: subtitle(s) },
      data: { values: lc },
      facet: { column: { field: 'stat', type: 'nominal', title: null } },
      spec: {
        width: 260,
        height: 220,
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x: { field: 'inFlight', type: 'quantitative', scale: { type: 'log' }, title: 'operations in flight' },
          y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms)' },
          color: storeColor(),
        },
      },
    } as TopLevelSpec);
  }
  return files;
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, '..', '..');
  const args = process.argv.slice(2);
  let json = join(root, 'bench', 'results', 'cloud.summary.json');
  let out = join(root, 'docs', 'bench');
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--json') json = resolve(args[++i] ?? '');
    else if (args[i] === '--out') out = resolve(args[++i] ?? '');
    else throw new Error(`unknown argument ${args[i]} (--json <file> --out <dir>)`);
  }
  const summary = JSON.parse(readFileSync(json, 'utf8')) as CloudSummary;
  const files = await renderCloudPlots(summary, out);
  process.stdout.write(`${files.join('\n')}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
