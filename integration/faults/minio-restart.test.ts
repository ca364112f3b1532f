/**
 * Server crash and restart (issue 11, item 2): a MinIO of this test's own (not the shared one of
 * global-setup) is killed with SIGKILL, by its PID, while the F2 workload of
 * ./f2-fault-workload.ts runs against it — during a hot → cold migration (compactHotLog() called
 * just before the kill) and during a checkpoint (checkpoint() called just before the kill) — and
 * started again on the same data directory and port after a pause. The store is not reopened: it
 * must carry on (operations and checkpoints fail with typed errors while the server is down, a
 * checkpoint called after the last restart completes), and then a crash (abandon) and a recovery
 * straight from MinIO must hold everything acknowledged (exact prefixes per session, every
 * manifest readable). Nothing may hang. Replay with F2KV_SEED=<seed> (printed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F2Error } from '../../src/core/errors.js';
import { Prng } from '../../src/core/prng.js';
import { F2Kv } from '../../src/index.js';
import { testSeed } from '../../test/helpers/prng.js';
import { minioStoreOptions } from '../backends.js';
import { RestartableMinio } from '../servers.js';
import { describeCounts, faultStoreOptions, runWorkload, verifyRecovery, type FaultStoreLocation } from './f2-fault-workload.js';

const SEED = testSeed('minio-restart');
const ROUNDS = Number(process.env['F2KV_MINIO_RESTART_ROUNDS'] ?? 4);
const POLICY = { timeoutMs: 1500, maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 400 } as const;
const REQUEST_BOUND_MS = POLICY.maxAttempts * POLICY.timeoutMs + (POLICY.maxAttempts - 1) * POLICY.maxDelayMs;
const OP_BOUND_MS = 4 * REQUEST_BOUND_MS;
const HANG_MS = 60_000;

const log = (line: string): void => {
  process.stdout.write(`[minio-restart] ${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Moment = 'migration' | 'checkpoint';

describe('MinIO killed (SIGKILL) and restarted on the same data directory under the F2 workload', () => {
  let minio: RestartableMinio | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'f2kv-minio-restart-'));
    minio = await RestartableMinio.start(log, { dataDir: join(dir, 'minio-data') });
  }, 600_000);
  afterAll(async () => {
    await minio?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('carries on after every restart, and recovers everything acknowledged', async () => {
    const m = minio!;
    const s3 = m.info;
    const loc: FaultStoreLocation = {
      hotUrl: pathToFileURL(join(dir, 'hot')).href,
      coldUrl: `s3://${s3.bucket}/restart/cold`,
      checkpointUrl: `s3://${s3.bucket}/restart/ckpt`,
      store: minioStoreOptions(s3, POLICY),
    };
    const rng = new Prng(SEED);
    const store = await F2Kv.open(faultStoreOptions(loc, false));
    const kills: Record<Moment, number> = { migration: 0, checkpoint: 0 };
    /** Kills while the operation started just before was still running. */
    const inFlightAtKill: Record<Moment, number> = { migration: 0, checkpoint: 0 };
    const outcomes: Record<string, number> = {};
    let restartedAt = Infinity;
    let abandoned = false;
    try {
      const run = await runWorkload(store, {
        label: 'minio-restart',
        seed: SEED,
        sessions: 3,
        keySpace: 800,
        maxWindow: 12,
        checkpointEveryMs: 400,
        hangMs: HANG_MS,
        log,
        schedule: async ({ checkpoint }) => {
          await sleep(1000);
          for (let round = 0; round < ROUNDS; round++) {
            const moment: Moment = round % 2 === 0 ? 'migration' : 'checkpoint';
            let settled = false;
            const p: Promise<string> = moment === 'migration'
              ? store.compactHotLog().then((r) => `migrated ${r.recordsCopied}`, (e: unknown) => (e instanceof F2Error ? e.name : `UNTYPED ${String(e)}`))
              : checkpoint().then((ok) => (ok ? 'checkpoint completed' : 'checkpoint failed'));
            void p.then(() => (settled = true));
            await sleep(rng.nextInt(moment === 'migration' ? 60 : 25));
            kills[moment]++;
            const inFlight = !settled;
            if (inFlight) inFlightAtKill[moment]++;
            await m.kill();
            const downMs = 600 + rng.nextInt(1400);
            await sleep(downMs);
            await m.restart();
            restartedAt = performance.now();
            const outcome = await p;
            outcomes[`${moment}: ${outcome}`] = (outcomes[`${moment}: ${outcome}`] ?? 0) + 1;
            log(`round ${round + 1}: killed during ${moment} (${inFlight ? 'in flight' : 'it had finished'}), down ${downMs} ms; the ${moment} ended: ${outcome}`);
            await sleep(500 + rng.nextInt(1000));
          }
          // Up again for good: a checkpoint called from now on must complete.
          restartedAt = performance.now();
          await sleep(2500);
        },
      });
      const c = run.counts;
      log(`kills=${JSON.stringify(kills)} in flight at kill=${JSON.stringify(inFlightAtKill)} outcomes=${JSON.stringify(outcomes)}; ${describeCounts(c)}`);
      await store.abandon();
      abandoned = true;
      const rec = await verifyRecovery(loc, run, 'minio-restart');
      log(
        `recovered ${rec.token ?? 'nothing'} (last completed ${run.lastCompleted?.token ?? 'none'}) in ${Math.round(rec.openMs)} ms; ` +
          `lost=${rec.lost}, ${rec.beyondAcknowledged} ops beyond, ${rec.keysChecked} keys and ${rec.manifestsChecked} manifests checked`,
      );
      log(
        `TOTAL: restarts=${m.starts - 1} faults injected=${kills.migration + kills.checkpoint} operations acknowledged=${c.opsAcknowledged} lost=${rec.lost} hangs=${c.hangs} ` +
          `untyped failures=${c.opsFailedUntyped + c.checkpointsFailedUntyped} longest op=${Math.round(c.longestOpMs)} ms (bound ${OP_BOUND_MS} ms) (seed ${SEED})`,
      );
      expect(Object.keys(outcomes).filter((k) => k.includes('UNTYPED'))).toEqual([]);
      expect(c.hangs).toBe(0);
      expect(c.untyped).toEqual([]);
      expect(c.opsFailedUntyped + c.checkpointsFailedUntyped).toBe(0);
      expect(c.longestOpMs).toBeLessThan(OP_BOUND_MS);
      expect(rec.lost).toBe(0);
      expect(kills.migration + kills.checkpoint).toBe(ROUNDS);
      expect(run.lastCompleted?.calledAt ?? 0, 'a checkpoint called after the last restart completed').toBeGreaterThanOrEqual(restartedAt);
    } finally {
      if (!abandoned) await store.abandon().catch(() => undefined);
    }
  }, 300_000);
});
