/**
 * FasterKv: the hot tier — the KvEngine over a MemHashIndex and a HybridLog on the configured
 * device (memory://, file://, s3://, az://), with its read cache, compaction, index growth and,
 * when a checkpoint store is configured (checkpoint.url, or the default beside a file:// log),
 * checkpoints: open() recovers the newest checkpoint (or `recover: token`) and claims the store
 * as its single writer.
 */
import { ConfigError } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { openObjectStore } from '../devices/open-object-store.js';
import { CheckpointManager } from '../kv/checkpoint-manager.js';
import { KvEngine } from '../kv/kv-engine.js';
import { openLogDevice } from '../kv/open-log-device.js';
import { resolveOptions, type FasterKvOptions, type ResolvedOptions } from '../kv/options.js';
import { MemHashIndex } from './mem-hash-index.js';

export class FasterKv extends KvEngine<MemHashIndex> {
  static async open(options: FasterKvOptions = {}): Promise<FasterKv> {
    let resolved = resolveOptions(options);
    const device = await openLogDevice(resolved.log.device, resolved.log.segmentSize);
    const fresh = (r: ResolvedOptions): FasterKv => new FasterKv(new MemHashIndex(r.index.buckets), KvEngine.newLog(device, r), r);
    try {
      if (resolved.checkpoint.url === undefined) {
        if (typeof resolved.recover === 'string') {
          throw new ConfigError('recover', 'a checkpoint token was given but no checkpoint.url is configured');
        }
        return fresh(resolved);
      }
      const objectStore = await openObjectStore(resolved.checkpoint.url, { createIfMissing: true, ...resolved.checkpoint.store });
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
              restoredBytes: manager.restoredBytes,
              keptBytes: manager.keptBytes,
            },
            chosen.version + 1,
            chosen.discard,
          );
        }
        store.attachCheckpoints(manager);
        return store;
      } catch (err) {
        await manager.close();
        throw err;
      }
    } catch (err) {
      await device.close().catch(() => undefined);
      throw err;
    }
  }
}
