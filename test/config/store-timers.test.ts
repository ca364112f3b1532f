/**
 * [checkpoint] interval / fence_check_interval and [durability] reach the store's options, and a
 * store opened from such a file checkpoints by itself and acknowledges durable writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeConfig } from '../../src/config/describe-config.js';
import { parseConfig } from '../../src/config/load-config.js';
import { openStore } from '../../src/config/open-store.js';
import { ConfigError } from '../../src/core/errors.js';
import { F2Kv } from '../../src/f2/f2-kv.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-config-timers-'));
  dirs.push(d);
  return d;
}

const TWO_TIER = `
[hot.log]
device = "file://./hot"
memory_size = "1MiB"
page_size = "64KiB"
[cold]
url = "file://./cold"
[cold.log]
page_size = "64KiB"
[checkpoint]
url = "file://./ck"
interval = "1s"
fence_check_interval = "250ms"
[durability]
mode = "checkpoint"
commit_interval = "5ms"
[object_store.file]
create_if_missing = true
`;

describe('config: periodic checkpoints, fence checks and durability', () => {
  it('maps interval, fence_check_interval and [durability] onto the options, and renders them back', () => {
    const dir = tempDir();
    const config = parseConfig(TWO_TIER, join(dir, 'c.toml'), { baseDir: dir });
    expect(config.store.kind).toBe('f2');
    if (config.store.kind !== 'f2') return;
    expect(config.store.options.checkpoint.intervalMs).toBe(1000);
    expect(config.store.options.checkpoint.fenceCheckIntervalMs).toBe(250);
    expect(config.store.options.durability).toEqual({ mode: 'checkpoint', commitIntervalMs: 5 });
    expect(config.store.resolved.durability?.log).toBe(`${config.store.resolved.checkpoint.url}/aof`);
    const text = describeConfig(config);
    expect(text).toMatch(/interval = "1s"/);
    expect(text).toMatch(/fence_check_interval = "250ms"/);
    expect(text).toMatch(/\[durability\][^[]*mode = "checkpoint"[^[]*commit_interval = "5ms"/);
    // The rendering reads back to the same options.
    const again = parseConfig(text, join(dir, 'again.toml'), { baseDir: dir });
    expect(again.store.kind === 'f2' && again.store.resolved.durability?.commitIntervalMs).toBe(5);
  });

  it('names the TOML key of a bad [durability] value and suggests a misspelled one', () => {
    const dir = tempDir();
    expect(() => parseConfig(TWO_TIER.replace('mode = "checkpoint"', 'mode = "always"'), join(dir, 'c.toml'), { baseDir: dir })).toThrow(
      /c\.toml: durability\.mode/,
    );
    expect(() => parseConfig(TWO_TIER.replace('commit_interval', 'comit_interval'), join(dir, 'c.toml'), { baseDir: dir })).toThrow(/commit_interval/);
    expect(() => parseConfig(TWO_TIER.replace('commit_interval = "5ms"', 'commit_interval = "5ms"\nlog = "ftp://x"'), join(dir, 'c.toml'), { baseDir: dir })).toThrow(
      ConfigError,
    );
  });

  it('a store opened from the file checkpoints by itself and keeps durable writes across a crash', async () => {
    const dir = tempDir();
    const config = parseConfig(TWO_TIER, join(dir, 'c.toml'), { baseDir: dir });
    const store = await openStore(config, { applyLog: false });
    expect(store).toBeInstanceOf(F2Kv);
    const f2 = store as F2Kv;
    const s = f2.startSession();
    await s.upsert('plain', 'v1');
    const deadline = Date.now() + 10_000;
    while (f2.stats().checkpoints.periodic === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(f2.stats().checkpoints.periodic).toBeGreaterThan(0);
    await s.upsert('durable', 'v2', { durable: true });
    await f2.abandon();
    const again = (await openStore(parseConfig(TWO_TIER, join(dir, 'c.toml'), { baseDir: dir }), { applyLog: false })) as F2Kv;
    const r = again.startSession();
    expect(new TextDecoder().decode(await r.read('plain'))).toBe('v1');
    expect(new TextDecoder().decode(await r.read('durable'))).toBe('v2');
    await again.close();
  });

  it('a one-tier file maps the same keys', () => {
    const dir = tempDir();
    const config = parseConfig('[hot.log]\ndevice = "file://./hot"\n[checkpoint]\nurl = "file://./ck"\ninterval = "2m"\n[durability]\n', join(dir, 'c.toml'), { baseDir: dir });
    expect(config.store.kind).toBe('faster');
    if (config.store.kind !== 'faster') return;
    expect(config.store.resolved.checkpoint.intervalMs).toBe(120_000);
    expect(config.store.resolved.durability?.mode).toBe('commit');
  });
});
