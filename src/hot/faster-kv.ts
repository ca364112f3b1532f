/**
 * FasterKv: the hot tier — the KvEngine over a MemHashIndex and a HybridLog on the configured
 * device (memory://, file://, s3://, az://), with its read cache, compaction, index growth and,
 * when a checkpoint store is configured (checkpoint.url, or the default beside a file:// log),
 * checkpoints: open() recovers the newest checkpoint (or `recover: token`) and claims the store
 * as its single writer.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { IntervalTask } from '../core/interval-task.js';
import { componentLogger } from '../core/logger.js';
import { DirectoryLock } from '../devices/directory-lock.js';
import { ObjectLogDevice } from '../devices/object-log-device.js';
import { openObjectStore, parseObjectStoreUrl } from '../devices/open-object-store.js';
import type { StorageDevice } from '../devices/storage-device.js';
import { CheckpointManager } from '../kv/checkpoint-manager.js';
import { startFenceWatch } from '../kv/fence-watch.js';
import { KvEngine } from '../kv/kv-engine.js';
import { openOperationLog } from '../kv/operation-log-recovery.js';
import type { OperationLog, OperationLogStats, ReplayResult } from '../kv/operation-log.js';
import { startPeriodicCheckpoints } from '../kv/periodic-checkpoints.js';
import { fileLogDirectory, openLogDevice } from '../kv/open-log-device.js';
import { resolveOptions, type FasterKvOptions, type ResolvedOptions } from '../kv/options.js';
import { MemHashIndex } from './mem-hash-index.js';

export class FasterKv extends KvEngine<MemHashIndex> {
  private lock: DirectoryLock | undefined;
  /** Background tasks: periodic checkpoints and the claim check (stopped by close()). */
  private timers: IntervalTask[] = [];

  /**
   * The lock on a file:// log directory, held until close() (undefined for other devices).
   * Releasing it while the store is open defeats the single-writer protection; tests do so to
   * simulate a process that crashed.
   */
  get directoryLock(): DirectoryLock | undefined {
    return this.lock;
  }

  /**
   * Opens (and by default recovers) a store. A file:// log directory is locked for this store
   * (LockedError when another store has it open). If open fails, whatever it created is removed:
   * the log directory and a file:// checkpoint directory that did not exist before, and the lock.
   */
  static async open(options: FasterKvOptions = {}): Promise<FasterKv> {
    const resolved = resolveOptions(options);
    const undo = new OpenUndo();
    try {
      const directory = fileLogDirectory(resolved.log.device);
      if (directory !== undefined) {
        await undo.makeDirectory(directory);
        undo.lock = await DirectoryLock.acquire(directory);
      }
      if (resolved.checkpoint.url !== undefined) {
        const p = parseObjectStoreUrl(resolved.checkpoint.url, 'checkpoint.url');
        if (p.scheme === 'file') undo.noteMissing(p.path);
      }
      const store = await FasterKv.openLocked(resolved);
      store.lock = undo.lock;
      if (resolved.durability !== undefined) await store.startOperationLog(resolved);
      return store;
    } catch (err) {
      await undo.run();
      throw err;
    }
  }

  private static async openLocked(resolvedOptions: ResolvedOptions): Promise<FasterKv> {
    let resolved = resolvedOptions;
    const device = await openLogDevice(resolved.log.device, resolved.log.segmentSize);
    const fresh = (r: ResolvedOptions): FasterKv => new FasterKv(new MemHashIndex(r.index.buckets), KvEngine.newLog(device, r), r);
    try {
      if (resolved.checkpoint.url === undefined) {
        if (typeof resolved.recover === 'string') {
          throw new ConfigError('recover', 'a checkpoint token was given but no checkpoint.url is configured');
        }
        return fresh(resolved).watchDevice();
      }
      // A local checkpoint directory is created on first use; buckets and containers only when asked.
      const createIfMissing = resolved.checkpoint.store.createIfMissing ?? resolved.checkpoint.url.startsWith('file:');
      const objectStore = await openObjectStore(resolved.checkpoint.url, { ...resolved.checkpoint.store, createIfMissing }).catch((err: unknown) => {
        throw asCheckpointStoreError(err);
      });
      let claim;
      try {
        claim = await CheckpointManager.claim(objectStore, resolved);
      } catch (err) {
        await objectStore.close();
        throw err;
      }
      const { manager, chosen } = claim;
      try {
        let store: FasterKv;
        if (chosen === undefined) {
          store = fresh(resolved);
        } else {
          if (chosen.pageSize !== resolved.log.pageSize) {
            // The log's page size is fixed by the checkpoint: recover with its own value.
            componentLogger('faster-kv').warn(
              { configured: resolved.log.pageSize, checkpoint: chosen.pageSize },
              'log.pageSize differs from the checkpoint; using the checkpoint value',
            );
            resolved = {
              ...resolved,
              log: { ...resolved.log, pageSize: chosen.pageSize, memorySize: Math.max(resolved.log.memorySize, 2 * chosen.pageSize) },
            };
          }
          const others = (): Promise<string> => manager.othersThan(chosen.token);
          const index = await manager.loadIndex(chosen, others, (bytes, where) => MemHashIndex.fromSnapshot(bytes, where));
          resolved = { ...resolved, index: { ...resolved.index, buckets: index.buckets } };
          const hlog = KvEngine.newLog(device, resolved);
          await manager.restoreLog(chosen, hlog, others);
          store = new FasterKv(index, hlog, resolved);
          store.restoreState(
            {
              token: chosen.token,
              sessions: { ...chosen.sessions },
              finalAddress: chosen.finalAddress,
              ...(chosen.aofAddress !== undefined ? { aofAddress: chosen.aofAddress } : {}),
              restoredBytes: manager.restoredBytes,
              keptBytes: manager.keptBytes,
            },
            chosen.version + 1,
            chosen.discard,
          );
        }
        store.attachCheckpoints(manager);
        manager.markUnchanged(store);
        store.watchDevice();
        const ck = resolved.checkpoint;
        const periodic = startPeriodicCheckpoints(
          ck.intervalMs,
          { busy: () => manager.busy, unchanged: () => manager.unchangedSince(store), checkpoint: () => store.checkpoint() },
          manager.stats,
          store.fence,
        );
        const watch = startFenceWatch(ck.fenceCheckIntervalMs, store.fence, () => manager.checkClaim());
        store.timers = [periodic, watch].filter((t) => t !== undefined);
        return store;
      } catch (err) {
        await manager.close();
        throw err;
      }
    } catch (err) {
      await closeQuietly(device);
      throw err;
    }
  }

  // ------------------------------------------------------------------ durability (operation log)

  private aof: OperationLog | undefined;
  /** What the replay of the operation log at open applied (undefined without one). */
  replayed: ReplayResult | undefined;

  /** Entries, commits and addresses of the operation log (undefined without a `durability` section). */
  operationLogStats(): OperationLogStats | undefined {
    return this.aof?.stats();
  }

  /** Opens the operation log, replays it past the recovered checkpoint and attaches it. */
  private async startOperationLog(resolved: ResolvedOptions): Promise<void> {
    const recovered = this.recoveredCheckpoint;
    try {
      const { log, replayed } = await openOperationLog(this, resolved.durability!, {
        replay: resolved.recover === true,
        from: recovered?.aofAddress,
        sessions: recovered?.sessions ?? {},
      });
      this.aof = log;
      this.replayed = replayed;
    } catch (err) {
      // Not close(): its final checkpoint would publish a half-replayed state.
      await this.abandon().catch(() => undefined);
      await this.hlog.device.close().catch(() => undefined);
      await this.lock?.release();
      throw err;
    }
  }

  /** Takes a checkpoint (see KvEngine.checkpoint), then drops the operation log below what retained checkpoints replay from. */
  override async checkpoint(): Promise<string> {
    const token = await super.checkpoint();
    const limit = this.operationLogLimit();
    if (this.aof !== undefined && limit !== undefined) await this.aof.truncateUntil(limit);
    return token;
  }


  /** A log on object storage fences the store when an upload finds another writer's object. */
  private watchDevice(): this {
    const device = this.hlog.device;
    if (device instanceof ObjectLogDevice) device.onFenced = (err) => this.fence.fence(err);
    return this;
  }

  /**
   * Stops the periodic checkpoints and the claim check, closes the store (see KvEngine.close:
   * a fenced store publishes nothing) and then releases the directory lock.
   */
  override async close(): Promise<void> {
    try {
      await this.stopTimers();
      await super.close();
    } finally {
      try {
        await this.aof?.close();
      } finally {
        await this.lock?.release();
      }
    }
  }

  /** Stops where it stands, as a crashed process (see KvEngine.abandon): no timers, and the operation log commits nothing more. */
  override async abandon(): Promise<void> {
    void this.stopTimers();
    super.abandon();
    await this.aof?.abandon();
  }

  private async stopTimers(): Promise<void> {
    const timers = this.timers;
    this.timers = [];
    await Promise.all(timers.map((t) => t.stop()));
  }
}

/** A ConfigError of the checkpoint store names its option by its full path (`checkpoint.store.endpoint`). */
function asCheckpointStoreError(err: unknown): unknown {
  if (!(err instanceof ConfigError) || err.option.startsWith('checkpoint.')) return err;
  const message = err.message.startsWith(`${err.option}: `) ? err.message.slice(err.option.length + 2) : err.message;
  return new ConfigError(`checkpoint.store.${err.option}`, message, { cause: err.cause });
}

async function closeQuietly(device: StorageDevice): Promise<void> {
  await device.close().catch(() => undefined);
}

/** What a failing open() must take back: directories it created and the lock it took. */
class OpenUndo {
  lock: DirectoryLock | undefined;
  /**
   * Topmost directories that did not exist before open(), removed with their contents; a
   * `locked` one (the log directory) only while its lock is held.
   */
  private readonly created: Array<{ path: string; locked: boolean }> = [];

  /** Creates `directory` (its parent exists), remembering it when it is new. */
  async makeDirectory(directory: string): Promise<void> {
    try {
      await mkdir(directory);
      this.created.push({ path: directory, locked: true });
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
      if (code !== 'EEXIST') throw new ConfigError('log.device', `cannot create ${directory} (${String(code ?? err)}); check the path and its permissions`, { cause: err });
    }
  }

  /** Remembers the topmost missing directory on the way to `path`, which open() may create. */
  noteMissing(path: string): void {
    let missing: string | undefined;
    for (let p = path; !existsSync(p); p = dirname(p)) {
      missing = p;
      if (dirname(p) === p) break;
    }
    if (missing === undefined) return;
    const inside = this.created.some((c) => missing === c.path || missing.startsWith(`${c.path}/`));
    if (!inside) this.created.push({ path: missing, locked: false });
  }

  async run(): Promise<void> {
    for (const { path, locked } of this.created.reverse()) {
      // With the lock held nobody else writes in the log directory; without it (the lock was
      // refused) it is removed only when empty, since the store that holds it may already use it.
      if (!locked || this.lock !== undefined) await rm(path, { recursive: true, force: true }).catch(() => undefined);
      else await rmdir(path).catch(() => undefined);
    }
    await this.lock?.release();
  }
}
