/**
 * Periodic checkpoints (checkpoint.intervalMs): a store takes a checkpoint by itself every
 * interval. A tick is skipped while a checkpoint is in progress (never two at once) and when
 * nothing changed since the last one; the timer is unref()'d, stops when the store is fenced
 * and is stopped by close(). A failed checkpoint is logged and counted (the store's stats carry
 * `checkpoints.failed` and the last error); it is never thrown into the timer.
 */
import { FencedError } from '../core/errors.js';
import type { Fence } from '../core/fence.js';
import { IntervalTask } from '../core/interval-task.js';
import { componentLogger } from '../core/logger.js';
import type { CheckpointStats } from './checkpoint-manager.js';

const log = componentLogger('periodic-checkpoints');

/** What a store offers the periodic timer. */
export interface PeriodicCheckpointTarget {
  /** True while a checkpoint is in progress. */
  busy(): boolean;
  /** True when nothing changed since the last checkpoint. */
  unchanged(): boolean;
  /** Takes a checkpoint (it counts its own failures in `stats`). */
  checkpoint(): Promise<string>;
}

/** Starts the timer; undefined when intervalMs is 0. */
export function startPeriodicCheckpoints(
  intervalMs: number,
  target: PeriodicCheckpointTarget,
  stats: CheckpointStats,
  fence: Fence,
): IntervalTask | undefined {
  if (intervalMs <= 0) return undefined;
  const task = new IntervalTask(
    intervalMs,
    async () => {
      if (fence.fenced || target.busy() || target.unchanged()) return;
      try {
        const token = await target.checkpoint();
        stats.periodic++;
        log.debug({ token }, 'periodic checkpoint published');
      } catch (err) {
        if (err instanceof FencedError) log.warn({ err: err.message }, 'periodic checkpoint refused: the store is fenced; periodic checkpoints stop');
        else log.error({ err }, 'periodic checkpoint failed; the previous checkpoint stays in force, the next tick tries again');
      }
    },
    (err) => log.error({ err }, 'periodic checkpoint task failed'),
  );
  fence.onFenced(() => void task.stop());
  return task.start();
}
