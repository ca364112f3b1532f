/**
 * Read-only inspection of a store's objects for `f2kv inspect`: every manifest of a checkpoint
 * prefix (F2, hot tier, cold tier), the checkpoints they describe, and the objects those
 * checkpoints reference — index/table snapshots and log objects — each read in full and checked
 * (size, CRC-32C). Nothing is written, claimed or deleted: only LIST and GET requests are sent.
 */
import { crc32c } from '../core/checksum.js';
import { ObjectNotFoundError } from '../core/errors.js';
import type { ObjectStore } from '../devices/object-store.js';
import { openObjectStore } from '../devices/open-object-store.js';
import { parseLogObjectName, verifyLogObject } from '../devices/object-log-device.js';
import { MemHashIndex } from '../hot/mem-hash-index.js';
import type { ColdCheckpointDescriptor } from '../cold/cold-checkpoint.js';
import type { F2CheckpointDescriptor } from '../f2/f2-checkpoint.js';
import { ManifestStore, type CheckpointDescriptor, type ManifestEntry, type TokenDescriptor } from '../kv/checkpoint-manifest.js';
import type { OpenObjectStoreOptions } from '../devices/open-object-store.js';
import { formatBytes, formatCount, keyValues, table } from './format.js';
import type { Io } from './io.js';

/** What was found wrong, one line per object or manifest. */
export interface InspectFindings {
  problems: string[];
  objectsChecked: number;
  bytesChecked: number;
}

export function newFindings(): InspectFindings {
  return { problems: [], objectsChecked: 0, bytesChecked: 0 };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Opens an object store for reading only (never creates the prefix). */
export function openForReading(url: string, options: OpenObjectStoreOptions = {}): Promise<ObjectStore> {
  return openObjectStore(url, { ...options, createIfMissing: false });
}

function joinPrefix(url: string, child: string): string {
  return `${url.replace(/\/+$/, '')}/${child}`;
}

/** Reads every manifest (newest first) and reports unreadable ones. */
async function readManifests<C extends TokenDescriptor>(store: ObjectStore, what: string, findings: InspectFindings): Promise<ManifestEntry<C>[]> {
  const entries = await new ManifestStore<C>(store).all();
  for (const e of entries) {
    if (e.error !== undefined) findings.problems.push(`${what} manifest ${store.url}/${e.key}: ${message(e.error)}`);
    else findings.objectsChecked++;
  }
  return entries;
}

/** Distinct checkpoints named by readable manifests, newest first. */
function checkpointsOf<C extends TokenDescriptor>(entries: ManifestEntry<C>[]): C[] {
  const seen = new Set<string>();
  const out: C[] = [];
  for (const e of entries) {
    const c = e.manifest?.checkpoint;
    if (c === undefined || seen.has(c.token)) continue;
    seen.add(c.token);
    out.push(c);
  }
  return out;
}

/** Entries and fill of a hot index snapshot (7 entries per bucket). */
function describeIndex(data: Uint8Array): string {
  try {
    const st = MemHashIndex.fromSnapshot(data, 'index').stats();
    return `${formatCount(st.entries)} entries, ${((100 * st.entries) / (st.buckets * 7)).toFixed(1)}% full`;
  } catch (err) {
    return `unreadable (${message(err)})`;
  }
}

/** A snapshot object with a CRC-32C trailer (hot index, cold table): size and checksum. */
async function verifySnapshot(store: ObjectStore, key: string, bytes: number, findings: InspectFindings, describe?: (data: Uint8Array) => string): Promise<string> {
  try {
    const data = await store.get(key);
    findings.objectsChecked++;
    findings.bytesChecked += data.length;
    if (data.length !== bytes) {
      findings.problems.push(`${store.url}/${key}: ${formatCount(data.length)} bytes, the manifest says ${formatCount(bytes)} (truncated or replaced)`);
      return 'WRONG SIZE';
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.length < 4 || view.getUint32(data.length - 4, true) !== crc32c(data, 0, data.length - 4)) {
      findings.problems.push(`${store.url}/${key}: failed its CRC-32C check (damaged)`);
      return 'CORRUPT';
    }
    return describe === undefined ? 'ok' : `ok; ${describe(data)}`;
  } catch (err) {
    findings.problems.push(`${store.url}/${key}: ${message(err)}`);
    return err instanceof ObjectNotFoundError ? 'MISSING' : 'ERROR';
  }
}

/**
 * Checks the log objects under `prefix` that supply [from, to): each is read in full and its
 * blocks' CRCs checked; a part of the range no object covers is reported as missing.
 */
async function verifyLogRange(store: ObjectStore, prefix: string, from: number, to: number, what: string, findings: InspectFindings, verified: Set<string>): Promise<{ objects: number; bytes: number; bad: number }> {
  const result = { objects: 0, bytes: 0, bad: 0 };
  if (to <= from) return result;
  const objects = (await store.list(prefix))
    .map((key) => ({ key, name: parseLogObjectName(key.slice(prefix.length)) }))
    .filter((o): o is { key: string; name: NonNullable<typeof o.name> } => o.name !== undefined && o.name.end > from && o.name.start < to)
    .sort((a, b) => a.name.start - b.name.start || b.name.seq - a.name.seq);
  let covered = from;
  for (const o of objects) {
    if (o.name.start > covered) {
      findings.problems.push(`${what}: no object in ${store.url}/${prefix} holds addresses [${formatCount(covered)}, ${formatCount(o.name.start)}) (missing objects)`);
      result.bad++;
    }
    covered = Math.max(covered, o.name.end);
    result.objects++;
    result.bytes += o.name.end - o.name.start;
    if (verified.has(o.key)) continue;
    verified.add(o.key);
    try {
      await verifyLogObject(store, o.key, o.name);
      findings.objectsChecked++;
      findings.bytesChecked += o.name.end - o.name.start;
    } catch (err) {
      findings.problems.push(`${what}: ${store.url}/${o.key}: ${message(err)}`);
      result.bad++;
    }
  }
  if (covered < to) {
    findings.problems.push(`${what}: no object in ${store.url}/${prefix} holds addresses [${formatCount(covered)}, ${formatCount(to)}) (missing objects)`);
    result.bad++;
  }
  return result;
}

/** The hot tier's checkpoints in `store` (a FasterKv checkpoint.url, or <checkpoint.url>/hot of an F2Kv). */
export async function inspectHotCheckpoints(store: ObjectStore, io: Io, findings: InspectFindings, onlyTokens?: Set<string>): Promise<void> {
  const entries = await readManifests<CheckpointDescriptor>(store, 'hot checkpoint', findings);
  const all = checkpointsOf(entries);
  const checkpoints = onlyTokens === undefined ? all : all.filter((c) => onlyTokens.has(c.token));
  io.out(`\nHot tier checkpoints in ${store.url} (${checkpoints.length}${onlyTokens !== undefined ? ` named by F2 checkpoints, of ${all.length}` : ''}; ${entries.length} manifests, newest first)\n`);
  if (checkpoints.length === 0) return;
  const rows = [['token', 'created', 'mode', 'log [begin, final)', 'log size', 'index', 'objects', 'status', 'sessions (serial)']];
  const verified = new Set<string>();
  for (const c of checkpoints) {
    const indexStatus = await verifySnapshot(store, c.index.key, c.index.bytes, findings, describeIndex);
    let objects = 0;
    let bad = indexStatus.startsWith('ok') ? 0 : 1;
    for (const s of c.mode === 'snapshot' ? c.segments : []) {
      const from = Math.max(s.from, c.beginAddress);
      const to = Math.min(s.to, c.finalAddress);
      const r = await verifyLogRange(store, s.prefix, from, to, `hot checkpoint ${c.token}`, findings, verified);
      objects += r.objects;
      bad += r.bad;
    }
    rows.push([
      c.token, c.createdAt, c.mode, `[${formatCount(c.beginAddress)}, ${formatCount(c.finalAddress)})`, formatBytes(c.finalAddress - c.beginAddress),
      `${formatCount(c.indexBuckets)} buckets, ${formatBytes(c.index.bytes)} (${indexStatus})`,
      c.mode === 'snapshot' ? formatCount(objects) : 'on the log device', bad === 0 ? 'ok' : `${bad} PROBLEMS`,
      Object.entries(c.sessions).map(([id, serial]) => `${id}: ${formatCount(serial)}`).join(', '),
    ]);
  }
  io.out(table(rows));
}

/** The cold tier at `store` (its URL): manifests, checkpoints, table snapshots, log and chunk objects. */
export async function inspectColdTier(store: ObjectStore, io: Io, findings: InspectFindings, onlyTokens?: Set<string>): Promise<void> {
  const entries = await readManifests<ColdCheckpointDescriptor>(store, 'cold checkpoint', findings);
  const all = checkpointsOf(entries);
  const checkpoints = onlyTokens === undefined ? all : all.filter((c) => onlyTokens.has(c.token));
  const keys = await store.list('');
  const byPrefix = new Map<string, number>();
  for (const k of keys) {
    const top = k.includes('/') ? k.slice(0, k.indexOf('/')) : k;
    byPrefix.set(top, (byPrefix.get(top) ?? 0) + 1);
  }
  io.out(
    `\nCold tier ${store.url}: ${formatCount(keys.length)} objects (${[...byPrefix].map(([p, n]) => `${p}: ${formatCount(n)}`).join(', ')}); ` +
      `${checkpoints.length} checkpoints${onlyTokens !== undefined ? ` named by F2 checkpoints, of ${all.length}` : ''}, newest first\n`,
  );
  if (checkpoints.length === 0) return;
  const rows = [['token', 'created', 'log [begin, final)', 'log size', 'chunk log size', 'index', 'log objects', 'chunk objects', 'status']];
  const verified = new Set<string>();
  for (const c of checkpoints) {
    const tableStatus = await verifySnapshot(store, c.table.key, c.table.bytes, findings);
    const logR = await verifyLogRange(store, 'log/', c.log.beginAddress, c.log.finalAddress, `cold checkpoint ${c.token} (log)`, findings, verified);
    const chunkR = await verifyLogRange(store, 'chunks/', c.chunks.beginAddress, c.chunks.finalAddress, `cold checkpoint ${c.token} (chunks)`, findings, verified);
    const bad = (tableStatus === 'ok' ? 0 : 1) + logR.bad + chunkR.bad;
    rows.push([
      c.token, c.createdAt, `[${formatCount(c.log.beginAddress)}, ${formatCount(c.log.finalAddress)})`, formatBytes(c.log.finalAddress - c.log.beginAddress),
      formatBytes(c.chunks.finalAddress - c.chunks.beginAddress),
      `${formatCount(c.chunks.chunks)} chunks × ${c.chunks.chunkSlots} slots, table ${formatBytes(c.table.bytes)} (${tableStatus})`,
      formatCount(logR.objects), formatCount(chunkR.objects), bad === 0 ? 'ok' : `${bad} PROBLEMS`,
    ]);
  }
  io.out(table(rows));
}

/**
 * An F2 checkpoint root (<checkpoint.url>): the F2 manifests, then the hot tier's checkpoints
 * under hot/ and — when the cold URL is known — the cold tier's, limited to the tokens the F2
 * checkpoints name; each F2 checkpoint must find both of its tiers' checkpoints.
 */
export async function inspectF2Checkpoints(
  checkpointUrl: string, coldUrl: string | undefined, io: Io, findings: InspectFindings,
  storeOptions: OpenObjectStoreOptions = {}, coldOptions: OpenObjectStoreOptions = {},
): Promise<void> {
  const f2Store = await openForReading(joinPrefix(checkpointUrl, 'f2'), storeOptions);
  let checkpoints: F2CheckpointDescriptor[];
  try {
    const entries = await readManifests<F2CheckpointDescriptor>(f2Store, 'F2 checkpoint', findings);
    checkpoints = checkpointsOf(entries);
    const newest = entries.find((e) => e.manifest !== undefined)?.manifest;
    io.out(`\nF2 checkpoints (${checkpoints.length}, newest first; ${entries.length} manifests${newest !== undefined ? `; writer epoch ${newest.writerEpoch}` : ''}) in ${f2Store.url}\n`);
    if (checkpoints.length > 0) {
      io.out(table([
        ['token', 'created', 'hot token', 'cold token', 'sessions (serial)'],
        ...checkpoints.map((c) => [c.token, c.createdAt, c.hot, c.cold, Object.entries(c.sessions).map(([id, serial]) => `${id}: ${formatCount(serial)}`).join(', ')]),
      ]));
    }
  } finally {
    await f2Store.close();
  }
  const hotStore = await openForReading(joinPrefix(checkpointUrl, 'hot'), storeOptions);
  try {
    const hotTokens = new Set(checkpoints.map((c) => c.hot));
    await inspectHotCheckpoints(hotStore, io, findings, hotTokens);
    const found = new Set(checkpointsOf(await new ManifestStore<CheckpointDescriptor>(hotStore).all()).map((c) => c.token));
    for (const c of checkpoints) if (!found.has(c.hot)) findings.problems.push(`F2 checkpoint ${c.token} names hot checkpoint ${c.hot}, which no manifest in ${hotStore.url} describes`);
  } finally {
    await hotStore.close();
  }
  if (coldUrl === undefined) return;
  const coldStore = await openForReading(coldUrl, coldOptions);
  try {
    await inspectColdTier(coldStore, io, findings, new Set(checkpoints.map((c) => c.cold)));
    const found = new Set(checkpointsOf(await new ManifestStore<ColdCheckpointDescriptor>(coldStore).all()).map((c) => c.token));
    for (const c of checkpoints) if (!found.has(c.cold)) findings.problems.push(`F2 checkpoint ${c.token} names cold checkpoint ${c.cold}, which no manifest in ${coldStore.url} describes`);
  } finally {
    await coldStore.close();
  }
}

/**
 * An object-store URL given on the command line: an F2 checkpoint root (f2/ and hot/ inside), a
 * cold tier (manifests of kind "cold") or a FasterKv checkpoint store (manifests of the hot tier).
 */
export async function inspectUrl(url: string, io: Io, findings: InspectFindings): Promise<void> {
  const store = await openForReading(url);
  try {
    const keys = await store.list('');
    if (keys.length === 0) {
      findings.problems.push(`${url}: no objects (an empty or wrong prefix?)`);
      return;
    }
    if (keys.some((k) => k.startsWith('f2/manifest/'))) {
      io.out(`${url}: an F2 checkpoint store (the cold tier's URL is not recorded here; inspect the configuration file to check the cold tier too)\n`);
      await inspectF2Checkpoints(url, undefined, io, findings);
      return;
    }
    const first = (await new ManifestStore(store).all()).find((e) => e.manifest !== undefined)?.manifest;
    if (first?.kind === 'cold' || keys.some((k) => k.startsWith('chunks/'))) {
      io.out(`${url}: a cold tier\n`);
      await inspectColdTier(store, io, findings);
    } else {
      io.out(`${url}: a hot tier (FasterKv) checkpoint store\n`);
      await inspectHotCheckpoints(store, io, findings);
    }
  } finally {
    await store.close();
  }
}

/** Prints the summary of the checks and returns the exit status (0 when nothing is wrong). */
export function reportFindings(findings: InspectFindings, io: Io): number {
  io.out(`\nChecked ${formatCount(findings.objectsChecked)} manifests and objects (${formatBytes(findings.bytesChecked)} of snapshots and log read, CRC-32C verified)\n`);
  if (findings.problems.length === 0) {
    io.out('No problems found.\n');
    return 0;
  }
  io.out(`${findings.problems.length} PROBLEMS:\n` + keyValues(findings.problems.map((p, i) => [String(i + 1), p])));
  return 1;
}
