/**
 * The background claim check (checkpoint.fenceCheckIntervalMs): every interval a store looks
 * whether another writer has claimed its prefix (one LIST of the manifests; one GET more only
 * when a newer manifest exists) and fences itself if so, so that its writes fail with
 * FencedError although it neither writes nor checkpoints. The timer is unref()'d, ends once the
 * store is fenced and is stopped by close(). A check that fails (the object store is
 * unreachable) is logged and tried again at the next tick; it does not fence the store.
 */
import type { Fence } from '../core/fence.js';
import { IntervalTask } from '../core/interval-task.js';
import { componentLogger } from '../core/logger.js';

const log = componentLogger('fence-watch');

/**
 * Starts the check; undefined when intervalMs is 0. `check` fences the store itself when it finds
 * another writer (CheckpointManager.checkClaim and its peers).
 */
export function startFenceWatch(intervalMs: number, fence: Fence, check: () => Promise<unknown>): IntervalTask | undefined {
  if (intervalMs <= 0) return undefined;
  const task = new IntervalTask(
    intervalMs,
    async () => {
      if (fence.fenced) return;
      try {
        await check();
      } catch (err) {
        log.warn({ err }, 'claim check failed (object store unreachable?); trying again at the next interval');
      }
    },
    (err) => log.error({ err }, 'claim check task failed'),
  );
  fence.onFenced(() => void task.stop());
  return task.start();
}
