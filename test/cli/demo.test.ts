/**
 * The demo (what `npm start` runs) in-process at a tiny size: the two-tier store with the hot log,
 * the cold tier and the checkpoints in a temp directory, budgets far below the data so records
 * are flushed, evicted and migrated to cold; the --hot-only variant; inspect on both layouts; and
 * the command's help, version, usage errors and data-directory safety.
 */
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { DEMO_MARKER } from '../../src/cli/demo-dir.js';
import { loadPhase, verifyPhase, type DemoPhase } from '../../src/cli/demo-phases.js';
import { captureIo } from '../../src/cli/io.js';
import { main, usage } from '../../src/cli/main.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'f2kv-cli-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const TINY = { records: 4000, operations: 20_000, valueSize: 100, memory: 64 * 1024, pageSize: 8192, seed: 7 } as const;
/** Two tiers at a small size: 64 KiB of hot memory and a 128 KiB hot log for ~550 KiB of records; 16 KiB cold objects. */
const TIERS = { ...TINY, hotLogBudget: 128 * 1024, readCache: 16 * 1024, coldPageSize: 16 * 1024 } as const;

describe('f2kv demo', () => {
  it('runs the two-tier store: migrates to cold, reads every tier, verifies with zero mismatches, reopens and verifies again', async () => {
    const io = captureIo();
    const dir = join(root, 'data');
    const report = await runDemo({ ...TIERS, dir }, io);
    const out = io.stdout();

    expect(report.ok).toBe(true);
    expect(report.mismatchCount).toBe(0);
    expect(report.mode).toBe('two-tier');
    expect(report.phases.map((p) => p.name)).toEqual(['load', 'mixed workload', 'compact cold log', 'checkpoint', 'verify all keys', 'recover + verify']);
    for (const p of report.phases) expect(p.opsPerSecond).toBeGreaterThan(0);
    expect(report.checks).toBeGreaterThan(TIERS.records);

    // The data did not fit the hot tier: most records migrated to cold, and reads hit every tier.
    const t = report.tiers!;
    expect(t).toBeDefined();
    expect(t.hotToCold.passes).toBeGreaterThan(0);
    expect(t.hotToCold.recordsMoved).toBeGreaterThan(TIERS.records / 2);
    expect(t.coldToCold.passes).toBeGreaterThan(0);
    expect(t.reads.cold).toBeGreaterThan(0);
    expect(t.reads.hotMemory).toBeGreaterThan(0);
    expect(t.reads.hotDevice).toBeGreaterThan(0);
    expect(t.reads.readCache).toBeGreaterThan(0);
    expect(t.requests.cold.byKind.GET.requests).toBeGreaterThan(0);
    expect(t.requests.cold.byKind.PUT.requests).toBeGreaterThan(0);
    expect(t.coldObjects).toBeGreaterThan(0);
    expect(t.memory.total).toBeGreaterThan(0);
    expect(report.stats.log.pagesEvicted).toBeGreaterThan(0);
    expect(report.device).toMatch(/^file:\/\//);
    expect(report.coldUrl).toBe(pathToFileURL(join(dir, 'cold')).href);

    // Reopened from the final checkpoint and checked a sample again.
    const recovered = report.phases.find((p) => p.name === 'recover + verify')!;
    expect(recovered.operations).toBeGreaterThan(0);
    expect(out).toMatch(/reopened from F2 checkpoint \d{6}-[0-9a-f]{8}/);

    expect(out).toContain('Throughput');
    expect(out).toMatch(/mixed workload\s+20,000/);
    for (const line of ['Hot tier', 'Reads by tier', 'hot memory', 'read cache', 'hot device', 'cold tier', 'not found', 'hot → cold:', 'cold → cold:',
      'cold objects:', 'GETs per cold read:', 'PUTs per MiB:', 'Memory by structure', 'per million operations', 'longest event-loop pause:']) {
      expect(out).toContain(line);
    }
    expect(out).toMatch(/^\s+GET\s+[\d,]+/m);
    expect(out).toContain('0 mismatches. OK');
    expect(io.stderr()).toContain('load: 100%');

    expect((await readdir(join(dir, 'hot'))).some((f) => f.endsWith('.f2log'))).toBe(true);
    expect((await readdir(join(dir, 'cold'))).length).toBeGreaterThan(0);
    expect(await readdir(join(dir, 'checkpoints'))).toContain('f2');
    const marker = JSON.parse(await readFile(join(dir, DEMO_MARKER), 'utf8')) as { kind: string; lastRun: { ok: boolean; mode: string } };
    expect(marker.kind).toBe('f2kv-demo');
    expect(marker.lastRun.ok).toBe(true);
    expect(marker.lastRun.mode).toBe('two-tier');

    // inspect reads the marker, lists the F2 checkpoints and the files of both tiers.
    const inspectIo = captureIo();
    expect(await main(['inspect', dir], inspectIo)).toBe(0);
    expect(inspectIo.stdout()).toContain('Newest run');
    expect(inspectIo.stdout()).toContain('Reads by tier');
    expect(inspectIo.stdout()).toMatch(/F2 checkpoints \([1-9]/);
    expect(inspectIo.stdout()).toContain('hot/segment-');
    expect(inspectIo.stdout()).toContain('cold/');

    // A second run replaces the first one's data in place.
    const again = await runDemo({ ...TIERS, dir, operations: 1000, verify: false }, captureIo());
    expect(again.ok).toBe(true);
  });

  it('--hot-only self-checks a larger-than-memory workload on the hot tier alone', async () => {
    const io = captureIo();
    const dir = join(root, 'data');
    expect(await main(['demo', '--hot-only', '--dir', dir, '--records', '4000', '--ops', '20000', '--memory', '64KiB', '--page-size', '8KiB', '--seed', '7'], io)).toBe(0);
    const out = io.stdout();
    expect(out).toContain('(hot tier only)');
    expect(out).toMatch(/verify all keys\s+4,000/);
    expect(out).toMatch(/reopened from checkpoint \d{6}-[0-9a-f]{8}/);
    expect(out).not.toContain('Reads by tier');
    expect(out).toContain('0 mismatches. OK');

    // inspect says there are no F2 checkpoints instead of failing.
    const inspectIo = captureIo();
    expect(await main(['inspect', dir], inspectIo)).toBe(0);
    expect(inspectIo.stdout()).toContain('No F2 checkpoints');
    expect(inspectIo.stdout()).toContain('hot/segment-');
  });

  it('inspect prints a message for unreadable F2 manifests instead of throwing', async () => {
    const dir = join(root, 'data');
    expect((await runDemo({ ...TIERS, dir, operations: 500, verify: false }, captureIo())).ok).toBe(true);
    const manifests = join(dir, 'checkpoints', 'f2');
    await rm(manifests, { recursive: true });
    await writeFile(manifests, 'not a directory');
    const io = captureIo();
    expect(await main(['inspect', dir], io)).toBe(0);
    expect(io.stdout()).toContain('No F2 checkpoints');
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
    expect(io.stdout()).toBe(usage());
    expect(io.stdout()).toContain('Usage:');
    for (const command of ['demo', 'inspect', 'get', 'put', 'delete', 'checkpoint', 'compact', 'config', 'version']) expect(io.stdout()).toContain(command);
    const dash = captureIo();
    expect(await main(['--help'], dash)).toBe(0);
    expect(dash.stdout()).toBe(usage());
    // every command has --help, with its own options
    const demoHelp = captureIo();
    expect(await main(['demo', '--help'], demoHelp)).toBe(0);
    expect(demoHelp.stdout()).toContain('--records');
    expect(demoHelp.stdout()).toContain('--metrics-port');
    expect(demoHelp.stdout()).toContain('--config');
    for (const command of [['inspect'], ['get'], ['put'], ['delete'], ['checkpoint'], ['compact'], ['config', 'check']]) {
      const h = captureIo();
      expect(await main([...command, '--help'], h)).toBe(0);
      expect(h.stdout()).toContain(`Usage: f2kv ${command.join(' ')}`);
    }
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
