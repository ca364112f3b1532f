/**
 * The demo's data directory, handled so that the demo can never delete user data.
 *
 * A demo directory holds a marker file (f2kv-demo.json) and the entries the demo creates
 * (DEMO_ENTRIES). Before a run, only those entries are removed, and only:
 * - when the directory does not exist (it is created), is empty, or carries the marker; or
 * - with --fresh, which adopts an existing directory that lacks the marker.
 * Anything else in the directory is never touched, even with --fresh.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';

export const DEMO_MARKER = 'f2kv-demo.json';
export const DEMO_KIND = 'f2kv-demo';
/** Entries of a demo directory that a new run replaces (hot log now; cold tier and checkpoints later). */
export const DEMO_ENTRIES = ['hot', 'cold', 'checkpoints'] as const;

export interface DemoMarker {
  kind: typeof DEMO_KIND;
  createdAt: string;
  /** Summary of the newest run, written when it finishes. */
  lastRun?: unknown;
}

export async function readMarker(dir: string): Promise<DemoMarker | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, DEMO_MARKER), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && (parsed as { kind?: unknown }).kind === DEMO_KIND) {
      return parsed as DemoMarker;
    }
  } catch {
    // A marker that is not ours (or is damaged) does not make this a demo directory.
  }
  return undefined;
}

export async function writeMarker(dir: string, marker: DemoMarker): Promise<void> {
  const tmp = join(dir, `.${DEMO_MARKER}.tmp`);
  await writeFile(tmp, JSON.stringify(marker, null, 2) + '\n');
  await rename(tmp, join(dir, DEMO_MARKER));
}

/**
 * Makes `dir` an empty demo directory (see the file comment) and returns its absolute path.
 * Throws a ConfigError naming the directory when it may hold someone else's data.
 */
export async function prepareDemoDir(dir: string, fresh: boolean): Promise<string> {
  const abs = resolve(dir);
  let exists = true;
  try {
    const st = await stat(abs);
    if (!st.isDirectory()) throw new ConfigError('--dir', `${abs} exists and is not a directory; choose another --dir`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    exists = false;
  }
  if (!exists) {
    await mkdir(abs, { recursive: true });
  } else {
    const marker = await readMarker(abs);
    const entries = await readdir(abs);
    if (marker === undefined && entries.length > 0 && !fresh) {
      throw new ConfigError(
        '--dir',
        `${abs} is not empty and is not an f2kv demo directory (no ${DEMO_MARKER}); ` +
          `choose another --dir, or pass --fresh to use it anyway (then only ${DEMO_ENTRIES.join('/, ')}/ ` +
          `and ${DEMO_MARKER} inside it are replaced; nothing else is touched)`,
      );
    }
    for (const entry of DEMO_ENTRIES) await rm(join(abs, entry), { recursive: true, force: true });
  }
  await writeMarker(abs, { kind: DEMO_KIND, createdAt: new Date().toISOString() });
  return abs;
}
