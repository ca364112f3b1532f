/** docs/configuration.md's "Every key" file is valid TOML and names every key the loader knows. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
import { expect, it } from 'vitest';
import { CONFIG_SCHEMA, type TableSpec } from '../../src/config/toml-schema.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/configuration.md'), 'utf8');
const block = /## Every key[\s\S]*?```toml\n([\s\S]*?)```/.exec(doc)![1]!;

function* keysOf(spec: TableSpec, path: string[]): Generator<string[]> {
  for (const key of Object.keys(spec.keys)) yield [...path, key];
  for (const [name, sub] of Object.entries(spec.tables)) {
    if (Object.keys(sub.keys).length === 0 && Object.keys(sub.tables).length === 0) yield [...path, name];
    yield* keysOf(sub, [...path, name]);
  }
}

it('documents every key of every table, in valid TOML', () => {
  const tree = parse(block) as Record<string, unknown>;
  const missing: string[] = [];
  for (const path of keysOf(CONFIG_SCHEMA, [])) {
    let v: unknown = tree;
    for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
    const key = path.at(-1)!;
    const commented = new RegExp(`^#\\s*(${key}\\s*=|\\[${path.join('\\.')}\\])`, 'm').test(block);
    if (v === undefined && !commented) missing.push(path.join('.'));
  }
  expect(missing).toEqual([]);
});

it("README's Configuration example is a valid two-tier configuration", async () => {
  const { parseConfig } = await import('../../src/index.js');
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const text = /## Configuration[\s\S]*?```toml\n([\s\S]*?)```/.exec(readme)![1]!;
  const c = parseConfig(text, 'README.md', { env: {}, baseDir: '/srv/app' });
  expect(c.store.kind).toBe('f2');
  expect(c.checkpointIntervalMs).toBe(300_000);
  if (c.store.kind === 'f2') expect(c.store.resolved.cold.store.region).toBe('eu-west-1');
});
