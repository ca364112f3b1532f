#!/usr/bin/env bash
# Packs f2kv exactly as `npm publish` would (prepack builds dist/ afresh), installs the tarball into
# a fresh temporary project, and checks that the package
#   - holds what it should (dist/src, docs, README, LICENSE) and nothing it should not (source
#     maps, tests, benchmarks),
#   - loads with `import` (ESM) and with `require` (CommonJS; Node >= 20.19 or >= 22.12),
#   - type-checks from TypeScript (an ESM .ts file and a CommonJS .cts file),
#   - runs its `f2kv` bin.
# The temporary directory is removed on exit. Usage: npm run pack:check
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/f2kv-pack-check-XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { printf '[pack-check] %s\n' "$*"; }
fail() { printf '[pack-check] FAIL: %s\n' "$*" >&2; exit 1; }

cd "$repo"
step "npm pack (prepack builds dist/)"
npm pack --pack-destination "$work" --silent >/dev/null
tarball="$(ls "$work"/f2kv-*.tgz)"
[ -f "$tarball" ] || fail "npm pack produced no tarball"

step "contents of $(basename "$tarball")"
tar -tzf "$tarball" > "$work/contents.txt"
for must in package/package.json package/README.md package/LICENSE package/docs/object-storage.md \
            package/dist/src/index.js package/dist/src/index.d.ts package/dist/src/cli/main.js; do
  grep -qx "$must" "$work/contents.txt" || fail "$must is missing from the tarball"
done
if grep -E '\.map$|^package/(src|test|integration|bench|dist/bench|dist/test)/' "$work/contents.txt"; then
  fail "the tarball ships source maps, sources, tests or benchmarks (listed above)"
fi

app="$work/app"
mkdir "$app"
cd "$app"
printf '{ "name": "f2kv-pack-check", "version": "1.0.0", "private": true }\n' > package.json
step "npm install the tarball into a fresh project"
npm install "$tarball" --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null

step "import from ESM"
cat > esm.mjs <<'JS'
import { FasterKv, ConfigError, LockedError, DirectoryLock } from 'f2kv';
const store = await FasterKv.open({ log: { memorySize: '1MiB', pageSize: '64KiB' } });
const s = store.startSession();
await s.upsert('hello', 'world');
const v = new TextDecoder().decode(await s.read('hello'));
await store.close();
if (v !== 'world') throw new Error(`read back ${v}`);
if (typeof ConfigError !== 'function' || typeof LockedError !== 'function' || typeof DirectoryLock !== 'function') throw new Error('missing exports');
console.log('esm ok');
JS
node esm.mjs

major="$(node -p 'process.versions.node.split(".")[0]')"
minor="$(node -p 'process.versions.node.split(".")[1]')"
if [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 12 ]; } || { [ "$major" -eq 20 ] && [ "$minor" -ge 19 ]; }; then
  step "require from CommonJS (Node $(node -v))"
  cat > cjs.cjs <<'JS'
const { FasterKv, F2Error } = require('f2kv');
const pkg = require('f2kv/package.json');
(async () => {
  const store = await FasterKv.open();
  await store.startSession().upsert('k', 'v');
  await store.close();
  if (typeof F2Error !== 'function' || pkg.name !== 'f2kv') throw new Error('bad exports');
  console.log('cjs ok');
})().catch((e) => { console.error(e); process.exit(1); });
JS
  node --no-warnings cjs.cjs
else
  step "skipping require(): Node $(node -v) cannot require ES modules (needs >= 20.19 or >= 22.12)"
fi

step "type-check TypeScript consumers (ESM .ts and CommonJS .cts)"
cat > consumer.ts <<'TS'
import { FasterKv, ConfigError, LockedError, type FasterKvOptions } from 'f2kv';
const options: FasterKvOptions = { log: { device: 'memory://', memorySize: '1MiB' }, checkpoint: { store: { endpoint: 'http://127.0.0.1:9000' } } };
export async function main(): Promise<string | undefined> {
  try {
    const store = await FasterKv.open(options);
    const v = await store.startSession().read('k');
    await store.close();
    return v === undefined ? undefined : new TextDecoder().decode(v);
  } catch (err) {
    if (err instanceof LockedError) return `locked by ${err.holder.pid}`;
    if (err instanceof ConfigError) return err.option;
    throw err;
  }
}
// @ts-expect-error an unknown option is a type error too
export const wrong: FasterKvOptions = { log: { pagesize: 4096 } };
TS
cat > consumer.cts <<'TS'
import { FasterKv } from 'f2kv';
export const open = (): ReturnType<typeof FasterKv.open> => FasterKv.open();
TS
cat > tsconfig.json <<JSON
{
  "compilerOptions": {
    "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "strict": true, "noEmit": true,
    "skipLibCheck": false, "types": ["node"], "typeRoots": ["$repo/node_modules/@types"]
  },
  "files": ["consumer.ts", "consumer.cts"]
}
JSON
node "$repo/node_modules/typescript/bin/tsc" -p tsconfig.json || fail "TypeScript consumers do not type-check against the package"

step "run the f2kv bin"
./node_modules/.bin/f2kv version >/dev/null || fail "the f2kv bin does not run"

step "ok"
