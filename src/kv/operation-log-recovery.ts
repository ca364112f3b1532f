/**
 * Opening a store's operation log: after the checkpoint is restored, replay the log's entries
 * past it into the engine (through its sessions, so that each session's serial number ends at
 * its recovered prefix), then attach the log so that every later write is appended to it.
 * Starting a new store, or going back to an older checkpoint on purpose, drops the log's entries
 * instead: they belong to a history that is being abandoned.
 */
import { CorruptionError } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import type { ResolvedDurability } from './durability-options.js';
import type { KvEngine } from './kv-engine.js';
import type { KvIndex } from './kv-index.js';
import { ENTRY_UPSERT, OperationLog, replayOperationLog, type ReplayResult } from './operation-log.js';
import type { Session } from './session.js';

const log = componentLogger('operation-log');

export interface OperationLogStart {
  /** true: replay the entries past the recovered checkpoint; false: drop every entry. */
  replay: boolean;
  /** The recovered checkpoint's operation-log address (undefined: replay from the log's begin). */
  from: number | undefined;
  /** The recovered checkpoint's session serial numbers ({} without a checkpoint). */
  sessions: Record<string, number>;
}

export async function openOperationLog(
  engine: KvEngine<KvIndex>,
  durability: ResolvedDurability,
  start: OperationLogStart,
): Promise<{ log: OperationLog; replayed: ReplayResult | undefined }> {
  const aof = await OperationLog.open(durability);
  try {
    let replayed: ReplayResult | undefined;
    if (start.replay) {
      if (start.from !== undefined && start.from < aof.beginAddress) {
        // A return to an older checkpoint dropped the entries in between (see dropAll): what follows is the new history.
        log.warn({ from: start.from, begin: aof.beginAddress, url: aof.url }, 'the operation log begins after the recovered checkpoint; replaying what it holds');
      }
      if (start.from !== undefined && start.from > aof.stats().committedUntilAddress) {
        throw new CorruptionError(
          `the operation log at ${aof.url} ends at ${aof.stats().committedUntilAddress}, before address ${start.from} that the recovered checkpoint replays from; ` +
            'it was damaged or replaced: restore it, or open with recover: false (losing what it held)',
          aof.url,
        );
      }
      const active = new Map<string, Session>();
      const session = (id: string): Session => {
        let s = active.get(id);
        if (s === undefined) {
          s = engine.continueSession(id);
          active.set(id, s);
        }
        return s;
      };
      replayed = await replayOperationLog(aof, start.from ?? aof.beginAddress, start.sessions, {
        async apply(id, serial, kind, key, value) {
          const s = session(id);
          s.serial = serial - 1;
          if (kind === ENTRY_UPSERT) await s.upsert(key, value);
          else await s.delete(key);
        },
        finish(id, serial) {
          const s = session(id);
          s.serial = serial;
          s.end();
        },
      });
    } else {
      await aof.dropAll();
    }
    engine.operationLog = aof;
    return { log: aof, replayed };
  } catch (err) {
    await aof.abandon().catch(() => undefined);
    throw err;
  }
}
