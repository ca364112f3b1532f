/**
 * Checkpoint manifests on an ObjectStore, and single-writer fencing.
 *
 * Layout under the checkpoint store's prefix:
 *   manifest/<seq, 16 digits>.json   one per publish, created with if-none-match: * (never replaced)
 *   checkpoints/<token>/index.bin    hash-index snapshot (CRC-32C trailer)
 *   log/e<writer epoch>/…            snapshot-mode log segments (an ObjectLogDevice per writer epoch)
 *
 * The newest manifest (highest seq) is the truth. Publishing manifest seq+1 is a create-if-absent,
 * so exactly one writer can publish after seq: opening a store publishes a claim manifest
 * (writerEpoch + 1); a writer that has been superseded fails its next publish with FencedError
 * and publishes nothing. Data objects are written first, the manifest last, so a checkpoint
 * without its manifest does not exist. Each manifest carries a CRC of its body.
 */
import { crc32c } from '../core/checksum.js';
import { ConfigError, CorruptionError, F2Error, FencedError, ObjectNotFoundError, PreconditionFailedError } from '../core/errors.js';
import type { ObjectStore } from '../devices/object-store.js';

export const MANIFEST_FORMAT = 1;
const MANIFEST_PREFIX = 'manifest/';
/** Manifests of this writer whose publish was reported failed but landed, skipped in one publish at most. */
const MAX_OWN_LOST_PUBLISHES = 16;

export interface DiscardRange {
  /** Records in [from, to) whose version parity is `odd` belong to an unfinished version. */
  from: number;
  to: number;
  odd: boolean;
}

export interface LogSegment {
  /** ObjectLogDevice prefix in the checkpoint store holding [from, to). */
  prefix: string;
  from: number;
  to: number;
}

export interface CheckpointDescriptor {
  token: string;
  createdAt: string;
  mode: 'snapshot' | 'fold-over';
  /** Version whose operations the checkpoint holds. */
  version: number;
  pageSize: number;
  indexBuckets: number;
  beginAddress: number;
  /** Tail when the version switched. */
  startAddress: number;
  /** Log prefix covered: [beginAddress, finalAddress). */
  finalAddress: number;
  discard: DiscardRange[];
  /** The index snapshot object (it carries its own CRC-32C trailer). */
  index: { key: string; bytes: number };
  /** Snapshot mode: where [beginAddress, finalAddress) lives in the checkpoint store. */
  segments: LogSegment[];
  /**
   * Snapshot mode: CRC-32C of each uploaded chunk [from, to), so recovery can keep the chunks a
   * local log device still holds intact and download only the others.
   */
  chunks?: [from: number, to: number, crc: number][];
  /** Per session id, the serial number up to which its operations are in the checkpoint. */
  sessions: Record<string, number>;
  /** With an operation log: its tail at the version switch (recovery replays from there). */
  aofAddress?: number;
}

/** What a checkpoint descriptor must have for the manifest store (the hot tier's is CheckpointDescriptor). */
export interface TokenDescriptor {
  token: string;
}

/**
 * Which kind of store publishes into a prefix: absent for the hot tier (FasterKv, the original
 * format), 'cold' for a ColdKv, 'f2' for the two-tier store's own manifests. A store refuses to
 * open a prefix whose manifests are of another kind.
 */
export type ManifestKind = 'hot' | 'cold' | 'f2';

export interface Manifest<C extends TokenDescriptor = CheckpointDescriptor> {
  format: number;
  kind?: ManifestKind;
  seq: number;
  writerEpoch: number;
  writerId: string;
  publishedAt: string;
  /** Newest checkpoint, undefined for a store that has none yet. */
  checkpoint: C | undefined;
}

export function manifestKey(seq: number): string {
  return `${MANIFEST_PREFIX}${String(seq).padStart(16, '0')}.json`;
}

export function encodeManifest<C extends TokenDescriptor>(m: Manifest<C>): Uint8Array {
  const body = JSON.stringify(m);
  const crc = crc32c(new TextEncoder().encode(body));
  return new TextEncoder().encode(JSON.stringify({ crc, body }));
}

export function decodeManifest<C extends TokenDescriptor = CheckpointDescriptor>(bytes: Uint8Array, key: string): Manifest<C> {
  let outer: { crc?: unknown; body?: unknown };
  try {
    outer = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { crc?: unknown; body?: unknown };
  } catch (err) {
    throw new CorruptionError(`checkpoint manifest ${key} is not valid JSON (truncated or damaged)`, key, { cause: err });
  }
  if (typeof outer.body !== 'string' || typeof outer.crc !== 'number' || crc32c(new TextEncoder().encode(outer.body)) !== outer.crc) {
    throw new CorruptionError(`checkpoint manifest ${key} failed its checksum`, key);
  }
  const m = JSON.parse(outer.body) as Manifest<C>;
  if (typeof m.format !== 'number' || m.format > MANIFEST_FORMAT) {
    throw new ConfigError(
      'checkpoint',
      `manifest ${key} has format version ${String(m.format)}, newer than this f2kv understands (${MANIFEST_FORMAT}); upgrade f2kv to open this store`,
    );
  }
  return m;
}

/** A manifest read from the store, or the error that made it unreadable. */
export interface ManifestEntry<C extends TokenDescriptor = CheckpointDescriptor> {
  key: string;
  seq: number;
  manifest?: Manifest<C>;
  error?: unknown;
}

export class ManifestStore<C extends TokenDescriptor = CheckpointDescriptor> {
  constructor(readonly store: ObjectStore) {}

  /** Manifest keys, oldest first. */
  async keys(): Promise<{ key: string; seq: number }[]> {
    const keys = await this.store.list(MANIFEST_PREFIX);
    const out: { key: string; seq: number }[] = [];
    for (const key of keys) {
      const m = /^manifest\/(\d{16})\.json$/.exec(key);
      if (m) out.push({ key, seq: Number(m[1]) });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  async read(key: string, seq: number): Promise<ManifestEntry<C>> {
    try {
      const bytes = await this.store.get(key);
      const manifest = decodeManifest<C>(bytes, key);
      if (manifest.seq !== seq) throw new CorruptionError(`manifest ${key} claims seq ${manifest.seq}`, key);
      return { key, seq, manifest };
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      if (error instanceof ObjectNotFoundError) return { key, seq, error };
      return { key, seq, error };
    }
  }

  /** Every manifest, newest first (unreadable ones carry their error). */
  async all(): Promise<ManifestEntry<C>[]> {
    const keys = await this.keys();
    const entries: ManifestEntry<C>[] = [];
    for (const { key, seq } of keys.reverse()) entries.push(await this.read(key, seq));
    return entries;
  }

  /**
   * Publishes manifest `m` (m.seq must be one above the newest this writer knows) and returns the
   * seq it was published at. Throws FencedError if another writer published that seq first.
   *
   * A seq already taken by this very writer (same writerId and epoch) is not a fence: an earlier
   * publish whose put reached the store although its answer was lost (it failed after its
   * retries: a connection cut mid-request, a server restart). That manifest stands; this one
   * takes the next seq.
   */
  async publish(m: Manifest<C>): Promise<number> {
    for (let seq = m.seq; ; seq++) {
      try {
        await this.store.put(manifestKey(seq), encodeManifest({ ...m, seq }), { ifNoneMatch: '*' });
        if (seq > m.seq) {
          // Past a seq of our own (a publish whose answer was lost): the seq we took must not be a
          // gap that a newer writer's retention left behind its own newer manifests.
          const newer = await this.newerWriter(seq, m.writerId);
          if (newer !== undefined) {
            await this.store.delete([manifestKey(seq)]).catch(() => undefined); // our own, just written
            throw newer;
          }
        }
        return seq;
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
        const existing = await this.read(manifestKey(seq), seq);
        const own = existing.manifest !== undefined && existing.manifest.writerId === m.writerId && existing.manifest.writerEpoch === m.writerEpoch;
        if (own && seq - m.seq < MAX_OWN_LOST_PUBLISHES) continue;
        // The seq is taken but the manifest there could not be read (the server went away between
        // the put and the get, say): who holds the seq is unknown, so this publish fails with that
        // error and the next one finds out. Only a readable manifest of another writer, or one
        // that is gone or damaged, is a fence.
        if (existing.manifest === undefined && !(existing.error instanceof ObjectNotFoundError) && !(existing.error instanceof CorruptionError)) {
          throw existing.error;
        }
        const found = existing.manifest !== undefined
          ? `written by writer ${existing.manifest.writerId} epoch ${existing.manifest.writerEpoch}`
          : `unreadable: ${existing.error instanceof Error ? existing.error.message : String(existing.error)}`;
        throw new FencedError(
          `another writer took over the store at ${this.store.url} (manifest seq ${seq} already exists, ${found}); ` +
            'this instance may no longer write: close it and open the store again to continue from the newest checkpoint',
          { cause: err },
        );
      }
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.store.delete(keys);
  }

  /**
   * The claim check: a FencedError when another writer has published after `seq`, the newest
   * manifest of the writer `writerId`; undefined while that writer still owns the prefix. Costs
   * one LIST (`keys`, when the caller has just listed, saves it), plus one GET of the newest
   * manifest only when it is newer than `seq` (it may be this writer's own publish in flight).
   * An unreadable newer manifest is not taken as proof of another writer (it may be transient):
   * the check answers undefined and the next check or publish decides.
   */
  async newerWriter(seq: number, writerId: string, keys?: { key: string; seq: number }[]): Promise<FencedError | undefined> {
    const newest = (keys ?? (await this.keys())).at(-1);
    if (newest === undefined || newest.seq <= seq) return undefined;
    const entry = await this.read(newest.key, newest.seq);
    const m = entry.manifest;
    if (m === undefined) {
      // Removed between the LIST and the GET: only a newer owner's retention deletes manifests.
      if (!(entry.error instanceof ObjectNotFoundError)) return undefined;
      return new FencedError(`another writer took over the store at ${this.store.url} (manifest seq ${newest.seq} is newer than this writer's ${seq})`);
    }
    if (m.writerId === writerId) return undefined;
    return new FencedError(
      `another writer (epoch ${m.writerEpoch}, id ${m.writerId}) took over the store at ${this.store.url} ` +
        `with manifest seq ${m.seq}, newer than this writer's ${seq}`,
    );
  }
}

/** Tokens of readable checkpoints, newest first (for error messages). */
export function describeTokens<C extends TokenDescriptor>(entries: ManifestEntry<C>[], except?: string): string {
  const tokens = [...new Set(entries.flatMap((e) => (e.manifest?.checkpoint ? [e.manifest.checkpoint.token] : [])))].filter(
    (t) => t !== except,
  );
  return tokens.length === 0 ? 'no other checkpoint exists' : `checkpoints that can be recovered instead: ${tokens.join(', ')}`;
}

/**
 * Refuses a prefix that another kind of store publishes into (a cold store opened over a hot
 * store's checkpoints, or the reverse): their objects would be misread or deleted.
 */
export function refuseForeignKind<C extends TokenDescriptor>(entries: ManifestEntry<C>[], expected: ManifestKind, url: string): void {
  for (const e of entries) {
    const kind = e.manifest?.kind ?? 'hot';
    if (e.manifest !== undefined && kind !== expected) {
      throw new ConfigError(
        'url',
        `${url} holds the manifests of a ${kind} store (${e.key}), not of a ${expected} store; ` +
          'give each store its own prefix',
      );
    }
  }
}

/** What choosing a checkpoint to recover found: every manifest (newest first) and the choice. */
export interface CheckpointChoice<C extends TokenDescriptor> {
  entries: ManifestEntry<C>[];
  /** The checkpoint to recover, if any. */
  chosen: C | undefined;
  /** Seq and writer epoch of the claim manifest this writer publishes next. */
  seq: number;
  writerEpoch: number;
}

/**
 * Reads every manifest of a prefix, refuses one that another kind of store publishes into, and
 * picks the checkpoint to recover: the given token, the newest (`true`; an unreadable newest
 * manifest is a CorruptionError that lists the tokens that can be recovered instead), or none.
 */
export async function chooseCheckpoint<C extends TokenDescriptor>(
  manifests: ManifestStore<C>,
  kind: ManifestKind,
  recover: boolean | string,
): Promise<CheckpointChoice<C>> {
  const url = manifests.store.url;
  const entries = await manifests.all();
  refuseForeignKind(entries, kind, url);
  let chosen: C | undefined;
  if (typeof recover === 'string') {
    const found = entries.find((e) => e.manifest?.checkpoint?.token === recover);
    if (!found) {
      // The manifest that named it may be among the unreadable ones: that is damage, not absence.
      const unreadable = entries.filter((e) => e.error !== undefined && !(e.error instanceof ObjectNotFoundError));
      if (unreadable.length > 0) {
        throw new CorruptionError(
          `no readable ${kind} manifest in ${url} names checkpoint ${recover}, and ${unreadable.map((e) => e.key).join(', ')} cannot be read ` +
            `(${unreadable.map((e) => (e.error instanceof Error ? e.error.message : String(e.error))).join('; ')}); ` +
            `${describeTokens(entries)} (open with recover: "<token>")`,
          unreadable[0]!.key,
        );
      }
      throw new CheckpointNotFoundError(recover, describeTokens(entries));
    }
    chosen = found.manifest!.checkpoint;
  } else if (recover && entries.length > 0) {
    const newest = entries[0]!;
    if (newest.error !== undefined) {
      const why = newest.error instanceof Error ? newest.error.message : String(newest.error);
      throw new CorruptionError(
        `the newest ${kind} checkpoint manifest ${newest.key} in ${url} cannot be read (${why}); ` +
          `${describeTokens(entries)} (open with recover: "<token>")`,
        newest.key,
        { cause: newest.error },
      );
    }
    chosen = newest.manifest!.checkpoint;
  }
  const seq = (entries[0]?.seq ?? 0) + 1;
  const writerEpoch = Math.max(0, ...entries.map((e) => e.manifest?.writerEpoch ?? 0)) + 1;
  return { entries, chosen, seq, writerEpoch };
}

export class CheckpointNotFoundError extends F2Error {
  constructor(token: string, available: string) {
    super('CHECKPOINT_NOT_FOUND', `checkpoint ${token} does not exist; ${available}`);
  }
}
