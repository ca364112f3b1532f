/**
 * The JSON of the cloud benchmark (bench/cloud.ts): what the summary file holds and what the
 * plots (bench/cloud-plots.ts) are drawn from. The full results file has the same shape plus
 * per-store details.
 */
import type { ProxyCounts, RequestKind } from './counting-proxy.js';
import type { KindLatency } from './kind-latency.js';

export type CloudStoreName = 'f2' | 'faster-bucket' | 'slatedb';
export type Backend = 'minio' | 'azurite';

/** Dollars per 1,000 requests, by kind. */
export type Prices = Record<'get' | 'put' | 'list' | 'head' | 'delete', number>;

export interface PhaseRequests {
  /** Requests per kind as the counting proxy saw them. */
  counts: ProxyCounts;
  /** Requests per operation (or per record loaded), by kind. */
  perOp: Record<RequestKind, number>;
  /** Bytes in + out per operation. */
  bytesPerOp: number;
  /** Dollars per million operations (records for the load) at the given prices. */
  dollarsPerMillionOps: number;
}

export interface CloudCell {
  store: CloudStoreName;
  /** "B zipf", "A uniform", "absent" (reads of keys that were never written). */
  cell: string;
  inFlight: number;
  ops: number;
  capped: boolean;
  seconds: number;
  opsPerSec: number;
  misses: number;
  hits: number;
  latency: { read?: KindLatency; update?: KindLatency; rmw?: KindLatency };
  requests: PhaseRequests;
  /** Durability points taken during the cell (f2kv checkpoints). */
  checkpoints: number;
  storedBytes: number;
  storedObjects: number;
  rssBytes: number;
}

export interface CloudLoad {
  store: CloudStoreName;
  records: number;
  seconds: number;
  recordsPerSec: number;
  /** Work after the load (f2: compactHotLog; faster-bucket: checkpoint; slatedb: memtable flush). */
  afterLoadSeconds: number;
  requests: PhaseRequests;
  storedBytes: number;
  storedObjects: number;
  rssBytes: number;
  verified: { checked: number; wrong: number };
}

export interface CloudSummary {
  benchmark: 'cloud';
  date: string;
  command: string;
  backend: Backend;
  environment: Record<string, unknown>;
  records: number;
  keySize: number;
  valueSize: number;
  memoryBytes: number;
  opsPerCell: number;
  maxCellSeconds: number;
  inFlight: number[];
  prices: Prices;
  checkpointEverySeconds: number;
  notes: string[];
  loads: CloudLoad[];
  cells: CloudCell[];
  targets: { name: string; measured: string; pass: boolean }[];
  failures: { store: string; error: string }[];
}
