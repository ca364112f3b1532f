/**
 * Runs compare-and-swap workers in separate Node processes against one LocalFsObjectStore
 * directory. The store's sources are transpiled to plain JavaScript in a temp directory (vitest
 * transforms TypeScript only inside its own process).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Transpiles `entry` and every relative module it imports (statically or dynamically) into `outRoot`. */
export async function transpileClosure(entry: string, outRoot: string): Promise<void> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const m of source.matchAll(/(?:from |import\()'(\.\.?\/[^']+)\.js'/g)) queue.push(resolve(dirname(file), `${m[1]}.ts`));
    const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    const dest = join(outRoot, relative(repo, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, out.outputText);
  }
}

const WORKER = `
import { LocalFsObjectStore } from './src/devices/local-fs-object-store.js';
const [dir, iterations] = process.argv.slice(2);
const store = await LocalFsObjectStore.open(dir);
const enc = new TextEncoder();
let creates = 0;
try { await store.put('once', enc.encode(String(process.pid)), { ifNoneMatch: '*' }); creates++; }
catch (e) { if (e.code !== 'PRECONDITION_FAILED') throw e; }
let conflicts = 0;
for (let done = 0; done < Number(iterations);) {
  const info = await store.head('counter');
  if (!info) {
    try { await store.put('counter', enc.encode('1'), { ifNoneMatch: '*' }); done++; } catch (e) { if (e.code !== 'PRECONDITION_FAILED') throw e; conflicts++; }
    continue;
  }
  const value = Number(new TextDecoder().decode(await store.get('counter')));
  try { await store.put('counter', enc.encode(String(value + 1)), { ifMatch: info.etag }); done++; }
  catch (e) { if (e.code !== 'PRECONDITION_FAILED') throw e; conflicts++; }
}
process.stdout.write(JSON.stringify({ creates, conflicts }));
`;

export async function runCasWorkers(dir: string, workers: number, iterations: number): Promise<{ counter: number; creates: number; conflicts: number }> {
  const root = await mkdtemp(join(tmpdir(), 'f2kv-cas-js-'));
  try {
    await symlink(join(repo, 'node_modules'), join(root, 'node_modules'));
    await writeFile(join(root, 'package.json'), '{"type":"module"}');
    await transpileClosure(join(repo, 'src/devices/local-fs-object-store.ts'), root);
    await writeFile(join(root, 'worker.js'), WORKER);
    const results = await Promise.all(
      Array.from(
        { length: workers },
        () =>
          new Promise<{ creates: number; conflicts: number }>((resolveRun, reject) => {
            const child = spawn(process.execPath, [join(root, 'worker.js'), dir, String(iterations)], { stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            let err = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('error', reject);
            child.on('exit', (code) => {
              if (code === 0) resolveRun(JSON.parse(out) as { creates: number; conflicts: number });
              else reject(new Error(`CAS worker exited with ${code}: ${err}`));
            });
          }),
      ),
    );
    const { LocalFsObjectStore } = await import('../../src/devices/local-fs-object-store.js');
    const store = await LocalFsObjectStore.open(dir);
    const counter = Number(new TextDecoder().decode(await store.get('counter')));
    return {
      counter,
      creates: results.reduce((a, r) => a + r.creates, 0),
      conflicts: results.reduce((a, r) => a + r.conflicts, 0),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
