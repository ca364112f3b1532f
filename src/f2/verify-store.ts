/**
 * Read-only verification of a store's checkpoints: reads every manifest and every object the
 * checkpoints refer to (manifests and claim records, hot index snapshots and snapshot log
 * segments, cold index tables, cold log and chunk objects), checks each against its checksums and
 * the size its manifest or name gives, and says which checkpoints are intact and how to open
 * one. Nothing is written, claimed or deleted, so it is safe on a store another process has open
 * (it may then see objects come and go, and report a checkpoint retired meanwhile as damaged).
 *
 * Layouts (see DESIGN.md): an F2 store keeps its F2 manifests under `<checkpoint.url>/f2`, the
 * hot tier's checkpoints under `<checkpoint.url>/hot` and the cold tier under its own URL; a
 * FasterKv keeps its checkpoints under its checkpoint URL; a ColdKv everything under its URL.
 *
 * Cost: one GET per object (whole objects), so about the size of the store in bytes read.
 */
import { CorruptionError } from '../core/errors.js';
import { checkLogObject, parseLogObjectName, type LogObjectName } from '../devices/object-log-device.js';
import type { ObjectStore } from '../devices/object-store.js';
import { openObjectStore, type OpenObjectStoreOptions } from '../devices/open-object-store.js';
import { MemHashIndex } from '../hot/mem-hash-index.js';
import { ManifestStore, type CheckpointDescriptor, type ManifestEntry, type ManifestKind, type TokenDescriptor } from '../kv/checkpoint-manifest.js';
import type { ColdCheckpointDescriptor } from '../cold/cold-checkpoint.js';
import type { F2CheckpointDescriptor } from './f2-checkpoint.js';
import { joinUrl } from './f2-options.js';

/** The kinds of object a store writes. */
export type StoreObjectKind =
  | 'f2-manifest'
  | 'f2-claim'
  | 'hot-manifest'
  | 'hot-claim'
  | 'hot-index'
  | 'hot-log-segment'
  | 'cold-manifest'
  | 'cold-claim'
  | 'cold-table'
  | 'cold-log'
  | 'cold-chunk'
  | 'unknown';

/** Which part of a store an object or checkpoint belongs to: the F2 manifests, the hot tier or the cold tier. */
export type Tier = 'f2' | 'hot' | 'cold';

/** One object verifyStore read and checked (StoreVerification.objects). */
export interface VerifiedObject {
  /** URL of the object store (credentials removed) and the key in it. */
  store: string;
  /** Key of the object in that store. */
  key: string;
  /** Tier the object belongs to. */
  tier: Tier;
  /** What the object is. */
  kind: StoreObjectKind;
  /** Stored size in bytes (-1 when it could not be read). */
  bytes: number;
  /** True when the object was read and passed its checksum and size checks. */
  ok: boolean;
  /** What is wrong with it. */
  problem?: string;
  /** Tier tokens of the checkpoints that read this object at recovery. */
  neededBy: string[];
  /** Hot index and cold table snapshots that parsed: what the snapshot holds. */
  snapshot?: {
    /** Hash index entries in use in the snapshot. */
    entries: number;
    /** Hash buckets of the snapshot. */
    buckets: number;
  };
}

/** A checkpoint's tier and the descriptor its manifest gives (for display: `f2kv inspect`). */
export type TierCheckpointDescriptor =
  | {
      /** An F2 checkpoint. */
      tier: 'f2';
      /** Its F2 manifest entry: the tiers' tokens. */
      descriptor: F2CheckpointDescriptor;
    }
  | {
      /** A hot-tier (FasterKv) checkpoint. */
      tier: 'hot';
      /** Its manifest entry. */
      descriptor: CheckpointDescriptor;
    }
  | {
      /** A cold-tier (ColdKv) checkpoint. */
      tier: 'cold';
      /** Its manifest entry. */
      descriptor: ColdCheckpointDescriptor;
    };

/** A checkpoint as verified: its tier and descriptor, whether all its objects are intact, and what is wrong if not. */
export type VerifiedCheckpoint = TierCheckpointDescriptor & {
  /** The checkpoint's token (pass it as `recover` to open that checkpoint). */
  token: string;
  /** True when every object the checkpoint needs is readable and intact. */
  intact: boolean;
  /** What makes it unusable: damaged or missing objects, by key. */
  problems: string[];
  /** F2 checkpoints: the tiers' tokens. */
  hot?: string;
  /** F2 checkpoints: the cold tier's token. */
  cold?: string;
};

/** One tier's object store as verified: where it is and what its manifests say. */
export interface VerifiedTier {
  /** Which tier. */
  tier: Tier;
  /** URL of the object store (credentials removed). */
  store: string;
  /** Manifests found (readable or not), including claim records. */
  manifests: number;
  /** Writer epoch of the newest readable manifest. */
  writerEpoch?: number;
}

/** Result of verifyStore: every object checked, the checkpoints and whether they open, and advice. */
export interface StoreVerification {
  /** Which kind of store the URL holds: an F2Kv, a FasterKv (hot) or a ColdKv (cold). */
  layout: 'f2' | 'hot' | 'cold';
  /** True when every object is intact and the newest checkpoint opens. */
  ok: boolean;
  /** Every object checked, with its result. */
  objects: VerifiedObject[];
  /** Checkpoints of the layout's top tier (F2 for an F2 store), newest first, then the tiers'. */
  checkpoints: VerifiedCheckpoint[];
  /** The tiers checked, top tier first. */
  tiers: VerifiedTier[];
  /** Top-tier tokens whose checkpoints are intact, newest first. */
  recoverable: string[];
  /** True when `open` with the default `recover: true` would find the newest checkpoint intact. */
  newestOpens: boolean;
  /** One sentence on what to do. */
  advice: string;
}

/** Options of verifyStore. */
export interface VerifyStoreOptions {
  /** F2: its checkpoint.url; FasterKv: its checkpoint URL; ColdKv: its URL. */
  url: string;
  /** Options of that object store (endpoint, credentials, ...). */
  store?: OpenObjectStoreOptions;
  /** F2 only: the cold tier (without it, the cold tier is not checked). */
  cold?: {
    /** The cold tier's URL. */
    url: string;
    /** Options of the cold tier's object store. */
    store?: OpenObjectStoreOptions;
  };
}

/** The kind of an object from its key under a tier's prefix (manifests: `manifest`, told apart later). */
export function classifyKey(tier: Tier, key: string): StoreObjectKind | 'manifest' {
  if (/^manifest\/\d{16}\.json$/.test(key)) return 'manifest';
  if (tier === 'hot') {
    if (/^checkpoints\/[^/]+\/index\.bin$/.test(key)) return 'hot-index';
    if (/^log\/e\d+\/[^/]+$/.test(key) && parseLogObjectName(key.split('/').pop()!)) return 'hot-log-segment';
  } else if (tier === 'cold') {
    if (/^checkpoints\/[^/]+\/table\.bin$/.test(key)) return 'cold-table';
    if (/^log\/[^/]+$/.test(key) && parseLogObjectName(key.slice(4))) return 'cold-log';
    if (/^chunks\/[^/]+$/.test(key) && parseLogObjectName(key.slice(7))) return 'cold-chunk';
  }
  return 'unknown';
}

/** A manifest is a claim record when it describes no checkpoint or one an earlier manifest published. */
export function isClaim(entry: ManifestEntry<TokenDescriptor>): boolean {
  const token = entry.manifest?.checkpoint?.token;
  return token === undefined || Number(token.split('-')[0]) !== entry.seq;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

interface TierScan<C extends TokenDescriptor> {
  tier: Tier;
  store: ObjectStore;
  objects: Map<string, VerifiedObject>;
  entries: ManifestEntry<C>[];
  checkpoints: VerifiedCheckpoint[];
}

/** One log prefix: its objects and which object supplies each address range (the newest wins, as the device reads). */
interface LogPrefix {
  objects: { key: string; name: LogObjectName }[];
}

function logPrefixes(keys: string[], prefixOf: (key: string) => string | undefined): Map<string, LogPrefix> {
  const out = new Map<string, LogPrefix>();
  for (const key of keys) {
    const prefix = prefixOf(key);
    const name = parseLogObjectName(key.split('/').pop()!);
    if (prefix === undefined || !name) continue;
    let p = out.get(prefix);
    if (!p) out.set(prefix, (p = { objects: [] }));
    p.objects.push({ key, name });
  }
  return out;
}

/**
 * The objects that supply [from, to) of a log prefix (newest sequence number wins where objects
 * overlap), and the sub-ranges no object holds.
 */
function suppliers(p: LogPrefix | undefined, from: number, to: number): { keys: string[]; holes: [number, number][] } {
  if (to <= from) return { keys: [], holes: [] };
  const objects = (p?.objects ?? []).filter((o) => o.name.end > from && o.name.start < to).sort((a, b) => b.name.seq - a.name.seq);
  const keys = new Set<string>();
  // Walk the range in order; at each point the newest object covering it supplies it.
  const cuts = new Set<number>([from, to]);
  for (const o of objects) {
    if (o.name.start > from && o.name.start < to) cuts.add(o.name.start);
    if (o.name.end > from && o.name.end < to) cuts.add(o.name.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const holes: [number, number][] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const supplier = objects.find((o) => o.name.start <= a && a < o.name.end);
    if (supplier) keys.add(supplier.key);
    else if (holes.length > 0 && holes.at(-1)![1] === a) holes.at(-1)![1] = points[i + 1]!;
    else holes.push([a, points[i + 1]!]);
  }
  return { keys: [...keys], holes };
}

async function readObject(scan: TierScan<TokenDescriptor>, key: string, kind: StoreObjectKind): Promise<{ obj: VerifiedObject; bytes?: Uint8Array }> {
  const existing = scan.objects.get(key);
  const obj: VerifiedObject = existing ?? { store: scan.store.url, key, tier: scan.tier, kind, bytes: -1, ok: true, neededBy: [] };
  if (!existing) scan.objects.set(key, obj);
  try {
    const bytes = await scan.store.get(key);
    obj.bytes = bytes.length;
    return { obj, bytes };
  } catch (err) {
    obj.ok = false;
    obj.problem = `cannot be read: ${errorText(err)}`;
    return { obj };
  }
}

function need(scan: TierScan<TokenDescriptor>, key: string, kind: StoreObjectKind, token: string): VerifiedObject {
  let obj = scan.objects.get(key);
  if (!obj) {
    obj = { store: scan.store.url, key, tier: scan.tier, kind, bytes: -1, ok: false, problem: 'is missing', neededBy: [] };
    scan.objects.set(key, obj);
  }
  if (!obj.neededBy.includes(token)) obj.neededBy.push(token);
  return obj;
}

/** Reads the manifests of one tier and classifies every object under its prefix. */
async function scanTier<C extends TokenDescriptor>(tier: Tier, store: ObjectStore, kind: ManifestKind): Promise<TierScan<C>> {
  const manifests = new ManifestStore<C>(store);
  const keys = await store.list('');
  const scan: TierScan<C> = { tier, store, objects: new Map(), entries: [], checkpoints: [] };
  const entries = await manifests.all();
  scan.entries = entries;
  for (const key of keys) {
    const k = classifyKey(tier, key);
    if (k === 'manifest') continue;
    scan.objects.set(key, { store: store.url, key, tier, kind: k, bytes: -1, ok: true, neededBy: [] });
  }
  for (const e of entries) {
    const mkind: StoreObjectKind = e.manifest === undefined ? `${tier}-manifest` : isClaim(e as ManifestEntry<TokenDescriptor>) ? `${tier}-claim` : `${tier}-manifest`;
    const problem =
      e.error !== undefined
        ? errorText(e.error)
        : (e.manifest?.kind ?? 'hot') !== kind
          ? `is the manifest of a ${e.manifest?.kind ?? 'hot'} store, not of a ${kind} store`
          : undefined;
    const size = await store.head(e.key).catch(() => undefined);
    scan.objects.set(e.key, {
      store: store.url, key: e.key, tier, kind: mkind, bytes: size?.size ?? -1, ok: problem === undefined,
      ...(problem !== undefined ? { problem } : {}), neededBy: [],
    });
  }
  return scan;
}

/** Newest first: unique tokens of readable manifests. */
function tokensOf<C extends TokenDescriptor>(entries: ManifestEntry<C>[]): C[] {
  const seen = new Set<string>();
  const out: C[] = [];
  for (const e of entries) {
    const c = e.manifest?.checkpoint;
    if (c && !seen.has(c.token)) {
      seen.add(c.token);
      out.push(c);
    }
  }
  return out;
}

async function verifyLogObjects(scan: TierScan<TokenDescriptor>): Promise<void> {
  for (const obj of scan.objects.values()) {
    if (obj.kind !== 'hot-log-segment' && obj.kind !== 'cold-log' && obj.kind !== 'cold-chunk') continue;
    const name = parseLogObjectName(obj.key.split('/').pop()!)!;
    const { bytes } = await readObject(scan, obj.key, obj.kind);
    if (bytes === undefined) continue;
    const problem = checkLogObject(name, bytes);
    if (problem !== undefined) {
      obj.ok = false;
      obj.problem = problem;
    }
  }
}

async function verifySnapshot(scan: TierScan<TokenDescriptor>, key: string, kind: StoreObjectKind, expectedBytes: number, token: string): Promise<void> {
  const obj = need(scan, key, kind, token);
  const { bytes } = await readObject(scan, key, kind);
  if (bytes === undefined) return;
  obj.ok = true;
  delete obj.problem;
  try {
    if (bytes.length !== expectedBytes) throw new CorruptionError(`has ${bytes.length} bytes, expected ${expectedBytes} (truncated?)`, key);
    const stats = MemHashIndex.fromSnapshot(bytes, key).stats();
    obj.snapshot = { entries: stats.entries, buckets: stats.buckets };
  } catch (err) {
    obj.ok = false;
    obj.problem = errorText(err);
  }
}

function checkpointProblems(scan: TierScan<TokenDescriptor>, token: string, holes: string[]): string[] {
  const bad = [...scan.objects.values()].filter((o) => !o.ok && o.neededBy.includes(token)).map((o) => `${o.key}: ${o.problem ?? 'damaged'}`);
  return [...bad, ...holes];
}

/** Verifies a hot tier's (FasterKv's) checkpoints under `store`. */
async function verifyHot(store: ObjectStore): Promise<TierScan<CheckpointDescriptor>> {
  const scan = await scanTier<CheckpointDescriptor>('hot', store, 'hot');
  const s = scan as unknown as TierScan<TokenDescriptor>;
  await verifyLogObjects(s);
  const prefixes = logPrefixes([...scan.objects.keys()], (key) => (/^log\/e\d+\//.exec(key)?.[0]));
  for (const c of tokensOf(scan.entries)) {
    await verifySnapshot(s, c.index.key, 'hot-index', c.index.bytes, c.token);
    const holes: string[] = [];
    if (c.mode === 'snapshot') {
      for (const seg of c.segments) {
        const from = Math.max(seg.from, c.beginAddress);
        const to = Math.min(seg.to, c.finalAddress);
        const { keys, holes: h } = suppliers(prefixes.get(seg.prefix), from, to);
        for (const key of keys) need(s, key, 'hot-log-segment', c.token);
        for (const [a, b] of h) holes.push(`${seg.prefix}: no object holds [${a}, ${b})`);
      }
    }
    const problems = checkpointProblems(s, c.token, holes);
    scan.checkpoints.push({ tier: 'hot', descriptor: c, token: c.token, intact: problems.length === 0, problems });
  }
  return scan;
}

/** Verifies a cold tier's (ColdKv's) checkpoints under `store`. */
async function verifyCold(store: ObjectStore): Promise<TierScan<ColdCheckpointDescriptor>> {
  const scan = await scanTier<ColdCheckpointDescriptor>('cold', store, 'cold');
  const s = scan as unknown as TierScan<TokenDescriptor>;
  await verifyLogObjects(s);
  const prefixes = logPrefixes([...scan.objects.keys()], (key) => (key.startsWith('log/') ? 'log/' : key.startsWith('chunks/') ? 'chunks/' : undefined));
  for (const c of tokensOf(scan.entries)) {
    await verifySnapshot(s, c.table.key, 'cold-table', c.table.bytes, c.token);
    const holes: string[] = [];
    for (const [prefix, range, kind] of [['log/', c.log, 'cold-log'], ['chunks/', c.chunks, 'cold-chunk']] as const) {
      const { keys, holes: h } = suppliers(prefixes.get(prefix), range.beginAddress, range.finalAddress);
      for (const key of keys) need(s, key, kind, c.token);
      for (const [a, b] of h) holes.push(`${prefix}: no object holds [${a}, ${b})`);
    }
    const problems = checkpointProblems(s, c.token, holes);
    scan.checkpoints.push({ tier: 'cold', descriptor: c, token: c.token, intact: problems.length === 0, problems });
  }
  return scan;
}

/** Whether the newest manifest of a tier is readable and names an intact checkpoint (what `recover: true` opens). */
function newestOpens(scan: TierScan<TokenDescriptor>): boolean {
  const newest = scan.entries[0];
  if (!newest) return true; // an empty store opens as a new one
  if (newest.error !== undefined) return false;
  const token = newest.manifest?.checkpoint?.token;
  return token === undefined || scan.checkpoints.some((c) => c.token === token && c.intact);
}

function advise(layout: string, newest: string | undefined, opens: boolean, recoverable: string[], damaged: number): string {
  if (opens && damaged === 0) return `every object is intact; the ${layout} store opens at ${newest ?? 'a new, empty state'}`;
  if (opens) return `the newest checkpoint ${newest ?? ''} is intact and opens, but ${damaged} object(s) are damaged (only older or unused data)`;
  if (recoverable.length > 0) {
    return `the newest checkpoint${newest ? ` ${newest}` : ''} cannot be opened; intact checkpoints, newest first: ${recoverable.join(', ')}; open with recover: "${recoverable[0]}"`;
  }
  return 'no intact checkpoint remains; restore the store from a backup (or open with recover: false to start a new, empty store)';
}

function tierOf<C extends TokenDescriptor>(scan: TierScan<C>): VerifiedTier {
  const writerEpoch = scan.entries.find((e) => e.manifest !== undefined)?.manifest?.writerEpoch;
  return { tier: scan.tier, store: scan.store.url, manifests: scan.entries.length, ...(writerEpoch !== undefined ? { writerEpoch } : {}) };
}

async function withStore<T>(url: string, options: OpenObjectStoreOptions | undefined, fn: (s: ObjectStore) => Promise<T>): Promise<T> {
  const store = await openObjectStore(url, { ...options, createIfMissing: false });
  try {
    return await fn(store);
  } finally {
    await store.close().catch(() => undefined);
  }
}

/**
 * Verifies every checkpoint of the store at `target` (a URL, or options with the object-store
 * settings and, for an F2 store, the cold tier) and returns a report per object and per
 * checkpoint. Never modifies the store. The layout is detected: `<url>/f2/manifest/…` is an F2
 * store, manifests of kind `cold` a ColdKv, others a FasterKv's checkpoints.
 */
export async function verifyStore(target: string | VerifyStoreOptions): Promise<StoreVerification> {
  const opts: VerifyStoreOptions = typeof target === 'string' ? { url: target } : target;
  const f2Url = joinUrl(opts.url, 'f2');
  const isF2 = await withStore(opts.url, opts.store, async (s) => (await s.list('f2/manifest/')).length > 0);
  if (!isF2) {
    return withStore(opts.url, opts.store, async (store) => {
      const probe = await new ManifestStore(store).all();
      const kind = probe.find((e) => e.manifest)?.manifest?.kind ?? 'hot';
      const scan = (kind === 'cold' ? await verifyCold(store) : await verifyHot(store)) as unknown as TierScan<TokenDescriptor>;
      const recoverable = scan.checkpoints.filter((c) => c.intact).map((c) => c.token);
      const opens = newestOpens(scan);
      const objects = [...scan.objects.values()];
      const damaged = objects.filter((o) => !o.ok).length;
      const layout = kind === 'cold' ? 'cold' : 'hot';
      return {
        layout, ok: opens && damaged === 0, objects, checkpoints: scan.checkpoints, tiers: [tierOf(scan)], recoverable, newestOpens: opens,
        advice: advise(layout, scan.entries[0]?.manifest?.checkpoint?.token, opens, recoverable, damaged),
      };
    });
  }
  const f2 = await withStore(f2Url, opts.store, (store) => scanTier<F2CheckpointDescriptor>('f2', store, 'f2'));
  const hot = await withStore(joinUrl(opts.url, 'hot'), opts.store, verifyHot);
  const cold = opts.cold ? await withStore(opts.cold.url, opts.cold.store, verifyCold) : undefined;
  const objects = [...f2.objects.values(), ...hot.objects.values(), ...(cold?.objects.values() ?? [])];
  const f2Checkpoints: VerifiedCheckpoint[] = [];
  for (const c of tokensOf(f2.entries)) {
    const problems: string[] = [];
    const h = hot.checkpoints.find((x) => x.token === c.hot);
    if (!h) problems.push(`hot checkpoint ${c.hot} has no readable manifest`);
    else if (!h.intact) problems.push(...h.problems.map((p) => `hot ${p}`));
    if (cold) {
      const k = cold.checkpoints.find((x) => x.token === c.cold);
      if (!k) problems.push(`cold checkpoint ${c.cold} has no readable manifest`);
      else if (!k.intact) problems.push(...k.problems.map((p) => `cold ${p}`));
    }
    f2Checkpoints.push({ tier: 'f2', descriptor: c, token: c.token, intact: problems.length === 0, problems, hot: c.hot, cold: c.cold });
  }
  const newest = f2.entries[0];
  const newestToken = newest?.manifest?.checkpoint?.token;
  const opens = newest === undefined || (newest.error === undefined && (newestToken === undefined || f2Checkpoints.some((c) => c.token === newestToken && c.intact)));
  const recoverable = f2Checkpoints.filter((c) => c.intact).map((c) => c.token);
  // Damage that no checkpoint needs (shadowed or retired objects) does not stop any open.
  const damaged = objects.filter((o) => !o.ok).length;
  const note = cold ? '' : ' (cold tier not checked: pass cold.url)';
  return {
    layout: 'f2',
    ok: opens && damaged === 0,
    objects,
    checkpoints: [...f2Checkpoints, ...hot.checkpoints, ...(cold?.checkpoints ?? [])],
    tiers: [tierOf(f2), tierOf(hot), ...(cold ? [tierOf(cold)] : [])],
    recoverable,
    newestOpens: opens,
    advice: advise('F2', newestToken, opens, recoverable, damaged) + note,
  };
}

/**
 * For an F2 open that failed on a damaged object of one tier: the other F2 checkpoints (newest
 * first) that do not need that object, judged from the manifests alone (no data is read).
 */
export async function f2TokensNotNeeding(
  f2Store: ObjectStore,
  tierStore: ObjectStore,
  tier: 'hot' | 'cold',
  object: string,
  except: string,
): Promise<string[]> {
  const f2 = tokensOf(await new ManifestStore<F2CheckpointDescriptor>(f2Store).all());
  const out: string[] = [];
  if (tier === 'hot') {
    const hot = tokensOf(await new ManifestStore<CheckpointDescriptor>(tierStore).all());
    for (const c of f2) {
      const h = hot.find((x) => x.token === c.hot);
      if (c.token === except || !h) continue;
      if (!hotNeeds(h, object)) out.push(c.token);
    }
  } else {
    const cold = tokensOf(await new ManifestStore<ColdCheckpointDescriptor>(tierStore).all());
    for (const c of f2) {
      const k = cold.find((x) => x.token === c.cold);
      if (c.token === except || !k) continue;
      if (!coldNeeds(k, object)) out.push(c.token);
    }
  }
  return out;
}

function overlaps(object: string, prefix: string, from: number, to: number): boolean {
  if (!object.startsWith(prefix)) return false;
  const name = parseLogObjectName(object.slice(prefix.length));
  if (name) return name.start < to && name.end > from;
  // A hole "<prefix>[a, b)" reported by a device read.
  const m = /^\[(\d+), (\d+)\)$/.exec(object.slice(prefix.length));
  return m ? Number(m[1]) < to && Number(m[2]) > from : true;
}

function hotNeeds(c: CheckpointDescriptor, object: string): boolean {
  if (object === c.index.key) return true;
  if (object.startsWith('checkpoints/') || object.startsWith('manifest/')) return false;
  return c.segments.some((s) => overlaps(object, s.prefix, Math.max(s.from, c.beginAddress), Math.min(s.to, c.finalAddress)));
}

function coldNeeds(c: ColdCheckpointDescriptor, object: string): boolean {
  if (object === c.table.key) return true;
  if (object.startsWith('checkpoints/') || object.startsWith('manifest/')) return false;
  return overlaps(object, 'log/', c.log.beginAddress, c.log.finalAddress) || overlaps(object, 'chunks/', c.chunks.beginAddress, c.chunks.finalAddress);
}
