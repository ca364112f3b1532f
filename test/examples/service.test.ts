/**
 * The example service (examples/service/server.ts) as a child process: turned into JavaScript
 * with the project's TypeScript compiler (Node 20 cannot run TypeScript), started on a local two-tier TOML
 * configuration, driven over HTTP (PUT / GET / DELETE /kv/:key, /metrics, /healthz), stopped
 * with SIGTERM (exit 0 after a final checkpoint), and restarted: the restart must see the data.
 *
 * Building: only server.ts and the files it imports (relative imports, followed recursively) are
 * transpiled one by one (ts.transpileModule: a few seconds, where `tsc -p` of the example spent
 * a minute or two type-checking all of src/ and its dependencies' types). Types are not checked
 * here: `npm run typecheck` (tsconfig.test.json, which includes examples/) does that.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT_DIR = join(REPO_ROOT, '.cache', 'f2kv-service');
const SERVER_TS = join(REPO_ROOT, 'examples', 'service', 'server.ts');
const SERVER_JS = join(OUT_DIR, 'examples', 'service', 'server.js');
/** Relative imports and re-exports (`from './x.js'`, `import('./x.js')`) of an ESM TypeScript file. */
const RELATIVE_IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g;

/**
 * Transpiles server.ts and every file it imports, directly or not, to ESM JavaScript under
 * OUT_DIR (the same paths below the repository root, so bare imports resolve from its
 * node_modules). Returns the number of files.
 */
async function buildService(): Promise<number> {
  const todo = [SERVER_TS];
  const seen = new Set(todo);
  while (todo.length > 0) {
    const file = todo.pop()!;
    const source = await readFile(file, 'utf8');
    for (const m of source.matchAll(RELATIVE_IMPORT)) {
      const dep = resolve(dirname(file), `${m[1]!}.ts`);
      if (!seen.has(dep)) {
        seen.add(dep);
        todo.push(dep);
      }
    }
    const result = ts.transpileModule(source, {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, sourceMap: false },
    });
    const errors = (result.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    if (errors.length > 0) throw new Error(`transpiling ${file} failed:\n${errors.join('\n')}`);
    const dest = join(OUT_DIR, relative(REPO_ROOT, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, result.outputText);
  }
  return seen.size;
}

const CONFIG = `
[hot.index]
buckets = 1024
[hot.log]
device = "file://./data/hot"
memory_size = "64KiB"
page_size = "8KiB"
[hot.read_cache]
memory_size = "32KiB"
page_size = "8KiB"
[cold]
url = "file://./data/cold"
[cold.index]
expected_keys = 4096
[cold.log]
page_size = "16KiB"
memory_size = "64KiB"
[compaction.hot_to_cold]
max_log_size = "128KiB"
[checkpoint]
url = "file://./data/checkpoints"
[object_store.file]
create_if_missing = true
[metrics]
prefix = "kv_"
`;

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
let root: string;

async function start(config: string): Promise<Running> {
  const child = spawn(process.execPath, [SERVER_JS, config, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const url = await new Promise<string>((ok, fail) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => ok((JSON.parse(line) as { listening: string }).listening));
    void exited.then((code) => fail(new Error(`service exited with ${code} before listening:\n${err}`)));
  });
  return { child, url, stderr: () => err, exited };
}

async function stop(s: Running): Promise<number | null> {
  s.child.kill('SIGTERM');
  return s.exited;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'f2kv-service-'));
  const started = performance.now();
  const files = await buildService();
  console.log(`[service] transpiled server.ts and ${files - 1} files it imports in ${Math.round(performance.now() - started)} ms`);
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
  await rm(root, { recursive: true, force: true });
});

describe('example service', () => {
  it('serves GET/PUT/DELETE, /metrics and /healthz; SIGTERM checkpoints and exits 0; a restart sees the data', async () => {
    const config = join(root, 'service.toml');
    await writeFile(config, CONFIG);
    const first = await start(config);
    const KEYS = 1000;
    const value = (i: number): string => `value-${i}-`.padEnd(100, 'x');
    for (let i = 0; i < KEYS; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => fetch(`${first.url}/kv/key-${i + j}`, { method: 'PUT', body: value(i + j) }).then((r) => expect(r.status).toBe(204))));
    }
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    expect((await fetch(`${first.url}/kv/binary`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(204);
    const got = await fetch(`${first.url}/kv/key-7`);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe(value(7));
    expect(new Uint8Array(await (await fetch(`${first.url}/kv/binary`)).arrayBuffer())).toEqual(bytes);
    expect((await fetch(`${first.url}/kv/key-9`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${first.url}/kv/key-9`)).status).toBe(404);
    expect((await fetch(`${first.url}/kv/never`)).status).toBe(404);
    const health = await fetch(`${first.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const metrics = await (await fetch(`${first.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`kv_operations_total\\{kind="upsert"\\} ${KEYS + 1}\\b`));
    expect(metrics).toMatch(/kv_reads_total\{tier="not_found"\} 2\b/);
    expect(metrics).toContain('kv_compaction_passes_total{kind="hot_to_cold"}');

    expect(await stop(first)).toBe(0);
    expect(first.stderr()).toMatch(/final checkpoint \d{6}-[0-9a-f]{8}/);

    const second = await start(config);
    try {
      for (const i of [0, 7, 500, KEYS - 1]) expect(await (await fetch(`${second.url}/kv/key-${i}`)).text()).toBe(value(i));
      expect((await fetch(`${second.url}/kv/key-9`)).status).toBe(404);
      expect(new Uint8Array(await (await fetch(`${second.url}/kv/binary`)).arrayBuffer())).toEqual(bytes);
      const after = await (await fetch(`${second.url}/metrics`)).text();
      expect(after).toMatch(/kv_reads_total\{tier="(cold|hot_device)"\} [1-9]/);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });

  it('refuses a bad configuration with exit 2 and a message naming the file and key', async () => {
    const config = join(root, 'bad.toml');
    await writeFile(config, '[hot.log]\npage_size = "3KiB"\n');
    const child = spawn(process.execPath, [SERVER_JS, config, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((ok) => child.once('exit', ok));
    expect(code).toBe(2);
    expect(err).toContain(`${config}: hot.log.page_size`);
  });
});
