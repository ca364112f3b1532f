/**
 * Corruption of every object kind an F2 store writes, on any object store (file:// in the unit
 * test, MinIO in the integration test).
 *
 * A pristine F2 store is built once (two F2 checkpoints A and B with records in both tiers, then
 * a reopen that leaves claim records as the newest manifests), and its objects are read into
 * memory. The object kinds are enumerated from that listing (classifyKey / isClaim of
 * verify-store.ts): a kind the harness has no corruption case for fails the test, so a new kind
 * cannot be missed. For each case (kind × victim × damage: a flipped byte, a truncation) the
 * pristine objects are written to a fresh prefix, the victim is damaged through the ObjectStore
 * API, and then:
 *   - verifyStore reports the victim as damaged (detected), and says which checkpoints are intact;
 *   - `f2kv inspect <config>` (the CLI's main with a capturing Io, on a TOML file naming the
 *     copy's checkpoint and cold URLs) exits 1 and names the victim;
 *   - F2Kv.open on a fresh machine (no hot directory: the hot tier comes from the checkpoint
 *     store) either fails with a CorruptionError naming the victim and, where one is intact, the
 *     older F2 token, or opens; every key then reads its checkpoint's value or rejects with a
 *     CorruptionError naming the victim — never a wrong value;
 *   - when the newest checkpoint is unusable, opening with recover: "<token>" of the intact one
 *     that verifyStore names reads every key of that checkpoint correctly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { captureIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { CorruptionError } from '../../src/core/errors.js';
import type { ObjectStore } from '../../src/devices/object-store.js';
import { openObjectStore, type OpenObjectStoreOptions } from '../../src/devices/open-object-store.js';
import { F2Kv } from '../../src/f2/f2-kv.js';
import type { F2KvOptions } from '../../src/f2/f2-options.js';
import { classifyKey, isClaim, verifyStore, type StoreObjectKind, type Tier } from '../../src/f2/verify-store.js';
import { decodeManifest, type TokenDescriptor } from '../../src/kv/checkpoint-manifest.js';

/** Every kind the harness knows how to damage and check. */
export const CORRUPTIBLE_KINDS: readonly StoreObjectKind[] = [
  'f2-manifest', 'f2-claim', 'hot-manifest', 'hot-claim', 'hot-index', 'hot-log-segment',
  'cold-manifest', 'cold-claim', 'cold-table', 'cold-log', 'cold-chunk',
];
export const DAMAGES = ['flipped byte', 'truncated'] as const;
export type Damage = (typeof DAMAGES)[number];

const keyOf = (i: number): string => `key-${i.toString().padStart(5, '0')}`;
const valueOf = (i: number, version: number): string => `v${version}-${i}-${'y'.repeat(16 + (i % 29))}`;
const dec = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

/** Where one copy of the store lives: its checkpoint and cold URLs (under `root`). */
export interface CorruptionBackend {
  label: string;
  /** A fresh, empty root URL for one copy (`<root>/checkpoints`, `<root>/cold`). */
  freshRoot(): string;
  store: OpenObjectStoreOptions;
  /** The same settings as TOML ([object_store.<scheme>] tables) for `f2kv inspect <config>`. */
  objectStoreToml: string;
  /** Deletes a copy. */
  remove(root: string): Promise<void>;
}

export function localBackend(dir: string): CorruptionBackend {
  let n = 0;
  return {
    label: 'file',
    freshRoot: () => pathToFileURL(join(dir, `copy-${++n}`)).href,
    store: {},
    objectStoreToml: '',
    remove: async (root) => rmSync(new URL(root), { recursive: true, force: true }),
  };
}

function optionsFor(root: string, hotDir: string, store: OpenObjectStoreOptions, recover: boolean | string): F2KvOptions {
  const local = root.startsWith('file:');
  return {
    hot: {
      index: { buckets: 256 },
      log: { device: pathToFileURL(hotDir).href, memorySize: '32KiB', pageSize: '4KiB' },
      readCache: { memorySize: '16KiB', pageSize: '4KiB' },
    },
    cold: {
      url: `${root}/cold`,
      store: local ? { createIfMissing: true } : store,
      index: { expectedKeys: 1024, chunkSize: '64B', chunkCacheSize: '32KiB' },
      log: { pageSize: '4KiB', memorySize: '12KiB' },
    },
    // Migration and cold compaction only on demand: the damage stays where the case put it.
    compaction: { hotToCold: { enabled: false }, coldToCold: { enabled: false } },
    checkpoint: { url: `${root}/checkpoints`, store: local ? { createIfMissing: true } : store, keep: 3, onClose: false },
    recover,
  };
}

interface StoredObject {
  tier: Tier;
  /** Key relative to the tier's store. */
  key: string;
  kind: StoreObjectKind;
  bytes: Uint8Array;
}

export interface Pristine {
  keys: number;
  objects: StoredObject[];
  tokenA: string;
  tokenB: string;
  oracles: Map<string, Map<number, string>>;
}

function tierUrl(root: string, tier: Tier): string {
  return tier === 'f2' ? `${root}/checkpoints/f2` : tier === 'hot' ? `${root}/checkpoints/hot` : `${root}/cold`;
}

async function withStore<T>(url: string, store: OpenObjectStoreOptions, fn: (s: ObjectStore) => Promise<T>): Promise<T> {
  const s = await openObjectStore(url, { ...store, createIfMissing: url.startsWith('file:') });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

async function writeAll(s: F2Kv, entries: [number, string][]): Promise<void> {
  const session = s.startSession();
  for (let i = 0; i < entries.length; i += 64) await Promise.all(entries.slice(i, i + 64).map(([k, v]) => session.upsert(keyOf(k), v)));
  session.end();
}

/** Builds the pristine store under `root` and reads its objects into memory. */
export async function buildPristine(backend: CorruptionBackend, scratch: string, keys = 1200): Promise<Pristine> {
  const root = backend.freshRoot();
  const hotDir = join(scratch, 'pristine-hot');
  const oracleA = new Map<number, string>();
  for (let i = 0; i < keys; i++) oracleA.set(i, valueOf(i, 1));
  let kv = await F2Kv.open(optionsFor(root, hotDir, backend.store, false));
  await writeAll(kv, [...oracleA]);
  await kv.compactHotLog();
  const tokenA = await kv.checkpoint();
  const oracleB = new Map(oracleA);
  const updates: [number, string][] = [];
  for (let i = 0; i < keys; i += 3) updates.push([i, valueOf(i, 2)]);
  for (const [k, v] of updates) oracleB.set(k, v);
  await writeAll(kv, updates);
  // Half of the updates move to cold; the rest stay in the hot log (restored from its segments).
  const hlog = kv.hot.hlog;
  const until = Math.min(hlog.readOnlyAddress, hlog.beginAddress + Math.floor((hlog.tailAddress - hlog.beginAddress) * 0.8));
  if (until > hlog.beginAddress) await kv.compactHotLog(until);
  const tokenB = await kv.checkpoint();
  await kv.close();
  // A reopen publishes claim records (the newest manifest of each tier) and changes nothing.
  kv = await F2Kv.open(optionsFor(root, hotDir, backend.store, true));
  expect(kv.recoveredToken).toBe(tokenB);
  await kv.close();
  rmSync(hotDir, { recursive: true, force: true });

  const objects: StoredObject[] = [];
  for (const tier of ['f2', 'hot', 'cold'] as const) {
    await withStore(tierUrl(root, tier), backend.store, async (s) => {
      for (const key of await s.list('')) {
        const bytes = await s.get(key);
        let kind = classifyKey(tier, key);
        if (kind === 'manifest') {
          const manifest = decodeManifest<TokenDescriptor>(bytes, key);
          kind = isClaim({ key, seq: manifest.seq, manifest }) ? `${tier}-claim` : `${tier}-manifest`;
        }
        objects.push({ tier, key, kind, bytes });
      }
    });
  }
  await backend.remove(root);
  return { keys, objects, tokenA, tokenB, oracles: new Map([[tokenA, oracleA], [tokenB, oracleB]]) };
}

/** Kinds found in the pristine listing (and the keys the harness cannot classify). */
export function kindsFound(p: Pristine): { kinds: Map<StoreObjectKind, number>; unknown: string[] } {
  const kinds = new Map<StoreObjectKind, number>();
  const unknown: string[] = [];
  for (const o of p.objects) {
    if (o.kind === 'unknown' || !CORRUPTIBLE_KINDS.includes(o.kind)) unknown.push(`${o.tier}/${o.key}`);
    else kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
  }
  return { kinds, unknown };
}

/**
 * Victims of a kind: the newest object of the kind (for manifests and snapshots the one the
 * newest checkpoint uses; for log objects the tail, read at open), then others spread over the rest.
 */
export function victims(p: Pristine, kind: StoreObjectKind, perKind: number): StoredObject[] {
  const list = p.objects.filter((o) => o.kind === kind).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rest = list.slice(0, -1);
  const out: StoredObject[] = list.slice(-1);
  for (let k = 0; k < Math.min(perKind - 1, rest.length); k++) out.push(rest[Math.floor(((k + 0.5) * rest.length) / (perKind - 1))]!);
  return [...new Set(out)];
}

function damage(bytes: Uint8Array, how: Damage): Uint8Array {
  if (how === 'truncated') return bytes.slice(0, Math.floor(bytes.length / 2));
  const out = bytes.slice();
  const at = Math.floor(bytes.length / 2);
  out[at] = out[at]! ^ 0x20;
  return out;
}

export interface CaseOutcome {
  kind: StoreObjectKind;
  victim: string;
  damage: Damage;
  detectedByVerify: boolean;
  /** open failed naming the victim, or at least one read did. */
  detectedByStore: boolean;
  /** The newest checkpoint opened and read completely and correctly (the damage was in data no live key needs). */
  harmless: boolean;
  wrong: string[];
  recoveredOlder?: string;
}

function names(err: unknown, victim: StoredObject): boolean {
  if (!(err instanceof CorruptionError)) return false;
  const last = victim.key.split('/').pop()!;
  return (err.object ?? '').endsWith(last) || err.message.includes(victim.key) || err.message.includes(last);
}

/** Reads every `step`-th key (all by default), 64 in flight. */
async function readAll(kv: F2Kv, keyCount: number, oracle: Map<number, string>, victim: StoredObject | undefined, out: CaseOutcome, step: number): Promise<{ ok: number; failed: number; keys: number }> {
  const s = kv.startSession();
  let ok = 0;
  let failed = 0;
  let keys = 0;
  for (let i = 0; i < keyCount; i += 64 * step) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(keyCount, i + 64 * step); j += step, keys++) {
      batch.push(
        s.read(keyOf(j)).then(
          (v) => {
            if (dec(v) === oracle.get(j)) ok++;
            else out.wrong.push(`key ${j}: read ${String(dec(v))}, expected ${String(oracle.get(j))}`);
          },
          (err: unknown) => {
            if (victim && names(err, victim)) failed++;
            else out.wrong.push(`key ${j}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
          },
        ),
      );
    }
    await Promise.all(batch);
  }
  s.end();
  return { ok, failed, keys };
}

/** Runs one corruption case; returns what was detected (and asserts that no wrong value was read). */
export async function runCase(backend: CorruptionBackend, p: Pristine, victim: StoredObject, how: Damage, readStep = 1): Promise<CaseOutcome> {
  const started = performance.now();
  const root = backend.freshRoot();
  const scratch = mkdtempSync(join(tmpdir(), 'f2kv-corrupt-hot-'));
  const out: CaseOutcome = { kind: victim.kind, victim: `${victim.tier}/${victim.key}`, damage: how, detectedByVerify: false, detectedByStore: false, harmless: false, wrong: [] };
  try {
    for (const tier of ['f2', 'hot', 'cold'] as const) {
      await withStore(tierUrl(root, tier), backend.store, async (s) => {
        const mine = p.objects.filter((o) => o.tier === tier);
        for (let i = 0; i < mine.length; i += 16) {
          await Promise.all(mine.slice(i, i + 16).map((o) => s.put(o.key, o === victim ? damage(o.bytes, how) : o.bytes)));
        }
      });
    }
    const report = await verifyStore({ url: `${root}/checkpoints`, store: backend.store, cold: { url: `${root}/cold`, store: backend.store } });
    const flagged = report.objects.filter((o) => !o.ok);
    out.detectedByVerify = flagged.some((o) => o.tier === victim.tier && o.key === victim.key);
    expect(flagged.map((o) => `${o.tier}/${o.key}`), `only the victim is flagged (${out.victim}, ${how})`).toEqual([out.victim]);
    expect(report.ok).toBe(false);

    // `f2kv inspect` on a configuration file naming this copy reports the damage by the victim's name.
    const config = join(scratch, 'inspect.toml');
    writeFileSync(config, [
      '[hot.log]', `device = ${JSON.stringify(pathToFileURL(join(scratch, 'inspect-hot')).href)}`,
      '[cold]', `url = ${JSON.stringify(`${root}/cold`)}`,
      '[checkpoint]', `url = ${JSON.stringify(`${root}/checkpoints`)}`,
      backend.objectStoreToml, '',
    ].join('\n'));
    const io = captureIo();
    const code = await main(['inspect', config], io);
    expect(code, `f2kv inspect exits 1 on ${out.victim} (${how}):\n${io.stdout()}${io.stderr()}`).toBe(1);
    expect(io.stdout().split('PROBLEMS:')[1] ?? '', `f2kv inspect names ${out.victim} among its problems (${how})`).toContain(victim.key);

    // A fresh machine: no hot directory, so the hot tier is restored from the checkpoint store.
    const hotDir = join(scratch, 'hot');
    let opened: F2Kv | undefined;
    try {
      opened = await F2Kv.open(optionsFor(root, hotDir, backend.store, true));
    } catch (err) {
      if (!names(err, victim)) out.wrong.push(`open: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      else out.detectedByStore = true;
      expect(report.newestOpens, `verifyStore agrees that the newest checkpoint does not open (${out.victim}, ${how}): ${String(err)}`).toBe(false);
      const older = report.recoverable[0];
      if (older !== undefined) {
        // The message names the intact older token and how to open it.
        expect((err as Error).message, `the open error names ${older}`).toContain(older);
        expect((err as Error).message).toMatch(/recover: "/);
      }
    }
    if (opened) {
      const r = await readAll(opened, p.keys, p.oracles.get(opened.recoveredToken!)!, victim, out, readStep);
      if (r.failed > 0) out.detectedByStore = true;
      else out.harmless = r.ok === r.keys;
      await opened.close();
    } else if (report.recoverable.length > 0) {
      const token = report.recoverable[0]!;
      rmSync(hotDir, { recursive: true, force: true });
      const older = await F2Kv.open(optionsFor(root, hotDir, backend.store, token));
      expect(older.recoveredToken).toBe(token);
      const r = await readAll(older, p.keys, p.oracles.get(token)!, undefined, out, readStep);
      expect(r.ok, `every key of ${token} reads back after recovering it instead`).toBe(r.keys);
      out.recoveredOlder = token;
      await older.close();
    }
    expect(out.wrong, `${out.victim} ${how}`).toEqual([]);
    const how2 = out.detectedByStore ? (out.recoveredOlder ? `open/read failed naming it; ${out.recoveredOlder} opened instead` : 'a read failed naming it') : 'no read affected';
    console.log(`[corruption ${backend.label}] ${how} ${out.victim}: verifyStore and f2kv inspect flagged it; ${how2} (${Math.round(performance.now() - started)} ms)`);
    return out;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await backend.remove(root);
  }
}

/** Prints the counts and checks them: every planted corruption detected by verifyStore, no wrong value. */
export function summarize(label: string, outcomes: CaseOutcome[]): void {
  const planted = outcomes.length;
  const byVerify = outcomes.filter((o) => o.detectedByVerify).length;
  const byStore = outcomes.filter((o) => o.detectedByStore).length;
  const harmless = outcomes.filter((o) => o.harmless).length;
  const older = outcomes.filter((o) => o.recoveredOlder !== undefined).length;
  const wrong = outcomes.reduce((n, o) => n + o.wrong.length, 0);
  const kinds = new Set(outcomes.map((o) => o.kind)).size;
  console.log(
    `[corruption ${label}] kinds=${kinds} planted=${planted} detected by verifyStore=${byVerify} ` +
      `detected by open/reads=${byStore} harmless to reads (no live record in the damaged bytes)=${harmless} ` +
      `recovered an older checkpoint instead=${older} wrong values=${wrong}`,
  );
  expect(byVerify).toBe(planted);
  expect(wrong).toBe(0);
  expect(byStore + harmless).toBe(planted);
}
