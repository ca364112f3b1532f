/**
 * `f2kv inspect [dir]`: what a demo directory holds, without opening the store (which would claim
 * it as its writer): the marker, the summary of the newest run, the F2 checkpoints (read from
 * their manifests under checkpoints/f2) and the files the demo wrote.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { inspectStore, inspectUrl, newFindings, reportFindings, type InspectFindings } from './inspect-store.js';
import { loadConfig } from '../config/load-config.js';
import type { StoreConfig } from '../config/store-config.js';
import { DEMO_ENTRIES, DEMO_MARKER, readMarker } from './demo-dir.js';
import { formatBytes, formatCount, keyValues, table } from './format.js';
import type { Io } from './io.js';

interface FileRow {
  path: string;
  bytes: number;
}

async function listFiles(root: string, rel: string, out: FileRow[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) await listFiles(root, path, out);
    else if (e.isFile()) out.push({ path, bytes: (await stat(join(root, path))).size });
  }
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? formatCount(v) : v.toFixed(2);
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/**
 * The demo's checkpoints, verified: the F2 checkpoints (with both tiers) of a two-tier run, the
 * hot tier's of a --hot-only run. A directory without them gets a message, never a throw.
 */
async function showCheckpoints(abs: string, io: Io, findings: InspectFindings): Promise<void> {
  const isDir = async (path: string): Promise<boolean> => {
    try {
      return (await stat(path)).isDirectory();
    } catch {
      return false;
    }
  };
  const checkpoints = join(abs, 'checkpoints');
  if (await isDir(join(checkpoints, 'f2'))) {
    try {
      await inspectStore({ url: pathToFileURL(checkpoints).href, cold: { url: pathToFileURL(join(abs, 'cold')).href } }, io, findings);
    } catch (e) {
      findings.problems.push(`cannot read the checkpoints in ${checkpoints}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return;
  }
  io.out('\nNo F2 checkpoints (no checkpoints/f2: a --hot-only run, or the two-tier store never opened here)\n');
  const hotCheckpoints = join(abs, 'hot', 'checkpoints');
  if (await isDir(hotCheckpoints)) await inspectStore({ url: pathToFileURL(hotCheckpoints).href }, io, findings);
}

/** Shows a demo directory and verifies its checkpoints; returns the exit status (1 when something is wrong). */
export async function inspectDir(dir: string, io: Io): Promise<number> {
  const abs = resolve(dir);
  const marker = await readMarker(abs);
  if (marker === undefined) {
    throw new ConfigError('dir', `${abs} is not an f2kv demo directory (no readable ${DEMO_MARKER}); run \`f2kv demo --dir ${dir}\` first`);
  }
  io.out(`f2kv demo directory ${abs}\n` + keyValues([['created', marker.createdAt]]));
  const last = marker.lastRun as Record<string, unknown> | undefined;
  if (last !== undefined) {
    const pairs: [string, string][] = [];
    for (const [k, v] of Object.entries(last)) {
      if (typeof v === 'object' && v !== null) continue;
      pairs.push([k, typeof v === 'number' ? (Number.isInteger(v) ? formatCount(v) : v.toFixed(2)) : String(v)]);
    }
    io.out('\nNewest run\n' + keyValues(pairs));
    const phases = last['phases'];
    if (Array.isArray(phases)) {
      const rows = [['phase', 'operations', 'seconds', 'ops/s']];
      for (const p of phases as { name: string; operations: number; seconds: number; opsPerSecond: number }[]) {
        rows.push([p.name, formatCount(p.operations), p.seconds.toFixed(2), formatCount(p.opsPerSecond)]);
      }
      io.out(table(rows));
    }
    const sections: [string, string][] = [['log', 'Hot log at the end of the run'], ['reads', 'Reads by tier'], ['tiers', 'Tiers']];
    for (const [key, title] of sections) {
      const section = last[key];
      if (typeof section === 'object' && section !== null && !Array.isArray(section)) {
        io.out(`\n${title}\n` + keyValues(Object.entries(section as Record<string, unknown>).map(([k, v]) => [k, formatValue(v)])));
      }
    }
  } else {
    io.out('\nNo finished run recorded (the newest run was interrupted or is still running).\n');
  }
  const findings = newFindings();
  await showCheckpoints(abs, io, findings);
  const files: FileRow[] = [];
  for (const entry of DEMO_ENTRIES) await listFiles(abs, entry, files);
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  io.out(`\nFiles (${files.length}, ${formatBytes(total)})\n`);
  if (files.length > 0) io.out(table([['file', 'bytes'], ...files.map((f) => [f.path, formatCount(f.bytes)])]));
  return reportFindings(findings, io);
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * `f2kv inspect <config | url | dir>`: a configuration file (the store it describes), an object
 * store URL (checkpoints or a cold tier), a demo directory, or any other directory (read as a
 * file:// object store). Read-only. Returns the exit status: 0 when nothing is wrong, 1 when a
 * manifest or object is missing or corrupt.
 */
export async function inspectTarget(target: string, io: Io): Promise<number> {
  if (URL_SCHEME.test(target)) {
    const findings = newFindings();
    await inspectUrl(target, io, findings);
    return reportFindings(findings, io);
  }
  const abs = resolve(target);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(abs)).isDirectory();
  } catch {
    throw new ConfigError('inspect', `${abs}: no such file or directory; give a configuration file, an object store URL or a directory`);
  }
  if (isDirectory) {
    if ((await readMarker(abs)) !== undefined) return inspectDir(abs, io);
    const findings = newFindings();
    await inspectUrl(pathToFileURL(abs).href, io, findings);
    return reportFindings(findings, io);
  }
  return inspectConfig(await loadConfig(abs), io);
}

/** Lists the files of a file:// hot log device (its directory), if it is one. */
async function showHotLogFiles(device: unknown, io: Io): Promise<void> {
  if (typeof device !== 'string' || !device.startsWith('file://')) {
    io.out(`\nHot log device: ${typeof device === 'string' ? device : '(an object)'}\n`);
    return;
  }
  const dir = new URL(device).pathname;
  const files: FileRow[] = [];
  await listFiles(dir, '', files);
  const logFiles = files.filter((f) => !f.path.startsWith('checkpoints/'));
  const total = logFiles.reduce((sum, f) => sum + f.bytes, 0);
  io.out(`\nHot log device ${device}: ${logFiles.length} files, ${formatBytes(total)}\n`);
  if (logFiles.length > 0) io.out(table([['file', 'bytes'], ...logFiles.map((f) => [f.path, formatCount(f.bytes)])]));
}

export async function inspectConfig(config: StoreConfig, io: Io): Promise<number> {
  const findings = newFindings();
  const s = config.store;
  io.out(`f2kv store described by ${config.file}\n`);
  if (s.kind === 'f2') {
    const r = s.resolved;
    io.out(keyValues([
      ['kind', 'two tiers (F2Kv)'],
      ['hot log', typeof r.hot.log.device === 'string' ? r.hot.log.device : '(device object)'],
      ['cold tier', r.cold.url],
      ['checkpoints', r.checkpoint.url],
    ]));
    await showHotLogFiles(r.hot.log.device, io);
    await inspectStore({ url: r.checkpoint.url, store: r.checkpoint.store, cold: { url: r.cold.url, store: r.cold.store } }, io, findings);
  } else {
    const r = s.resolved;
    io.out(keyValues([
      ['kind', 'one tier (FasterKv)'],
      ['hot log', typeof r.log.device === 'string' ? r.log.device : '(device object)'],
      ['checkpoints', r.checkpoint.url ?? '(none)'],
    ]));
    await showHotLogFiles(r.log.device, io);
    if (r.checkpoint.url !== undefined) await inspectStore({ url: r.checkpoint.url, store: r.checkpoint.store }, io, findings);
  }
  return reportFindings(findings, io);
}
