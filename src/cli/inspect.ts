/**
 * `f2kv inspect [dir]`: what a demo directory holds, without opening the store (which would claim
 * it as its writer): the marker, the summary of the newest run, the F2 checkpoints (read from
 * their manifests under checkpoints/f2) and the files the demo wrote.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { openObjectStore } from '../devices/open-object-store.js';
import type { F2CheckpointDescriptor } from '../f2/f2-checkpoint.js';
import { ManifestStore } from '../kv/checkpoint-manifest.js';
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
 * Lists the F2 checkpoints from their manifests (read-only: nothing is claimed or published).
 * A directory without them (a --hot-only run) or with unreadable ones gets a message, never a throw.
 */
async function showF2Checkpoints(abs: string, io: Io): Promise<void> {
  const dir = join(abs, 'checkpoints', 'f2');
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error(`${dir} is not a directory`);
  } catch {
    io.out('\nNo F2 checkpoints (no checkpoints/f2: a --hot-only run, or the two-tier store never opened here)\n');
    return;
  }
  try {
    const store = await openObjectStore(pathToFileURL(dir).href, { createIfMissing: false });
    try {
      const entries = await new ManifestStore<F2CheckpointDescriptor>(store).all();
      const seen = new Set<string>();
      const rows = [['token', 'created', 'hot token', 'cold token', 'sessions (serial)']];
      let unreadable = 0;
      for (const e of entries) {
        if (e.error !== undefined) unreadable++;
        const c = e.manifest?.checkpoint;
        if (c === undefined || seen.has(c.token)) continue;
        seen.add(c.token);
        rows.push([c.token, c.createdAt, c.hot, c.cold, Object.entries(c.sessions).map(([id, serial]) => `${id}: ${formatCount(serial)}`).join(', ')]);
      }
      const newest = entries.find((e) => e.manifest !== undefined)?.manifest;
      io.out(
        `\nF2 checkpoints (${rows.length - 1}, newest first${unreadable > 0 ? `; ${unreadable} unreadable manifests` : ''}` +
          `${newest !== undefined ? `; writer epoch ${newest.writerEpoch}` : ''})\n`,
      );
      if (rows.length > 1) io.out(table(rows));
    } finally {
      await store.close();
    }
  } catch (e) {
    io.out(`\nF2 checkpoints: cannot read the manifests in ${dir} (${e instanceof Error ? e.message : String(e)})\n`);
  }
}

export async function inspectDir(dir: string, io: Io): Promise<void> {
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
  await showF2Checkpoints(abs, io);
  const files: FileRow[] = [];
  for (const entry of DEMO_ENTRIES) await listFiles(abs, entry, files);
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  io.out(`\nFiles (${files.length}, ${formatBytes(total)})\n`);
  if (files.length > 0) io.out(table([['file', 'bytes'], ...files.map((f) => [f.path, formatCount(f.bytes)])]));
}
