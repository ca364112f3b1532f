/**
 * Checkpoints with concurrent prefix recovery (CPR), after FASTER, on any ObjectStore.
 *
 * A checkpoint of version v:
 *  1. switch: the store's version becomes v+1 (operations issued from now on are v+1), each
 *     session's serial number is recorded, and readOnly moves to the tail S, so no record of
 *     version <= v is updated in place any more;
 *  2. drain: wait until every asynchronous operation of version v has completed (they were
 *     issued before the switch, so they belong to the checkpoint);
 *  3. capture: F = tail; snapshot the hash index. Records in [S, F) written by v+1 operations
 *     are excluded at recovery by their version parity (the descriptor's discard ranges);
 *  4. data: flush the log up to F to its device and sync; in snapshot mode also upload the log
 *     written since the previous checkpoint to the checkpoint store; write the index object;
 *  5. publish the manifest (create-if-absent of the next seq: the commit point and the fence);
 *  6. retention: delete checkpoints beyond `keep` and log data no retained checkpoint needs.
 * Operations keep running throughout; only their in-place updates of pre-switch records become
 * copies to the tail, so no record is torn between versions.
 */
import { randomBytes } from 'node:crypto';
import { crc32c } from '../core/checksum.js';
import { assert, CorruptionError, F2Error, FencedError } from '../core/errors.js';
import { Fence } from '../core/fence.js';
import { componentLogger } from '../core/logger.js';
import { FLAG_VERSION_ODD } from '../core/record-layout.js';
import { ObjectLogDevice } from '../devices/object-log-device.js';
import type { ObjectStore } from '../devices/object-store.js';
import type { StorageDevice } from '../devices/storage-device.js';
import type { HybridLog } from '../log/hybrid-log.js';
import {
  CheckpointNotFoundError,
  describeTokens,
  ManifestStore,
  MANIFEST_FORMAT,
  chooseCheckpoint,
  type CheckpointDescriptor,
  type LogSegment,
  type ManifestEntry,
} from './checkpoint-manifest.js';
import type { KvEngine } from './kv-engine.js';
import type { KvIndex } from './kv-index.js';
import type { ResolvedOptions } from './options.js';

/**
 * Object size of the checkpoint's log segments, and so the size of the chunks a snapshot upload
 * reads, checksums and uploads: one PUT each. Fewer, larger requests cost both sides less per
 * byte: on MinIO (bench:objectstore --transfer, 256 MiB, 4 PUTs at a time) the server spent about
 * 1.15 / 0.95 / 0.8 CPU-seconds for objects of 4 / 8 / 16 MiB, and the client 0.5 / 0.3 / 0.23.
 */
const SEGMENT_OBJECT_BYTES = 16 * 1024 * 1024;
/**
 * Segment uploads in flight at a time. Memory: their stored forms, one more being filled and two
 * chunks read (one ahead), so about (2 + 1 + 2) × 16 MiB at the peak of a snapshot upload.
 */
const SEGMENT_UPLOADS_IN_FLIGHT = 2;
/** A snapshot recovery checks and downloads the log in pieces of at most this many bytes (one ranged GET each). */
const RESTORE_PIECE_BYTES = 16 * 1024 * 1024;
/** Pieces a snapshot recovery checks or downloads at a time (ranged GETs in flight; one download buffer each). */
const RESTORE_PARALLEL = 2;

/** The checkpoint a store recovered from (FasterKv.recoveredCheckpoint). */
export interface RecoveredCheckpoint {
  /** Token of the checkpoint. */
  token: string;
  /** Snapshot mode: log bytes downloaded from the checkpoint store, and kept from the local device. */
  restoredBytes: number;
  /** Snapshot mode: log bytes already on the local device and kept rather than downloaded. */
  keptBytes: number;
  /** Per session id: operations with serial numbers up to this one survived. */
  sessions: Record<string, number>;
  /** Log tail address the checkpoint covers: the log was recovered up to here. */
  finalAddress: number;
  /** The operation-log address the checkpoint recorded at its version switch (durability). */
  aofAddress?: number;
}

export interface CheckpointClaim {
  manager: CheckpointManager;
  /** The checkpoint to recover, if any. */
  chosen: CheckpointDescriptor | undefined;
}

/** Checkpoints taken and failed, for a store's stats. */
export interface CheckpointStats {
  /** Checkpoints published (by checkpoint(), close() and the periodic timer). */
  taken: number;
  /** Of those, taken by the periodic timer (checkpoint.intervalMs). */
  periodic: number;
  /** Checkpoints that failed (the previous one stays in force). */
  failed: number;
  /** Token of the last checkpoint published, undefined before the first. */
  lastToken: string | undefined;
  /** Duration of the last published checkpoint in milliseconds. */
  lastMs: number;
  /** Time spent in checkpoints that were published. */
  totalMs: number;
  /** Message of the last failure, if any. */
  lastError: string | undefined;
}

export function emptyCheckpointStats(): CheckpointStats {
  return { taken: 0, periodic: 0, failed: 0, lastToken: undefined, lastMs: 0, totalMs: 0, lastError: undefined };
}

export class CheckpointManager {
  private readonly log = componentLogger('checkpoint');
  /** The store's fence (bindFence): set when another writer claims the checkpoint prefix. */
  private fence: Fence;
  readonly stats: CheckpointStats = emptyCheckpointStats();
  private inProgress: Promise<string> | undefined;
  private captureDone: Promise<void> | undefined;
  /** Retained checkpoints, newest first. */
  private retained: CheckpointDescriptor[];
  /** Snapshot mode: the log is uploaded up to here. */
  private uploadedUntil: number;
  private segments: LogSegment[];
  private chunks: [number, number, number][];
  private readonly segmentDevices = new Map<string, ObjectLogDevice>();
  private readonly segmentDevicesOpening = new Map<string, Promise<ObjectLogDevice>>();
  /** Log tail and session serials at the last checkpoint (to skip an empty final checkpoint). */
  private lastTail = -1;
  private lastSerials = '';

  private constructor(
    readonly store: ObjectStore,
    private readonly manifests: ManifestStore,
    private seq: number,
    readonly writerEpoch: number,
    readonly writerId: string,
    readonly mode: 'snapshot' | 'fold-over',
    readonly keep: number,
    retained: CheckpointDescriptor[],
    private readonly staleManifests: string[],
  ) {
    this.retained = retained;
    const newest = retained[0];
    this.uploadedUntil = newest?.finalAddress ?? 0;
    this.segments = newest?.segments ?? [];
    this.chunks = newest?.chunks ? [...newest.chunks] : [];
    this.fence = new Fence(`the store checkpointed at ${store.url}`);
  }

  /** Uses the store's fence: a fence this manager detects fences the store, and the reverse. */
  bindFence(fence: Fence): void {
    this.fence = fence;
  }

  /**
   * The claim check (one LIST): fences the store when another writer has published a manifest
   * after this writer's newest. Returns true when the store is fenced. Errors of the object
   * store propagate (the caller decides whether a failed check matters).
   */
  async checkClaim(keys?: { key: string; seq: number }[]): Promise<boolean> {
    if (this.fence.fenced) return true;
    const other = await this.manifests.newerWriter(this.seq, this.writerId, keys);
    if (other !== undefined) this.fence.fence(other);
    return this.fence.fenced;
  }

  /** True while a checkpoint is in progress (the periodic timer skips its tick then). */
  get busy(): boolean {
    return this.inProgress !== undefined;
  }

  /**
   * Records the store's state as the one the newest checkpoint holds (after recovery, or for a
   * new store: its empty state), so that an unchanged store takes no checkpoint on close() or
   * on the periodic timer.
   */
  markUnchanged(kv: KvEngine<KvIndex>): void {
    this.lastTail = kv.hlog.tailAddress;
    this.lastSerials = JSON.stringify(kv.sessionSnapshot());
  }

  /**
   * Reads the manifests, picks the checkpoint to recover (newest, a given token, or none), and
   * claims the store for this writer by publishing the next manifest with a higher writer epoch.
   */
  static async claim(store: ObjectStore, options: ResolvedOptions): Promise<CheckpointClaim> {
    const manifests = new ManifestStore(store);
    const { entries, chosen, seq, writerEpoch: epoch } = await chooseCheckpoint(manifests, 'hot', options.recover);
    const newestSeq = seq - 1;
    const writerId = randomBytes(8).toString('hex');
    // Retained checkpoints: the chosen one and older readable ones, up to `keep`.
    const retained: CheckpointDescriptor[] = [];
    const seen = new Set<string>();
    if (chosen) {
      for (const e of entries) {
        const c = e.manifest?.checkpoint;
        if (!c || seen.has(c.token) || retained.length >= options.checkpoint.keep) continue;
        if (c.finalAddress > chosen.finalAddress && c.token !== chosen.token) continue;
        seen.add(c.token);
        retained.push(c);
      }
      if (retained[0]?.token !== chosen.token) retained.unshift(chosen);
    }
    await manifests.publish({
      format: MANIFEST_FORMAT,
      seq: newestSeq + 1,
      writerEpoch: epoch,
      writerId,
      publishedAt: new Date().toISOString(),
      checkpoint: chosen,
    });
    const stale = entries.filter((e) => e.error === undefined && !retainedBy(e, retained)).map((e) => e.key);
    const manager = new CheckpointManager(
      store, manifests, newestSeq + 1, epoch, writerId, options.checkpoint.mode, options.checkpoint.keep, retained, stale,
    );
    return { manager, chosen };
  }

  get isFenced(): boolean {
    return this.fence.fenced;
  }

  /** Lowest log address any retained checkpoint needs (log truncation stops there). */
  truncationLimit(): number {
    // A checkpoint between its capture and its publish needs its range too (its snapshot upload
    // reads the log after the capture, while compaction may already move begin).
    let limit = this.capturedBegin ?? Number.MAX_SAFE_INTEGER;
    for (const c of this.retained) limit = Math.min(limit, c.beginAddress);
    return limit;
  }

  /**
   * Lowest operation-log address that a retained checkpoint replays from (the log may be
   * truncated below it); undefined when no retained checkpoint records one.
   */
  operationLogLimit(): number | undefined {
    let limit: number | undefined;
    for (const c of this.retained) if (c.aofAddress !== undefined) limit = Math.min(limit ?? c.aofAddress, c.aofAddress);
    return limit;
  }

  /** Begin address of the checkpoint in progress, from its capture until it is retained or abandoned. */
  private capturedBegin: number | undefined;

  /**
   * True between a checkpoint's version switch and its capture: the operations of the old version
   * must be able to finish, so nothing may hold them back (see AutoCompactor.shouldThrottle).
   */
  get switching(): boolean {
    return this.captureDone !== undefined;
  }

  /** Resolves when no checkpoint is between its version switch and its capture. */
  captured(): Promise<void> {
    return this.captureDone ?? Promise.resolve();
  }

  /** Resolves when no checkpoint is in progress. */
  idle(): Promise<void> {
    return this.inProgress ? this.inProgress.then(() => undefined, () => undefined) : Promise.resolve();
  }

  /** Loads the index snapshot of a checkpoint; `restore` rebuilds the index from its bytes. */
  async loadIndex<I extends KvIndex>(
    c: CheckpointDescriptor,
    others: () => Promise<string>,
    restore: (bytes: Uint8Array, where: string) => I,
  ): Promise<I> {
    const where = `${c.index.key} (checkpoint ${c.token})`;
    try {
      const bytes = await this.store.get(c.index.key);
      if (bytes.length !== c.index.bytes) {
        throw new CorruptionError(`index snapshot ${where} has ${bytes.length} bytes, expected ${c.index.bytes} (truncated?)`, c.index.key);
      }
      return restore(bytes, where);
    } catch (err) {
      throw await this.corruption(err, c, others);
    }
  }

  /**
   * Positions the log at the checkpoint: snapshot mode restores [begin, final) from the checkpoint
   * store into the log device (which may be empty: a fresh machine); fold-over reads the device.
   */
  async restoreLog(c: CheckpointDescriptor, hlog: HybridLog, others: () => Promise<string>): Promise<void> {
    const device = hlog.device;
    try {
      if (c.mode === 'snapshot') {
        if (device.persistent) {
          await this.restoreToDevice(c, device);
          await hlog.recover(c.beginAddress, c.finalAddress, (a, n) => device.read(a, n));
        } else {
          await hlog.recover(c.beginAddress, c.finalAddress, (a, n) => this.readSegments(c, a, n));
        }
      } else {
        await hlog.recover(c.beginAddress, c.finalAddress, async (a, n) => {
          const bytes = await device.read(a, n);
          if (bytes.length < n) {
            throw new CorruptionError(`log device ${device.name} lacks [${a}, ${a + n}) that fold-over checkpoint ${c.token} needs`, device.name);
          }
          return bytes;
        });
      }
    } catch (err) {
      throw await this.corruption(err, c, others);
    }
  }

  /**
   * Makes the local device hold [begin, final) of a snapshot checkpoint: chunks whose local bytes
   * match the checkpoint's chunk checksums are kept (a restart on the same machine), every other
   * range is downloaded from the checkpoint store (a fresh machine, or a damaged local log).
   */
  private async restoreToDevice(c: CheckpointDescriptor, device: StorageDevice): Promise<void> {
    // Tasks over disjoint ranges of at most RESTORE_PIECE_BYTES: a chunk with a checksum is kept
    // when the local bytes match it, anything else is downloaded. They run RESTORE_PARALLEL at a
    // time (parallel ranged GETs; checksum work overlaps with the transfers of the others).
    const started = performance.now();
    const tasks: { from: number; to: number; crc: number | undefined }[] = [];
    const download = (from: number, to: number): void => {
      for (let a = from; a < to; a += RESTORE_PIECE_BYTES) tasks.push({ from: a, to: Math.min(a + RESTORE_PIECE_BYTES, to), crc: undefined });
    };
    let covered = c.beginAddress;
    for (const [from, to, crc] of c.chunks ?? []) {
      if (to <= covered) continue;
      if (from > covered) download(covered, from);
      if (from >= covered) tasks.push({ from, to, crc });
      else download(covered, to);
      covered = to;
    }
    if (covered < c.finalAddress) download(covered, c.finalAddress);
    // Download buffers, one per task in flight, reused from piece to piece: a GET lands in one,
    // its blocks are checked and compacted there, and it is written to the device from there.
    const spare: Uint8Array[] = [];
    await forEachConcurrently(tasks, RESTORE_PARALLEL, async ({ from, to, crc }) => {
      if (crc !== undefined && (await this.localChecksum(device, from, to)) === crc) {
        this.keptBytes += to - from;
        return;
      }
      // Room for a piece with its blocks' checksums and the partial blocks at either end.
      const scratch = spare.pop() ?? new Uint8Array(RESTORE_PIECE_BYTES + RESTORE_PIECE_BYTES / 64 + 256 * 1024);
      try {
        for (let a = from; a < to; a += RESTORE_PIECE_BYTES) {
          const n = Math.min(RESTORE_PIECE_BYTES, to - a);
          await device.write(a, await this.readSegments(c, a, n, scratch));
          this.restoredBytes += n;
        }
      } finally {
        spare.push(scratch);
      }
    });
    // No fsync here: the checkpoint store holds these bytes durably, and a later recovery checks
    // the local ones against the chunk checksums (downloading what a machine crash lost). The
    // device syncs them with its other dirty segments at the next checkpoint or at close.
    this.log.debug({ token: c.token, restoredBytes: this.restoredBytes, keptBytes: this.keptBytes, ms: Math.round(performance.now() - started) }, 'log restored');
  }

  /** CRC-32C of [from, to) on the local device, read in pieces; undefined when the device lacks part of it. */
  private async localChecksum(device: StorageDevice, from: number, to: number): Promise<number | undefined> {
    let crc = 0;
    for (let a = from; a < to; a += RESTORE_PIECE_BYTES) {
      const n = Math.min(RESTORE_PIECE_BYTES, to - a);
      const local = await device.read(a, n).catch(() => undefined);
      if (local === undefined || local.length !== n) return undefined;
      crc = crc32c(local, 0, n, crc);
    }
    return crc;
  }

  /** Bytes of the log downloaded from / kept on the local device by the last recovery. */
  restoredBytes = 0;
  keptBytes = 0;

  /** Adds the token and the tokens that can be recovered instead to a CorruptionError. */
  private async corruption(err: unknown, c: CheckpointDescriptor, others: () => Promise<string>): Promise<unknown> {
    if (!(err instanceof CorruptionError)) return err;
    const object = err.object ?? c.index.key;
    const o = await others().catch(() => 'older checkpoints could not be listed');
    return new CorruptionError(`checkpoint ${c.token} is damaged: ${err.message}; ${o} (open with recover: "<token>")`, object, { cause: err });
  }

  private segmentDevice(prefix: string): Promise<ObjectLogDevice> {
    const d = this.segmentDevices.get(prefix);
    if (d) return Promise.resolve(d);
    // One open per prefix, also when parallel restore tasks ask at once.
    let opening = this.segmentDevicesOpening.get(prefix);
    if (!opening) {
      opening = ObjectLogDevice.open(this.store, { prefix, objectSize: SEGMENT_OBJECT_BYTES, maxPendingUploads: SEGMENT_UPLOADS_IN_FLIGHT }).then((device) => {
        this.segmentDevices.set(prefix, device);
        return device;
      });
      opening.finally(() => this.segmentDevicesOpening.delete(prefix)).catch(() => undefined);
      this.segmentDevicesOpening.set(prefix, opening);
    }
    return opening;
  }

  /** The log bytes [address, address + length) of a snapshot checkpoint; possibly a view of `scratch` (see ObjectLogDevice.read). */
  private async readSegments(c: CheckpointDescriptor, address: number, length: number, scratch?: Uint8Array): Promise<Uint8Array> {
    // One segment holds the whole range (the usual case): its device's answer is the answer.
    const only = c.segments.find((s) => s.from <= address && s.to >= address + length);
    if (only !== undefined) {
      const bytes = await (await this.segmentDevice(only.prefix)).read(address, length, scratch);
      if (bytes.length !== length) throw new CorruptionError(`checkpoint log segment ${only.prefix} is missing [${address + bytes.length}, ${address + length})`, only.prefix);
      return bytes;
    }
    const out = new Uint8Array(length);
    let filled = 0;
    for (const s of c.segments) {
      const from = Math.max(s.from, address);
      const to = Math.min(s.to, address + length);
      if (from >= to) continue;
      const bytes = await (await this.segmentDevice(s.prefix)).read(from, to - from);
      if (bytes.length !== to - from) {
        throw new CorruptionError(`checkpoint log segment ${s.prefix} is missing [${from}, ${to})`, s.prefix);
      }
      out.set(bytes, from - address);
      filled += to - from;
    }
    if (filled !== length) throw new CorruptionError(`checkpoint ${c.token} has no log data for part of [${address}, ${address + length})`, c.index.key);
    return out;
  }

  /** Takes a checkpoint of `kv` (serialized with any other in progress). Resolves with its token once durable. */
  checkpoint(kv: KvEngine<KvIndex>): Promise<string> {
    const previous = this.inProgress;
    const run = async (): Promise<string> => {
      if (previous) await previous.catch(() => undefined);
      return this.take(kv);
    };
    const p = run();
    this.inProgress = p;
    void p.finally(() => {
      if (this.inProgress === p) this.inProgress = undefined;
    }).catch(() => undefined);
    return p;
  }

  /** True when nothing was written since the last checkpoint (a final checkpoint can be skipped). */
  unchangedSince(kv: KvEngine<KvIndex>): boolean {
    return kv.hlog.tailAddress === this.lastTail && JSON.stringify(kv.sessionSnapshot()) === this.lastSerials;
  }

  private async take(kv: KvEngine<KvIndex>): Promise<string> {
    const started = performance.now();
    try {
      const token = await this.takeNow(kv);
      this.stats.taken++;
      this.stats.lastToken = token;
      this.stats.lastMs = performance.now() - started;
      this.stats.totalMs += this.stats.lastMs;
      return token;
    } catch (err) {
      this.stats.failed++;
      this.stats.lastError = errorText(err);
      if (err instanceof FencedError) this.fence.fence(err);
      throw err;
    } finally {
      this.capturedBegin = undefined;
    }
  }

  private async takeNow(kv: KvEngine<KvIndex>): Promise<string> {
    this.fence.throwIfFenced('checkpoint');
    const started = performance.now();
    const hlog = kv.hlog;
    // 1. switch
    const version = kv.version;
    const oldParity = kv.parityFlag;
    kv.version = version + 1;
    kv.parityFlag = oldParity === 0 ? FLAG_VERSION_ODD : 0;
    const sessions = kv.sessionSnapshot();
    // The operation log's tail at the switch: recovery replays the entries from here (durability).
    const aofAddress = kv.operationLog?.tailAddress;
    const start = hlog.tailAddress;
    hlog.shiftReadOnly(start);
    let signalCaptured = (): void => {};
    this.captureDone = new Promise<void>((resolve) => {
      signalCaptured = resolve;
    });
    kv.onVersionSwitch();
    let final: number;
    let begin: number;
    let indexBytes: Uint8Array;
    try {
      // 2. drain the operations of the checkpoint's version
      await kv.drained(oldParity);
      // 3. capture
      final = hlog.tailAddress;
      hlog.shiftReadOnly(final);
      begin = hlog.beginAddress;
      this.capturedBegin = begin;
      if (kv.index.snapshot === undefined) throw new F2Error('UNSUPPORTED', 'this index cannot be checkpointed');
      indexBytes = kv.index.snapshot((address) => kv.chainStart(address));
    } finally {
      this.captureDone = undefined;
      signalCaptured();
    }
    const buckets = kv.index.buckets;
    const discard = [...kv.discard.filter((d) => d.to > begin), { from: start, to: final, odd: kv.parityFlag !== 0 }].filter(
      (d) => d.to > d.from,
    );
    // 4. data, once the claim check finds no newer writer (a superseded writer uploads nothing);
    // with an operation log, it is committed past aofAddress: recovery replays from there
    if (await this.checkClaim()) throw this.fence.refusal('checkpoint');
    const phases = new PhaseTimer();
    const seq = this.seq + 1;
    const token = `${String(seq).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
    const indexKey = `checkpoints/${token}/index.bin`;
    // The flush of the log up to F, its sync, the operation-log commit, the snapshot upload and
    // the index PUT run at the same time: the upload reads each chunk once it is flushed (from
    // the page cache: nothing but the publish waits for the local fsync).
    const flushed = (async (): Promise<void> => {
      await hlog.flushUntil(final);
      phases.mark('flushMs');
      if (hlog.device.persistent) await hlog.device.sync();
      phases.mark('syncMs');
      await kv.operationLog?.commitNow();
    })();
    const indexWritten = this.store.put(indexKey, indexBytes, { ifNoneMatch: '*' }).then(() => phases.mark('indexMs'));
    // Awaited below; a failure while the upload still runs is not an unhandled rejection.
    flushed.catch(() => undefined);
    indexWritten.catch(() => undefined);
    let segments = this.segments.filter((s) => s.to > begin);
    const chunksBefore = this.chunks.length;
    try {
      if (this.mode === 'snapshot') segments = await this.upload(hlog, Math.max(this.uploadedUntil, begin), final, segments);
      phases.mark('uploadMs');
      await flushed;
      await indexWritten;
    } catch (err) {
      this.chunks.length = chunksBefore;
      const [, index] = await Promise.allSettled([flushed, indexWritten]);
      if (index.status === 'fulfilled') await this.store.delete([indexKey]).catch(() => undefined);
      throw err;
    }
    const descriptor: CheckpointDescriptor = {
      token,
      createdAt: new Date().toISOString(),
      mode: this.mode,
      version,
      pageSize: hlog.pageSize,
      indexBuckets: buckets,
      beginAddress: begin,
      startAddress: start,
      finalAddress: final,
      discard,
      index: { key: indexKey, bytes: indexBytes.length },
      segments,
      chunks: this.mode === 'snapshot' ? (this.chunks = this.chunks.filter(([, to]) => to > begin)) : undefined,
      sessions,
      ...(aofAddress !== undefined ? { aofAddress } : {}),
    };
    // 5. publish
    let published: number;
    try {
      published = await this.manifests.publish({
        format: MANIFEST_FORMAT,
        seq,
        writerEpoch: this.writerEpoch,
        writerId: this.writerId,
        publishedAt: new Date().toISOString(),
        checkpoint: descriptor,
      });
    } catch (err) {
      if (err instanceof FencedError) {
        this.fence.fence(err);
        await this.store.delete([indexKey]).catch(() => undefined);
      }
      this.chunks.length = chunksBefore;
      throw err;
    }
    phases.mark('publishMs');
    this.seq = published;
    this.uploadedUntil = final;
    this.segments = segments;
    this.lastTail = final === hlog.tailAddress ? final : -1;
    this.lastSerials = JSON.stringify(sessions);
    this.retained.unshift(descriptor);
    // 6. retention
    await this.retain(hlog, published);
    phases.mark('retainMs');
    this.log.debug({ token, version, begin, start, final, ms: performance.now() - started, ...phases.laps }, 'checkpoint published');
    return token;
  }

  /** Uploads [from, to) of the log to this writer's segment prefix; returns the new segment list. */
  private async upload(hlog: HybridLog, from: number, to: number, segments: LogSegment[]): Promise<LogSegment[]> {
    if (to <= from) return segments;
    const prefix = `log/e${this.writerEpoch}/`;
    const device = await this.segmentDevice(prefix);
    // Retries an upload that failed at an earlier checkpoint (write() refuses to go on past one).
    await device.sync();
    // A chunk still in the log's memory is handed to the device straight from the page frames
    // (the records below F were sealed at the capture and are no longer updated in place; the
    // device copies them before write() first yields). Any other chunk is read from a persistent
    // log device (one buffer per chunk), once the flush running alongside has reached its end,
    // and read ahead: the next one is read while this one is encoded and handed to the device,
    // whose PUTs run in parallel (up to its maxPendingUploads).
    const source = hlog.device;
    // Chunks end at the device's object boundaries, so each is one object whose checksum the
    // device computed while encoding it (the chunk is not read again for the manifest).
    const chunkEnd = (a: number): number => Math.min(to, (Math.floor(a / device.objectSize) + 1) * device.objectSize);
    const readChunk = (a: number): Promise<Uint8Array> | undefined => {
      if (!source.persistent || a >= hlog.headAddress) return undefined;
      const n = chunkEnd(a) - a;
      const p = hlog
        .flushUntil(a + n)
        .then(() => source.read(a, n))
        .then((bytes) => {
          if (bytes.length !== n) throw new CorruptionError(`log bytes [${a + bytes.length}, ${a + n}) are missing from ${source.name}`, source.name);
          return bytes;
        });
      p.catch(() => undefined); // awaited below; a failure of a read-ahead no one awaits is not unhandled
      return p;
    };
    let next = readChunk(from);
    for (let a = from; a < to; ) {
      const b = chunkEnd(a);
      const read = next;
      next = undefined;
      if (read === undefined && a >= hlog.headAddress) {
        // In memory now: one write per page part, each copied before the next check of head. A
        // chunk that does not end at an object boundary (the last one) stays buffered in the
        // device, which has no checksum for it yet: it is computed here.
        const ownCrc = b % device.objectSize !== 0;
        let crc = 0;
        for (let p = a; p < b; ) {
          const e = Math.min(b, (Math.floor(p / hlog.pageSize) + 1) * hlog.pageSize);
          let part: Uint8Array;
          if (p < hlog.headAddress) {
            part = await hlog.readRange(p, e - p); // evicted meanwhile
          } else {
            const frame = hlog.frames8[hlog.frameOf(p)];
            assert(frame !== undefined, `the page frame of resident address ${p} exists`);
            const offset = hlog.offsetOf(p);
            part = frame.subarray(offset, offset + (e - p));
          }
          if (ownCrc) crc = crc32c(part, 0, part.length, crc);
          await device.write(p, part);
          p = e;
        }
        if (b < to) next = readChunk(b);
        const written = device.writtenChecksum(a, b);
        this.chunks.push([a, b, written ?? (ownCrc ? crc : crc32c(await hlog.readRange(a, b - a)))]);
      } else {
        const bytes = await (read ?? hlog.readRange(a, b - a));
        if (b < to) next = readChunk(b);
        await device.write(a, bytes);
        this.chunks.push([a, b, device.writtenChecksum(a, b) ?? crc32c(bytes)]);
      }
      a = b;
    }
    await device.sync();
    const last = segments[segments.length - 1];
    if (last && last.prefix === prefix && last.to === from) return [...segments.slice(0, -1), { prefix, from: last.from, to }];
    return [...segments, { prefix, from, to }];
  }

  /** Deletes checkpoints beyond `keep` and data that no retained checkpoint needs. */
  private async retain(hlog: HybridLog, newestSeq: number): Promise<void> {
    const dropped = this.retained.slice(this.keep);
    this.retained = this.retained.slice(0, this.keep);
    const limit = this.truncationLimit();
    try {
      // A manifest newer than this writer's means another writer owns the prefix now: delete nothing.
      const manifestKeys = await this.manifests.keys();
      if (await this.checkClaim(manifestKeys)) return;
      await hlog.truncateDevice(limit);
      const keys: string[] = [...this.staleManifests.splice(0)];
      for (const c of dropped) keys.push(c.index.key);
      // Manifests older than the newest that describe no retained checkpoint.
      const retainedTokens = new Set(this.retained.map((c) => c.token));
      for (const e of manifestKeys) {
        if (e.seq >= newestSeq) continue;
        const entry: ManifestEntry = await this.manifests.read(e.key, e.seq);
        const token = entry.manifest?.checkpoint?.token;
        if (entry.error === undefined && (token === undefined || !retainedTokens.has(token))) keys.push(e.key);
      }
      await this.manifests.delete([...new Set(keys)]);
      for (const d of this.segmentDevices.values()) await d.truncateUntil(limit);
    } catch (err) {
      this.log.warn({ err }, 'checkpoint retention failed; it will be retried at the next checkpoint');
    }
  }

  /** Tokens of the checkpoints in the store, newest first. */
  async tokens(): Promise<string[]> {
    const entries = await this.manifests.all();
    return [...new Set(entries.flatMap((e) => (e.manifest?.checkpoint ? [e.manifest.checkpoint.token] : [])))];
  }

  async othersThan(token: string): Promise<string> {
    return describeTokens(await this.manifests.all(), token);
  }

  async close(): Promise<void> {
    await this.idle();
    // A fenced writer uploads nothing more into the prefix another writer owns now.
    for (const d of this.segmentDevices.values()) await (this.fence.fenced ? d.discard() : d.close());
    this.segmentDevices.clear();
    await this.store.close();
  }
}

/** When each phase of a checkpoint's data step ended, in milliseconds from its start (phases overlap), for its debug log line. */
class PhaseTimer {
  readonly laps: Record<string, number> = {};
  private readonly start = performance.now();

  mark(name: string): void {
    this.laps[name] = Math.round(performance.now() - this.start);
  }
}

/** Runs fn over items with at most `limit` calls in flight; rejects with the first failure (after the calls in flight settle). */
async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.err;
}

function retainedBy(e: ManifestEntry, retained: CheckpointDescriptor[]): boolean {
  const token = e.manifest?.checkpoint?.token;
  return token !== undefined && retained.some((c) => c.token === token);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

