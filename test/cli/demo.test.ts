/**
 * The demo (what `npm start` runs) in-process at a tiny size, on the real file device in a temp
 * directory, with a memory budget far below the data so flush, eviction and pending reads run;
 * and the command's help, version, usage errors and data-directory safety.
 */
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { DEMO_MARKER } from '../../src/cli/demo-dir.js';
import { loadPhase, verifyPhase, type DemoPhase } from '../../src/cli/demo-phases.js';
import { captureIo } from '../../src/cli/io.js';
import { main, USAGE } from '../../src/cli/main.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'f2kv-cli-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const TINY = { records: 4000, operations: 20_000, valueSize: 100, memory: 64 * 1024, pageSize: 8192, seed: 7 } as const;

describe('f2kv demo', () => {
  it('self-checks a larger-than-memory workload on the file device with zero mismatches and prints stats', async () => {
    const io = captureIo();
    const dir = join(root, 'data');
    const report = await runDemo({ ...TINY, dir }, io);
    const out = io.stdout();

    expect(report.ok).toBe(true);
    expect(report.mismatchCount).toBe(0);
    // load checks nothing; mixed reads/rmws and the final verify of every key do.
    expect(report.checks).toBeGreaterThan(TINY.records);
    expect(report.phases.map((p) => p.name)).toEqual(['load', 'mixed workload', 'checkpoint', 'verify all keys', 'recover + verify']);
    for (const p of report.phases) expect(p.opsPerSecond).toBeGreaterThan(0);

    // The data really did not fit: pages were flushed and evicted, and reads went to the device.
    const { log, operations } = report.stats;
    expect(log.pagesFlushed).toBeGreaterThan(0);
    expect(log.pagesEvicted).toBeGreaterThan(0);
    expect(operations.pendingReads).toBeGreaterThan(0);
    expect(log.headAddress).toBeGreaterThan(log.beginAddress);
    expect(report.device).toMatch(/^file:\/\//);

    expect(out).toContain('Throughput');
    expect(out).toMatch(/mixed workload\s+20,000/);
    expect(out).toContain('pages');
    expect(out).toContain('pending reads');
    expect(out).toContain('index');
    expect(out).toContain('0 mismatches. OK');
    // The store was closed (final checkpoint), reopened from it and checked again.
    expect(out).toMatch(/reopened from checkpoint \d{6}-[0-9a-f]{8}/);
    const recovered = report.phases.find((p) => p.name === 'recover + verify')!;
    expect(recovered.operations).toBeGreaterThan(0);
    expect(io.stderr()).toContain('load: 100%');

    const files = await readdir(join(dir, 'hot'));
    expect(files.some((f) => f.endsWith('.f2log'))).toBe(true);
    const marker = JSON.parse(await readFile(join(dir, DEMO_MARKER), 'utf8')) as { kind: string; lastRun: { ok: boolean } };
    expect(marker.kind).toBe('f2kv-demo');
    expect(marker.lastRun.ok).toBe(true);

    // A second run replaces the first one's data in place.
    const again = await runDemo({ ...TINY, dir, operations: 1000, verify: false }, captureIo());
    expect(again.ok).toBe(true);

    // inspect reads the marker and lists the log files.
    const inspectIo = captureIo();
    expect(await main(['inspect', dir], inspectIo)).toBe(0);
    expect(inspectIo.stdout()).toContain('Newest run');
    expect(inspectIo.stdout()).toContain('hot/segment-');
  });

  it('reports a value the store returns that the oracle did not expect', async () => {
    // A phase that writes behind the oracle's back: the verify phase must catch every such key.
    const sabotage: DemoPhase = {
      name: 'sabotage',
      async run(ctx) {
        for (const k of [3, 1000, 3999]) await ctx.session.upsert(ctx.oracle.key(k), ctx.oracle.value(k, 99));
        await ctx.session.delete(ctx.oracle.key(17));
        return { name: this.name, operations: 4, ms: 1 };
      },
    };
    const io = captureIo();
    const report = await runDemo({ ...TINY, dir: join(root, 'data'), phases: [loadPhase, sabotage, verifyPhase] }, io);
    expect(report.ok).toBe(false);
    expect(report.mismatchCount).toBe(4);
    expect(report.mismatches.map((m) => m.key)).toEqual(['key:0000000003', 'key:0000000017', 'key:0000001000', 'key:0000003999']);
    expect(report.mismatches[0]!.expected).toMatch(/^version 0 \(\d+ B\)$/);
    expect(report.mismatches[0]!.got).toMatch(/B, key key:0000000003 version 99$/);
    expect(report.mismatches[1]!.got).toBe('absent');
    expect(io.stdout()).toContain('Self-check FAILED: 4 of');
  });

  it('refuses a non-empty directory that is not a demo directory, and --fresh touches only its own entries', async () => {
    const dir = join(root, 'precious');
    await mkdir(dir);
    await writeFile(join(dir, 'thesis.txt'), 'do not delete');
    const io = captureIo();
    expect(await main(['demo', '--dir', dir, '--records', '100', '--ops', '100'], io)).toBe(2);
    expect(io.stderr()).toContain('is not an f2kv demo directory');
    expect(await readdir(dir)).toEqual(['thesis.txt']);

    const fresh = captureIo();
    expect(await main(['demo', '--dir', dir, '--fresh', '--records', '500', '--ops', '500', '--memory', '16KiB', '--page-size', '4KiB'], fresh)).toBe(0);
    expect(await readFile(join(dir, 'thesis.txt'), 'utf8')).toBe('do not delete');
    expect(fresh.stdout()).toContain('0 mismatches. OK');
  });
});

describe('f2kv command', () => {
  it('help prints usage', async () => {
    const io = captureIo();
    expect(await main(['help'], io)).toBe(0);
    expect(io.stdout()).toBe(USAGE);
    expect(io.stdout()).toContain('Usage:');
    expect(io.stdout()).toContain('--records');
    const dash = captureIo();
    expect(await main(['--help'], dash)).toBe(0);
    expect(dash.stdout()).toBe(USAGE);
  });

  it('version prints the package version', async () => {
    const io = captureIo();
    expect(await main(['version'], io)).toBe(0);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(io.stdout()).toContain(`f2kv ${pkg.version}`);
  });

  it('rejects unknown commands and options with status 2', async () => {
    const a = captureIo();
    expect(await main(['frobnicate'], a)).toBe(2);
    expect(a.stderr()).toContain('unknown command "frobnicate"');
    const b = captureIo();
    expect(await main(['demo', '--no-such-flag'], b)).toBe(2);
    expect(b.stderr()).toContain('f2kv help');
    const c = captureIo();
    expect(await main(['demo', '--records', 'many'], c)).toBe(2);
    expect(c.stderr()).toContain('--records');
  });
});
