/**
 * What `f2kv inspect` shows of a store's objects: the manifests of each tier (F2, hot, cold), the
 * checkpoints they describe and the objects those checkpoints read. Everything about what is
 * wrong — missing or corrupt objects, which checkpoints are intact, which older token can be
 * recovered — comes from verifyStore (src/f2/verify-store.ts), the one reader that checks a
 * store; this file only lays its report out. Nothing is written, claimed or deleted.
 */
import type { CheckpointDescriptor } from '../kv/checkpoint-manifest.js';
import type { ColdCheckpointDescriptor } from '../cold/cold-checkpoint.js';
import type { F2CheckpointDescriptor } from '../f2/f2-checkpoint.js';
import { verifyStore, type StoreVerification, type Tier, type VerifiedCheckpoint, type VerifiedObject, type VerifyStoreOptions } from '../f2/verify-store.js';
import { formatBytes, formatCount, keyValues, table } from './format.js';
import type { Io } from './io.js';

/** What inspect found wrong (one line per damaged object or checkpoint) and verifyStore's advice. */
export interface InspectFindings {
  problems: string[];
  /** Per tier, the checkpoints that cannot be opened ("cold: 000005-…, 000003-…"). */
  unusable: string[];
  advice: string[];
  objectsChecked: number;
  bytesChecked: number;
}

export function newFindings(): InspectFindings {
  return { problems: [], unusable: [], advice: [], objectsChecked: 0, bytesChecked: 0 };
}

type CheckpointOf<T extends Tier> = Extract<VerifiedCheckpoint, { tier: T }>;

function checkpointsOf<T extends Tier>(report: StoreVerification, tier: T): CheckpointOf<T>[] {
  return report.checkpoints.filter((c): c is CheckpointOf<T> => c.tier === tier);
}

function objectAt(report: StoreVerification, tier: Tier, key: string): VerifiedObject | undefined {
  return report.objects.find((o) => o.tier === tier && o.key === key);
}

function storeOf(report: StoreVerification, tier: Tier): string {
  return report.tiers.find((t) => t.tier === tier)?.store ?? '(not checked)';
}

function sessions(s: Record<string, number>): string {
  return Object.entries(s).map(([id, serial]) => `${id}: ${formatCount(serial)}`).join(', ');
}

/** A snapshot's state in a table cell: ok and what it holds, MISSING or DAMAGED. */
function snapshotStatus(obj: VerifiedObject | undefined, slotsPerBucket: number | undefined): string {
  if (obj === undefined || (!obj.ok && obj.bytes < 0)) return 'MISSING';
  if (!obj.ok) return 'DAMAGED';
  if (obj.snapshot === undefined || slotsPerBucket === undefined) return 'ok';
  const fill = (100 * obj.snapshot.entries) / (obj.snapshot.buckets * slotsPerBucket);
  return `ok; ${formatCount(obj.snapshot.entries)} entries, ${fill.toFixed(1)}% full`;
}

const status = (c: VerifiedCheckpoint): string => (c.intact ? 'ok' : `${c.problems.length} PROBLEMS`);

/** Objects of a tier that a checkpoint reads (besides its manifest and snapshot). */
function logObjectsNeeded(report: StoreVerification, tier: Tier, token: string, snapshotKey: string, kinds: VerifiedObject['kind'][]): number {
  return report.objects.filter((o) => o.tier === tier && o.key !== snapshotKey && kinds.includes(o.kind) && o.neededBy.includes(token)).length;
}

function showF2(report: StoreVerification, io: Io): Set<string>[] {
  const checkpoints = checkpointsOf(report, 'f2');
  const tier = report.tiers.find((t) => t.tier === 'f2');
  io.out(
    `\nF2 checkpoints (${checkpoints.length}, newest first; ${tier?.manifests ?? 0} manifests` +
      `${tier?.writerEpoch !== undefined ? `; writer epoch ${tier.writerEpoch}` : ''}) in ${storeOf(report, 'f2')}\n`,
  );
  if (checkpoints.length > 0) {
    io.out(table([
      ['token', 'created', 'hot token', 'cold token', 'sessions (serial)', 'status'],
      ...checkpoints.map((c) => {
        const d: F2CheckpointDescriptor = c.descriptor;
        return [c.token, d.createdAt, d.hot, d.cold, sessions(d.sessions), status(c)];
      }),
    ]));
  }
  return [new Set(checkpoints.map((c) => c.descriptor.hot)), new Set(checkpoints.map((c) => c.descriptor.cold))];
}

/** The hot tier's checkpoints (a FasterKv's checkpoint store, or <checkpoint.url>/hot of an F2Kv). */
function showHot(report: StoreVerification, io: Io, onlyTokens?: Set<string>): void {
  const all = checkpointsOf(report, 'hot');
  const checkpoints = onlyTokens === undefined ? all : all.filter((c) => onlyTokens.has(c.token));
  const manifests = report.tiers.find((t) => t.tier === 'hot')?.manifests ?? 0;
  io.out(`\nHot tier checkpoints in ${storeOf(report, 'hot')} (${checkpoints.length}${onlyTokens !== undefined ? ` named by F2 checkpoints, of ${all.length}` : ''}; ${manifests} manifests, newest first)\n`);
  if (checkpoints.length === 0) return;
  const rows = [['token', 'created', 'mode', 'log [begin, final)', 'log size', 'index', 'objects', 'status', 'sessions (serial)']];
  for (const c of checkpoints) {
    const d: CheckpointDescriptor = c.descriptor;
    const index = snapshotStatus(objectAt(report, 'hot', d.index.key), 7);
    rows.push([
      c.token, d.createdAt, d.mode, `[${formatCount(d.beginAddress)}, ${formatCount(d.finalAddress)})`, formatBytes(d.finalAddress - d.beginAddress),
      `${formatCount(d.indexBuckets)} buckets, ${formatBytes(d.index.bytes)} (${index})`,
      d.mode === 'snapshot' ? formatCount(logObjectsNeeded(report, 'hot', c.token, d.index.key, ['hot-log-segment'])) : 'on the log device',
      status(c), sessions(d.sessions),
    ]);
  }
  io.out(table(rows));
}

/** The cold tier: its objects by prefix, checkpoints, table snapshots, log and chunk objects. */
function showCold(report: StoreVerification, io: Io, onlyTokens?: Set<string>): void {
  const all = checkpointsOf(report, 'cold');
  const checkpoints = onlyTokens === undefined ? all : all.filter((c) => onlyTokens.has(c.token));
  const keys = report.objects.filter((o) => o.tier === 'cold').map((o) => o.key);
  const byPrefix = new Map<string, number>();
  for (const k of keys) {
    const top = k.includes('/') ? k.slice(0, k.indexOf('/')) : k;
    byPrefix.set(top, (byPrefix.get(top) ?? 0) + 1);
  }
  io.out(
    `\nCold tier ${storeOf(report, 'cold')}: ${formatCount(keys.length)} objects (${[...byPrefix].map(([p, n]) => `${p}: ${formatCount(n)}`).join(', ')}); ` +
      `${checkpoints.length} checkpoints${onlyTokens !== undefined ? ` named by F2 checkpoints, of ${all.length}` : ''}, newest first\n`,
  );
  if (checkpoints.length === 0) return;
  const rows = [['token', 'created', 'log [begin, final)', 'log size', 'chunk log size', 'index', 'log objects', 'chunk objects', 'status']];
  for (const c of checkpoints) {
    const d: ColdCheckpointDescriptor = c.descriptor;
    const tableStatus = snapshotStatus(objectAt(report, 'cold', d.table.key), undefined);
    rows.push([
      c.token, d.createdAt, `[${formatCount(d.log.beginAddress)}, ${formatCount(d.log.finalAddress)})`, formatBytes(d.log.finalAddress - d.log.beginAddress),
      formatBytes(d.chunks.finalAddress - d.chunks.beginAddress),
      `${formatCount(d.chunks.chunks)} chunks × ${d.chunks.chunkSlots} slots, table ${formatBytes(d.table.bytes)} (${tableStatus})`,
      formatCount(logObjectsNeeded(report, 'cold', c.token, d.table.key, ['cold-log'])),
      formatCount(logObjectsNeeded(report, 'cold', c.token, d.table.key, ['cold-chunk'])),
      status(c),
    ]);
  }
  io.out(table(rows));
}

/**
 * Adds what the report says is wrong to `findings`: each damaged object by name, each checkpoint
 * problem that is not a damaged object (a range no object holds, a tier checkpoint without a
 * manifest), and per tier the checkpoints that cannot be opened.
 */
function collect(report: StoreVerification, findings: InspectFindings): void {
  const damaged: string[] = [];
  for (const o of report.objects) {
    if (o.bytes >= 0) {
      findings.objectsChecked++;
      findings.bytesChecked += o.bytes;
    }
    if (o.ok) continue;
    damaged.push(o.key);
    const users = o.neededBy.length > 0 ? `needed by ${o.tier} checkpoint(s) ${o.neededBy.join(', ')}` : 'no checkpoint needs it';
    findings.problems.push(`${o.store}/${o.key} (${o.kind}) ${o.problem ?? 'is damaged'}; ${users}`);
  }
  for (const c of report.checkpoints) {
    for (const p of c.problems) if (!damaged.some((key) => p.includes(key))) findings.problems.push(`${c.tier} checkpoint ${c.token}: ${p}`);
  }
  for (const tier of ['f2', 'hot', 'cold'] as const) {
    const tokens = report.checkpoints.filter((c) => c.tier === tier && !c.intact).map((c) => c.token);
    if (tokens.length > 0) findings.unusable.push(`${tier}: ${tokens.join(', ')}`);
  }
  if (!report.ok && findings.problems.length === 0) findings.problems.push(`the newest checkpoint cannot be opened: ${report.advice}`);
  findings.advice.push(report.advice);
}

/**
 * Verifies the store at `target` with verifyStore, shows its manifests, checkpoints and objects
 * tier by tier, and adds its problems and advice to `findings`. `describe` prints a line naming
 * the layout found before the tables.
 */
export async function inspectStore(
  target: VerifyStoreOptions, io: Io, findings: InspectFindings, describe?: (layout: StoreVerification['layout']) => string,
): Promise<StoreVerification> {
  const report = await verifyStore(target);
  if (report.objects.length === 0) {
    io.out(`\n${target.url}: no objects\n`);
    return report;
  }
  if (describe !== undefined) io.out(describe(report.layout));
  if (report.layout === 'f2') {
    const [hot, cold] = showF2(report, io);
    showHot(report, io, hot);
    if (target.cold !== undefined) showCold(report, io, cold);
  } else if (report.layout === 'cold') {
    showCold(report, io);
  } else {
    showHot(report, io);
  }
  collect(report, findings);
  return report;
}

/**
 * An object-store URL given on the command line: an F2 checkpoint root (f2/ and hot/ inside), a
 * cold tier (manifests of kind "cold") or a FasterKv checkpoint store (manifests of the hot tier).
 */
export async function inspectUrl(url: string, io: Io, findings: InspectFindings): Promise<void> {
  const report = await inspectStore({ url }, io, findings, (layout) =>
    layout === 'f2'
      ? `${url}: an F2 checkpoint store (the cold tier's URL is not recorded here; inspect the configuration file to check the cold tier too)\n`
      : layout === 'cold'
        ? `${url}: a cold tier\n`
        : `${url}: a hot tier (FasterKv) checkpoint store\n`,
  );
  if (report.objects.length === 0) findings.problems.push(`${url}: no objects (an empty or wrong prefix?)`);
}

/** Prints the summary of the checks, the problems and what to do; returns the exit status (0 when nothing is wrong). */
export function reportFindings(findings: InspectFindings, io: Io): number {
  io.out(`\nChecked ${formatCount(findings.objectsChecked)} manifests and objects (${formatBytes(findings.bytesChecked)} read; sizes and CRC-32C verified)\n`);
  const advice = findings.advice.map((a) => `What to do: ${a}\n`).join('');
  if (findings.problems.length === 0) {
    io.out('No problems found.\n' + advice);
    return 0;
  }
  const unusable = findings.unusable.length > 0 ? `Checkpoints that cannot be opened (newest first)\n${findings.unusable.map((u) => `  ${u}\n`).join('')}` : '';
  io.out(`${findings.problems.length} PROBLEMS:\n` + keyValues(findings.problems.map((p, i) => [String(i + 1), p])) + unusable + advice);
  return 1;
}
