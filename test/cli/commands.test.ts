/**
 * The f2kv commands that work on a store described by a TOML file: config check, put / get /
 * delete, checkpoint, compact, inspect (of the configuration, of a URL, with a damaged and a
 * missing object), demo --config with --metrics-port; and bad usage / bad configuration, which must
 * exit 2 with one error naming the file and key and leave nothing behind.
 */
import { mkdtemp, readdir, readFile, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'f2kv-cmd-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A two-tier store in <root>/store with small pages and budgets, so that records migrate to cold. */
const TWO_TIERS = `
[hot.index]
buckets = 1024
[hot.log]
device = "file://./store/hot"
memory_size = "64KiB"
page_size = "8KiB"
[hot.read_cache]
memory_size = "32KiB"
page_size = "8KiB"
[cold]
url = "file://./store/cold"
[cold.index]
expected_keys = 4096
chunk_size = "64B"
[cold.log]
page_size = "16KiB"
memory_size = "64KiB"
[compaction.hot_to_cold]
max_log_size = "128KiB"
[checkpoint]
url = "file://./store/checkpoints"
[object_store.file]
create_if_missing = true
`;

async function writeConfig(text: string, name = 'store.toml'): Promise<string> {
  const path = join(root, name);
  await writeFile(path, text);
  return path;
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('f2kv commands on a configured store', () => {
  it('config check prints the resolved configuration with secrets redacted', async () => {
    const file = await writeConfig(`${TWO_TIERS}\n[object_store.s3]\nendpoint = "http://127.0.0.1:9000"\naccess_key_id = "AKIAEXAMPLE"\nsecret_access_key = "\${SECRET}"\n`);
    process.env['SECRET'] = 'very-secret-value';
    try {
      const r = await run('config', 'check', file);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`${file}: valid (two tiers: F2Kv)`);
      expect(r.out).toContain('[redacted]');
      expect(r.out).not.toContain('very-secret-value');
      expect(r.out).toMatch(/memory_size = "64 ?KiB"|memory_size = 65536/);
      const json = await run('config', 'check', '--json', file);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.out.slice(json.out.indexOf('\n') + 1))).toHaveProperty('cold');
    } finally {
      delete process.env['SECRET'];
    }
    expect(await readdir(root)).toEqual(['store.toml']);
  });

  it('bad configuration and bad usage exit 2 with one error naming the file and key, and open nothing', async () => {
    const bad = await writeConfig(TWO_TIERS.replace('page_size = "8KiB"\n[hot.read_cache]', 'page_size = "3KiB"\n[hot.read_cache]'), 'bad.toml');
    for (const argv of [['get', bad, 'k'], ['put', bad, 'k', 'v'], ['delete', bad, 'k'], ['checkpoint', bad], ['compact', bad], ['config', 'check', bad], ['demo', '--config', bad], ['inspect', bad]]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toContain(`${bad}: hot.log.page_size`);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    const unknownKey = await writeConfig('[hot.log]\nmemroy_size = "1MiB"\n', 'typo.toml');
    const typo = await run('get', unknownKey, 'k');
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('hot.log.memroy_size');
    const missing = await run('get', join(root, 'nope.toml'), 'k');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.toml');
    // nothing was created next to the files
    expect((await readdir(root)).sort()).toEqual(['bad.toml', 'typo.toml']);

    expect((await run('get', bad)).code).toBe(2); // missing argument
    expect((await run('compact', bad, '--hot', '--cold')).code).toBe(2);
    const enc = await run('get', bad, 'k', '--encoding', 'rot13');
    expect(enc.code).toBe(2);
    expect(enc.err).toContain('rot13');
    expect((await run('demo', '--metrics-port', '70000')).code).toBe(2);
    const mixed = await run('demo', '--config', bad, '--memory', '1MiB');
    expect(mixed.code).toBe(2);
  });

  it('put, get, delete, checkpoint and compact a two-tier store; inspect finds it sound, then reports a damaged and a missing object', async () => {
    const file = await writeConfig(TWO_TIERS);
    expect((await run('put', file, 'greeting', 'hello world')).code).toBe(0);
    const got = await run('get', file, 'greeting');
    expect(got).toMatchObject({ code: 0, out: 'hello world\n' });
    expect((await run('get', file, 'greeting', '--encoding', 'hex')).out).toBe(`${Buffer.from('hello world').toString('hex')}\n`);
    expect((await run('put', file, 'bin', '00ff10', '--encoding', 'hex')).code).toBe(0);
    expect((await run('get', file, 'bin', '--encoding', 'base64')).out).toBe(`${Buffer.from([0, 255, 16]).toString('base64')}\n`);
    const del = await run('delete', file, 'greeting');
    expect(del.code).toBe(0);
    expect(del.out).toMatch(/durable in checkpoint \d{6}-[0-9a-f]{8}/);
    const absent = await run('get', file, 'greeting');
    expect(absent.code).toBe(1);
    expect(absent.err).toContain('greeting: not found');

    const ck = await run('checkpoint', file);
    expect(ck.code).toBe(0);
    expect(ck.out).toMatch(/^checkpoint \d{6}-[0-9a-f]{8}\n$/);
    expect(ck.err).toContain('checkpoint: token');
    const compact = await run('compact', file);
    expect(compact.code).toBe(0);
    expect(compact.out).toContain('hot → cold:');
    expect(compact.out).toContain('cold → cold:');
    expect((await run('compact', file, '--hot')).out).not.toContain('cold → cold');
    expect((await run('get', file, 'bin', '--encoding', 'hex')).out).toBe('00ff10\n');

    const sound = await run('inspect', file);
    expect(sound.out).toContain('f2kv-cli: ');
    expect(sound.out).not.toMatch(/f1-/);
    expect(sound.code, sound.out).toBe(0);
    expect(sound.out).toMatch(/F2 checkpoints \([1-9]/);
    expect(sound.out).toContain('Hot tier checkpoints');
    expect(sound.out).toMatch(/1,024 buckets, [\d.]+ KiB \(ok; \d+ entries, [\d.]+% full\)/);
    expect(sound.out).toContain('Cold tier');
    expect(sound.out).toContain('No problems found.');
    // An object store URL: the checkpoint root alone, and the cold tier alone.
    const byUrl = await run('inspect', pathToFileURL(join(root, 'store', 'checkpoints')).href);
    expect(byUrl.code, byUrl.out).toBe(0);
    expect(byUrl.out).toContain('an F2 checkpoint store');
    const coldUrl = await run('inspect', pathToFileURL(join(root, 'store', 'cold')).href);
    expect(coldUrl.code, coldUrl.out).toBe(0);
    expect(coldUrl.out).toContain('a cold tier');

    // Damage a cold log object and delete a hot checkpoint's index: both are reported by name.
    const coldLog = join(root, 'store', 'cold', 'log');
    const segs = (await readdir(coldLog)).filter((f) => f.endsWith('.seg'));
    expect(segs.length).toBeGreaterThan(0);
    const victim = join(coldLog, segs[0]!);
    const bytes = await readFile(victim);
    bytes[bytes.length - 6] = bytes[bytes.length - 6]! ^ 0xff; // a data byte of the last block (the CRC is the last 4)
    await writeFile(victim, bytes);
    const hotCk = join(root, 'store', 'checkpoints', 'hot', 'checkpoints');
    const tokens = await readdir(hotCk);
    await unlink(join(hotCk, tokens.sort().at(-1)!, 'index.bin'));
    const before = JSON.stringify(await readdir(join(root, 'store'), { recursive: true }));
    const broken = await run('inspect', file);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('PROBLEMS');
    expect(broken.out).toContain(segs[0]!);
    expect(broken.out).toMatch(/CRC-32C/);
    expect(broken.out).toContain(`${tokens.sort().at(-1)!}/index.bin`);
    // inspect wrote nothing: no manifest, no claim
    expect(JSON.stringify(await readdir(join(root, 'store'), { recursive: true }))).toBe(before);
  });

  it('demo --config runs the demo against the configured store and serves /metrics with --metrics-port', async () => {
    const file = await writeConfig(TWO_TIERS);
    const io = captureIo();
    const scrapes: string[] = [];
    // Scrape while the demo runs: the port is printed on stderr before the first phase.
    const origErr = io.err;
    let url: string | undefined;
    const poll = setInterval(() => {
      if (url === undefined) return;
      fetch(url).then(async (res) => scrapes.push(await res.text()), () => undefined);
    }, 50);
    io.err = (t: string) => {
      const m = /metrics: (http:\S+)/.exec(t);
      if (m) url = m[1];
      origErr(t);
    };
    try {
      const code = await main(['demo', '--config', file, '--metrics-port', '0', '--records', '3000', '--ops', '5000', '--seed', '3'], io);
      expect(code, io.stderr()).toBe(0);
    } finally {
      clearInterval(poll);
    }
    expect(io.stdout()).toContain(`configuration:`);
    expect(io.stdout()).toContain('0 mismatches. OK');
    expect(io.stdout()).toMatch(/reopened from F2 checkpoint/);
    expect(scrapes.some((s) => /f2kv_operations_total\{kind="upsert"\} [1-9]/.test(s))).toBe(true);
    expect(scrapes.some((s) => /f2kv_reads_total\{tier="cold"\}/.test(s))).toBe(true);
    // the server is closed after the run
    await expect(fetch(url!)).rejects.toThrow();
  });
});
