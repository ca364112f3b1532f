/**
 * Checkpoints of the cold store, on the same object store as its data:
 *
 *   manifest/<seq>.json              one per publish (create-if-absent: the commit point and the fence)
 *   checkpoints/<token>/table.bin    the cold index table (the chunk store's hash index, CRC trailer)
 *   log/…                            cold log objects (an ObjectLogDevice)
 *   chunks/…                         chunk log objects (an ObjectLogDevice)
 *
 * Both logs already live on object storage, so a checkpoint flushes them up to the captured
 * tails (fold-over) and writes only the table and the manifest. Recovery restores the table and
 * positions both logs at their captured extents; objects written after the capture are shadowed
 * by the next writer's objects (a higher sequence base) as it writes the same addresses again.
 */
import { randomBytes } from 'node:crypto';
import { FencedError } from '../core/errors.js';
import type { ObjectStore } from '../devices/object-store.js';
import { chooseCheckpoint, describeTokens, ManifestStore, MANIFEST_FORMAT, type ManifestEntry } from '../kv/checkpoint-manifest.js';

export interface ColdCheckpointDescriptor {
  token: string;
  createdAt: string;
  /** The cold log: [beginAddress, finalAddress). */
  log: { pageSize: number; beginAddress: number; finalAddress: number };
  /** The chunk log and the index geometry. */
  chunks: { pageSize: number; beginAddress: number; finalAddress: number; chunks: number; chunkSlots: number };
  /** The table object (the chunk store's hash-index snapshot). */
  table: { key: string; bytes: number; buckets: number };
  /** Per session id, the serial number up to which its operations are in the checkpoint. */
  sessions: Record<string, number>;
}

export interface ColdClaim {
  manifests: ManifestStore<ColdCheckpointDescriptor>;
  chosen: ColdCheckpointDescriptor | undefined;
  /** Retained checkpoints, newest first (the chosen one first). */
  retained: ColdCheckpointDescriptor[];
  seq: number;
  writerEpoch: number;
  writerId: string;
}

/**
 * Reads the manifests, picks the checkpoint to recover (newest, a token, or none) and claims the
 * prefix for this writer (a manifest with the next writer epoch).
 */
export async function claimCold(store: ObjectStore, recover: boolean | string, keep: number): Promise<ColdClaim> {
  const manifests = new ManifestStore<ColdCheckpointDescriptor>(store);
  const { entries, chosen, seq, writerEpoch } = await chooseCheckpoint(manifests, 'cold', recover);
  const writerId = randomBytes(8).toString('hex');
  const retained: ColdCheckpointDescriptor[] = [];
  if (chosen) {
    retained.push(chosen);
    for (const e of entries) {
      const c = e.manifest?.checkpoint;
      if (!c || retained.length >= keep || retained.some((r) => r.token === c.token)) continue;
      if (c.log.finalAddress <= chosen.log.finalAddress) retained.push(c);
    }
  }
  await manifests.publish({
    format: MANIFEST_FORMAT,
    kind: 'cold',
    seq,
    writerEpoch,
    writerId,
    publishedAt: new Date().toISOString(),
    checkpoint: chosen,
  });
  return { manifests, chosen, retained, seq, writerEpoch, writerId };
}

/** Writes the table object and publishes the manifest of a new checkpoint. */
export async function publishCold(
  store: ObjectStore,
  claim: ColdClaim,
  descriptor: Omit<ColdCheckpointDescriptor, 'token' | 'table' | 'createdAt'>,
  table: Uint8Array,
  buckets: number,
): Promise<ColdCheckpointDescriptor> {
  const seq = claim.seq + 1;
  const token = `${String(seq).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
  const key = `checkpoints/${token}/table.bin`;
  await store.put(key, table, { ifNoneMatch: '*' });
  const full: ColdCheckpointDescriptor = {
    token,
    createdAt: new Date().toISOString(),
    ...descriptor,
    table: { key, bytes: table.length, buckets },
  };
  let published: number;
  try {
    published = await claim.manifests.publish({
      format: MANIFEST_FORMAT,
      kind: 'cold',
      seq,
      writerEpoch: claim.writerEpoch,
      writerId: claim.writerId,
      publishedAt: new Date().toISOString(),
      checkpoint: full,
    });
  } catch (err) {
    if (err instanceof FencedError) await store.delete([key]).catch(() => undefined);
    throw err;
  }
  claim.seq = published;
  return full;
}

/** Deletes what checkpoints beyond `keep` alone needed: their tables and older manifests. */
export async function retainCold(store: ObjectStore, claim: ColdClaim, keep: number): Promise<void> {
  const dropped = claim.retained.slice(keep);
  claim.retained = claim.retained.slice(0, keep);
  const keys = dropped.map((c) => c.table.key);
  const tokens = new Set(claim.retained.map((c) => c.token));
  for (const e of await claim.manifests.keys()) {
    if (e.seq >= claim.seq) continue;
    const entry: ManifestEntry<ColdCheckpointDescriptor> = await claim.manifests.read(e.key, e.seq);
    const token = entry.manifest?.checkpoint?.token;
    if (entry.error === undefined && (token === undefined || !tokens.has(token))) keys.push(e.key);
  }
  if (keys.length > 0) await store.delete([...new Set(keys)]);
}

export async function otherColdTokens(claim: ColdClaim, token: string): Promise<string> {
  return describeTokens(await claim.manifests.all(), token);
}
