/**
 * Compiles the crash worker (test/crash/worker.ts and the sources it imports) with the project's
 * own TypeScript compiler into .cache/f2kv-crash of this checkout (git-ignored), so the test can
 * run it as a plain `node` child process: Node 20 cannot run TypeScript, and no TS loader is a
 * dependency. The output sits inside the package so that its imports of dependencies (pino,
 * @aws-sdk/…) resolve through the package's node_modules; it is not inside node_modules itself,
 * which git worktrees may share (a symlink), so that two checkouts never run each other's build.
 * Incremental: a rebuild with unchanged sources is quick.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WORKER_OUT_DIR = join(REPO_ROOT, '.cache', 'f2kv-crash');
export const WORKER_JS = join(WORKER_OUT_DIR, 'test', 'crash', 'worker.js');

/** Builds the worker; resolves to the path of worker.js. Rejects with tsc's output on errors. */
export async function buildWorker(): Promise<string> {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) throw new Error(`TypeScript is not installed (${tsc} missing); run npm ci`);
  const output = await new Promise<string>((resolveRun, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', join(REPO_ROOT, 'test', 'crash', 'tsconfig.json')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveRun(out) : reject(new Error(`building the crash worker failed (tsc exit ${code}):\n${out}`))));
  });
  if (!existsSync(WORKER_JS)) throw new Error(`tsc succeeded but ${WORKER_JS} is missing:\n${output}`);
  return WORKER_JS;
}
