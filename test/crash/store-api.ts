/**
 * The crash harness's one view of the checkpoint API (open with checkpoint options, continue a
 * session, checkpoint, the recovered checkpoint), shared by the worker, the crash test and the
 * checkpoint benchmark's option building. Everything that depends on the exact shape of the
 * options lives here.
 */
import type { OpenObjectStoreOptions } from '../../src/devices/open-object-store.js';
import { FasterKv, type FasterKvOptions } from '../../src/index.js';

export type CheckpointMode = 'snapshot' | 'fold-over';

/** Where the worker's store lives; serializable (handed to the child as JSON). */
export interface StoreLocation {
  /** The hot log device, e.g. file:///tmp/x/hot. */
  logUrl: string;
  /** The checkpoint store, file:///… or s3://bucket/prefix. */
  checkpointUrl: string;
  /** Options for openObjectStore of the checkpoint URL (S3 endpoint, credentials, …). */
  checkpointStore?: OpenObjectStoreOptions;
  mode?: CheckpointMode;
  keep?: number;
  pageSize: string;
  memorySize: string;
  buckets: number;
}

export type CheckpointedStore = Awaited<ReturnType<typeof FasterKv.open>>;

/** Options of FasterKv.open; `compactionMaxLogSize` turns on automatic compaction with that log budget. */
export function storeOptions(loc: StoreLocation, recover: boolean | string = true, compactionMaxLogSize?: string): FasterKvOptions {
  return {
    index: { buckets: loc.buckets },
    ...(compactionMaxLogSize !== undefined ? { compaction: { enabled: true, maxLogSize: compactionMaxLogSize } } : {}),
    log: { device: loc.logUrl, pageSize: loc.pageSize, memorySize: loc.memorySize },
    checkpoint: {
      url: loc.checkpointUrl,
      ...(loc.mode !== undefined ? { mode: loc.mode } : {}),
      ...(loc.keep !== undefined ? { keep: loc.keep } : {}),
      ...(loc.checkpointStore !== undefined ? { store: loc.checkpointStore } : {}),
    },
    recover,
  };
}

export async function openStore(loc: StoreLocation, recover: boolean | string = true, compactionMaxLogSize?: string): Promise<CheckpointedStore> {
  return FasterKv.open(storeOptions(loc, recover, compactionMaxLogSize));
}

/** The recovered checkpoint's token and per-session serials (undefined: nothing recovered). */
export function recoveredOf(store: CheckpointedStore): { token: string; sessions: Record<string, number> } | undefined {
  const r = store.recoveredCheckpoint;
  return r === undefined ? undefined : { token: r.token, sessions: { ...r.sessions } };
}
