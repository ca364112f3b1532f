/**
 * Network faults between f2kv and its object store (issue 11, item 1). A Toxiproxy proxy sits
 * between the store and MinIO, and between the store and Azurite (the servers of global-setup);
 * the F2 workload of ./f2-fault-workload.ts runs through it (sessions, hot → cold migration on a
 * small hot budget, a checkpoint every CHECKPOINT_EVERY_MS from a timer in the test) under:
 *   - latency:   every byte delayed 60 ms ± 40 ms, both directions;
 *   - bandwidth: 48 KB/s each way (a 32 KiB cold log object takes most of a second);
 *   - resets:    connections reset by peer (reset_peer) and cut after a few KB (limit_data),
 *                switched on and off every few hundred ms;
 *   - timeouts:  requests that hang (the `timeout` toxic drops data and never closes), so only
 *                the request policy's per-attempt timeout gets them out;
 *   - outage:    the proxy is disabled for 4 s (connections dropped and refused) and comes back.
 * Each scenario prints the operations attempted / acknowledged / failed (by typed error), the
 * checkpoints attempted / completed / failed, the object-store retries and the longest operation;
 * then the first instance is abandoned (a crash) and the store is opened again directly on the
 * server, and the recovery check of f2-fault-workload.ts runs (nothing acknowledged lost, exact
 * prefixes per session, every manifest readable).
 *
 * Nothing may hang: every operation and checkpoint settles within HANG_MS, and the longest
 * operation must stay within a bound derived from the request policy (timeoutMs, maxAttempts).
 * Replay with F2KV_SEED=<seed> (printed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../../src/core/prng.js';
import { openObjectStore, type OpenObjectStoreOptions } from '../../src/devices/open-object-store.js';
import { F2Kv } from '../../src/index.js';
import { testSeed } from '../../test/helpers/prng.js';
import { emptyStore, freshPrefix, withBackend } from '../backends.js';
import type { AzureEndpoint, S3Endpoint } from '../servers.js';
import { hostPort, Toxiproxy, type ToxiProxy } from '../toxiproxy.js';
import { describeCounts, faultStoreOptions, runWorkload, verifyRecovery, type FaultStoreLocation, type WorkloadCounts } from './f2-fault-workload.js';

const SEED = testSeed('network-faults');
const CHECKPOINT_EVERY_MS = 400;
const HANG_MS = 60_000;
/** How long the workload goes on after the faults stop. */
const HEALED_MS = 2000;
/** The request policy the faulty store runs with: short, so that faults turn into typed errors quickly. */
const POLICY = { timeoutMs: 1500, maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 400 } as const;
/**
 * The longest one request may take: every attempt timing out plus the largest backoffs. An
 * operation may wait for a few of them in sequence (a cold chunk and record read; a writer held
 * back by a migration pass of 32 concurrent puts), so its bound is a small multiple.
 */
const REQUEST_BOUND_MS = POLICY.maxAttempts * POLICY.timeoutMs + (POLICY.maxAttempts - 1) * POLICY.maxDelayMs;
const OP_BOUND_MS = 4 * REQUEST_BOUND_MS;

const log = (line: string): void => {
  process.stdout.write(`[network-faults] ${line}\n`);
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Scenario {
  name: string;
  /** Applies the faults over time; returns how many were injected. Resolves when the run should stop. */
  run(proxy: ToxiProxy, rng: Prng): Promise<number>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'latency',
    async run(proxy) {
      await proxy.addToxic({ name: 'lat-up', stream: 'upstream', toxicity: 1, spec: { type: 'latency', attributes: { latency: 60, jitter: 40 } } });
      await proxy.addToxic({ name: 'lat-down', stream: 'downstream', toxicity: 1, spec: { type: 'latency', attributes: { latency: 60, jitter: 40 } } });
      await sleep(4000);
      return 2;
    },
  },
  {
    name: 'bandwidth',
    async run(proxy) {
      await proxy.addToxic({ name: 'bw-up', stream: 'upstream', toxicity: 1, spec: { type: 'bandwidth', attributes: { rate: 48 } } });
      await proxy.addToxic({ name: 'bw-down', stream: 'downstream', toxicity: 1, spec: { type: 'bandwidth', attributes: { rate: 48 } } });
      await sleep(4000);
      return 2;
    },
  },
  {
    name: 'resets',
    async run(proxy, rng) {
      let injected = 0;
      const end = Date.now() + 4000;
      while (Date.now() < end) {
        const reset = rng.nextFloat() < 0.5;
        if (reset) {
          await proxy.addToxic({ name: 'reset', stream: 'upstream', toxicity: 0.5, spec: { type: 'reset_peer', attributes: { timeout: rng.nextInt(60) } } });
        } else {
          await proxy.addToxic({ name: 'reset', stream: 'downstream', toxicity: 0.5, spec: { type: 'limit_data', attributes: { bytes: 200 + rng.nextInt(8000) } } });
        }
        injected++;
        await sleep(100 + rng.nextInt(300));
        await proxy.removeToxic('reset');
        await sleep(100 + rng.nextInt(400));
      }
      return injected;
    },
  },
  {
    name: 'timeouts',
    async run(proxy, rng) {
      let injected = 0;
      const end = Date.now() + 4500;
      while (Date.now() < end) {
        await proxy.addToxic({ name: 'hang', stream: rng.nextFloat() < 0.5 ? 'upstream' : 'downstream', toxicity: 0.5, spec: { type: 'timeout', attributes: { timeout: 0 } } });
        injected++;
        await sleep(600 + rng.nextInt(900));
        await proxy.removeToxic('hang');
        await sleep(400 + rng.nextInt(600));
      }
      return injected;
    },
  },
  {
    name: 'outage',
    async run(proxy) {
      await sleep(1500);
      await proxy.setEnabled(false);
      await sleep(4000);
      await proxy.setEnabled(true);
      return 1;
    },
  },
];

interface Totals {
  scenarios: number;
  faultsInjected: number;
  opsAcknowledged: number;
  lost: number;
  hangs: number;
  untyped: number;
  checkpointsCompleted: number;
  checkpointsFailed: number;
  retries: number;
  longestOpMs: number;
}

const totals: Totals = { scenarios: 0, faultsInjected: 0, opsAcknowledged: 0, lost: 0, hangs: 0, untyped: 0, checkpointsCompleted: 0, checkpointsFailed: 0, retries: 0, longestOpMs: 0 };

let toxiproxy: Toxiproxy | undefined;
let dir = '';

beforeAll(async () => {
  toxiproxy = await Toxiproxy.start(log);
  dir = await mkdtemp(join(tmpdir(), 'f2kv-net-faults-'));
}, 600_000);

afterAll(async () => {
  await toxiproxy?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  log(
    `TOTAL: scenarios=${totals.scenarios} faults injected=${totals.faultsInjected} operations acknowledged=${totals.opsAcknowledged} lost=${totals.lost} ` +
      `hangs=${totals.hangs} untyped failures=${totals.untyped} checkpoints completed=${totals.checkpointsCompleted} failed=${totals.checkpointsFailed} ` +
      `retries=${totals.retries} longest op=${Math.round(totals.longestOpMs)} ms (bound ${OP_BOUND_MS} ms) (seed ${SEED})`,
  );
});

interface Backend {
  kind: 's3' | 'az';
  upstream: string;
  /** Object-store options with the endpoint replaced by `endpoint`. */
  options(endpoint: string | undefined): OpenObjectStoreOptions;
  url(prefix: string, sub: string): string;
}

async function runScenario(backend: Backend, proxy: ToxiProxy, scenario: Scenario, index: number): Promise<void> {
  const label = `${backend.kind}/${scenario.name}`;
  const seed = (SEED + index * 7919) >>> 0;
  const prefix = freshPrefix(`net-${scenario.name}`);
  const hotDir = join(dir, `${backend.kind}-${scenario.name}`);
  const loc = (endpoint: string | undefined): FaultStoreLocation => ({
    hotUrl: pathToFileURL(hotDir).href,
    coldUrl: backend.url(prefix, 'cold'),
    checkpointUrl: backend.url(prefix, 'ckpt'),
    store: { ...backend.options(endpoint), ...POLICY },
  });
  const proxied = loc(proxy.url);
  const direct = loc(undefined);
  const store = await F2Kv.open(faultStoreOptions(proxied, false));
  let faults = 0;
  let healedAt = Infinity;
  const started = performance.now();
  let counts: WorkloadCounts | undefined;
  try {
    const run = await runWorkload(store, {
      label,
      seed,
      sessions: 3,
      keySpace: 500,
      maxWindow: 12,
      checkpointEveryMs: CHECKPOINT_EVERY_MS,
      hangMs: HANG_MS,
      log,
      schedule: async () => {
        try {
          faults = await scenario.run(proxy, new Prng(seed ^ 0x3c6ef372));
        } finally {
          await proxy.setEnabled(true);
          await proxy.clearToxics();
        }
        // The network is healthy again: the store must carry on (a checkpoint called from now on completes).
        healedAt = performance.now();
        await sleep(HEALED_MS);
      },
    });
    counts = run.counts;
    const runMs = performance.now() - started;
    log(`${label}: faults injected=${faults}; ${describeCounts(counts)}; run ${Math.round(runMs)} ms`);
    // A crash: the instance stops where it stands; the store is opened again directly on the server.
    await store.abandon();
    const rec = await verifyRecovery(direct, run, label);
    log(
      `${label}: recovered ${rec.token ?? 'nothing'} (last completed ${run.lastCompleted?.token ?? 'none'}) in ${Math.round(rec.openMs)} ms; ` +
        `lost=${rec.lost}, ${rec.beyondAcknowledged} ops beyond the acknowledged checkpoint, ${rec.keysChecked} keys and ${rec.manifestsChecked} manifests checked`,
    );
    totals.scenarios++;
    totals.faultsInjected += faults;
    totals.opsAcknowledged += counts.opsAcknowledged;
    totals.lost += rec.lost;
    totals.hangs += counts.hangs;
    totals.untyped += counts.opsFailedUntyped + counts.checkpointsFailedUntyped;
    totals.checkpointsCompleted += counts.checkpointsCompleted;
    totals.checkpointsFailed += counts.checkpointsAttempted - counts.checkpointsCompleted;
    totals.retries += counts.retries;
    totals.longestOpMs = Math.max(totals.longestOpMs, counts.longestOpMs);

    expect(counts.hangs, `${label}: hangs`).toBe(0);
    expect(counts.untyped, `${label}: failures that are not F2Errors`).toEqual([]);
    expect(counts.opsFailedUntyped + counts.checkpointsFailedUntyped).toBe(0);
    expect(counts.opsAcknowledged, `${label}: the workload made progress`).toBeGreaterThan(100);
    expect(counts.checkpointsCompleted, `${label}: at least one checkpoint completed`).toBeGreaterThan(0);
    expect(counts.longestOpMs, `${label}: longest operation (bound ${OP_BOUND_MS} ms)`).toBeLessThan(OP_BOUND_MS);
    expect(rec.lost).toBe(0);
    expect(run.lastCompleted?.calledAt ?? 0, `${label}: a checkpoint called after the faults stopped completed (the store carried on)`).toBeGreaterThanOrEqual(healedAt);
  } finally {
    if (counts === undefined) await store.abandon().catch(() => undefined);
    await rm(hotDir, { recursive: true, force: true });
    const os = await openObjectStore(backend.url(prefix, ''), backend.options(undefined)).catch(() => undefined);
    if (os) {
      await emptyStore(os).catch(() => undefined);
      await os.close();
    }
  }
}

function s3Backend(s3: S3Endpoint): Backend {
  return {
    kind: 's3',
    upstream: hostPort(s3.endpoint),
    options: (endpoint) => ({ endpoint: endpoint ?? s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }),
    url: (prefix, sub) => `s3://${s3.bucket}/${prefix}${sub ? `/${sub}` : ''}`,
  };
}

function azureBackend(az: AzureEndpoint): Backend {
  return {
    kind: 'az',
    upstream: hostPort(az.blobEndpoint),
    options: (endpoint) => {
      if (endpoint === undefined) return { connectionString: az.connectionString };
      const path = new URL(az.blobEndpoint).pathname; // /<account> on Azurite
      return { connectionString: az.connectionString.replace(/BlobEndpoint=[^;]*/, `BlobEndpoint=${endpoint}${path}`) };
    },
    url: (prefix, sub) => `az://${az.container}/${prefix}${sub ? `/${sub}` : ''}`,
  };
}

function scenarioSuite(backend: () => Backend, name: string): void {
  let proxy: ToxiProxy | undefined;
  beforeAll(async () => {
    proxy = await toxiproxy!.createProxy(`${name}-${Date.now().toString(36)}`, backend().upstream);
  });
  afterAll(async () => {
    await proxy?.delete().catch(() => undefined);
  });
  SCENARIOS.forEach((scenario, i) => {
    it(`${scenario.name}: nothing acknowledged is lost, nothing hangs, failures are typed`, async () => {
      await runScenario(backend(), proxy!, scenario, i + (name === 'minio' ? 0 : 100));
    }, 120_000);
  });
}

withBackend('s3', 'network faults between f2kv and MinIO (Toxiproxy)', (s3) => {
  describe('scenarios', () => scenarioSuite(() => s3Backend(s3), 'minio'));
});

withBackend('azure', 'network faults between f2kv and Azurite (Toxiproxy)', (az) => {
  describe('scenarios', () => scenarioSuite(() => azureBackend(az), 'azurite'));
});
