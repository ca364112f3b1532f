/**
 * `f2kv inspect [dir]`: what a demo directory holds, without opening the store (recovery comes with
 * checkpoints): the marker, the summary of the newest run, and the files the demo wrote.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
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
      if (k === 'phases' || k === 'log') continue;
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
    const log = last['log'];
    if (typeof log === 'object' && log !== null) {
      io.out('\nLog at the end of the run\n' + keyValues(Object.entries(log as Record<string, number>).map(([k, v]) => [k, formatCount(v)])));
    }
  } else {
    io.out('\nNo finished run recorded (the newest run was interrupted or is still running).\n');
  }
  const files: FileRow[] = [];
  for (const entry of DEMO_ENTRIES) await listFiles(abs, entry, files);
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  io.out(`\nFiles (${files.length}, ${formatBytes(total)})\n`);
  if (files.length > 0) io.out(table([['file', 'bytes'], ...files.map((f) => [f.path, formatCount(f.bytes)])]));
}
