/**
 * Checks a parsed TOML document against the file's layout (toml-schema.ts) and normalizes its
 * values: `${ENV}` references expanded, durations turned into milliseconds, relative file:// URLs
 * made absolute, every URL checked. Unknown keys and tables are errors that name the nearest known
 * key. Range checks are left to the options resolvers. Errors are ConfigErrors whose `option` is
 * the TOML key path (`hot.log.page_size`).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { checkOptionKeys, joinOptionPath } from '../core/option-keys.js';
import { parseObjectStoreUrl } from '../devices/object-store-url.js';
import { parseDuration } from './duration.js';
import { expandEnvReferences, hasEnvReference, type Environment } from './env-reference.js';
import { CONFIG_SCHEMA, type KeySpec, type TableSpec } from './toml-schema.js';

export type ConfigValue = string | number | boolean | ConfigTree;
export interface ConfigTree {
  [key: string]: ConfigValue;
}

export interface ConfigTreeContext {
  /** Directory that relative paths (file://./data, log destinations) are resolved against. */
  baseDir: string;
  env: Environment;
  /** Receives a message for each literal secret found (the key path, never the value). */
  warn: (key: string, message: string) => void;
}

/** Azure's well-known local-emulator shortcut: not a secret. */
const NOT_SECRET = /^UseDevelopmentStorage=true$/i;

export function readConfigTree(raw: Record<string, unknown>, ctx: ConfigTreeContext): ConfigTree {
  return readTable('', raw, CONFIG_SCHEMA, ctx);
}

function readTable(path: string, raw: Record<string, unknown>, spec: TableSpec, ctx: ConfigTreeContext): ConfigTree {
  checkOptionKeys(path, raw, [...Object.keys(spec.keys), ...Object.keys(spec.tables)]);
  const out: ConfigTree = {};
  for (const [key, value] of Object.entries(raw)) {
    const at = joinOptionPath(path, key);
    const sub = spec.tables[key];
    if (sub !== undefined) {
      if (!isTable(value)) throw new ConfigError(at, `must be a table ([${at}]), got ${describe(value)}`);
      out[key] = readTable(at, value, sub, ctx);
    } else {
      const v = readValue(at, value, spec.keys[key]!, ctx);
      if (v !== undefined) out[key] = v;
    }
  }
  return out;
}

/** A value; undefined when it came from `${VAR:-}` and is empty (the key is then left out: its default applies). */
function readValue(at: string, value: unknown, spec: KeySpec, ctx: ConfigTreeContext): string | number | boolean | undefined {
  let v = value;
  const fromEnv = typeof v === 'string' && hasEnvReference(v);
  if (typeof v === 'string') {
    if (spec.kind === 'secret' && !fromEnv && v !== '' && !NOT_SECRET.test(v)) {
      ctx.warn(at, 'is a literal secret in the configuration file; prefer a ${ENV_VAR} reference (or the standard credential chain)');
    }
    v = expandEnvReferences(at, v, ctx.env);
    if (fromEnv && v === '') return undefined;
    if (fromEnv) v = coerce(spec, v as string);
  }
  switch (spec.kind) {
    case 'size':
      if (typeof v !== 'number' && typeof v !== 'string') throw new ConfigError(at, `expected a size (bytes, or a string such as "64MiB"), got ${describe(value)}`);
      return v;
    case 'duration':
      return parseDuration(at, v);
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(at, `expected a whole number, got ${describe(value)}`);
      return v;
    case 'number':
      if (typeof v !== 'number' || Number.isNaN(v)) throw new ConfigError(at, `expected a number, got ${describe(value)}`);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw new ConfigError(at, `expected true or false, got ${describe(value)}`);
      return v;
    case 'recover':
      if (typeof v !== 'boolean' && typeof v !== 'string') throw new ConfigError(at, `expected true, false or a checkpoint token, got ${describe(value)}`);
      return v;
    case 'string':
    case 'secret':
      if (typeof v !== 'string') throw new ConfigError(at, `expected a string, got ${describe(value)}`);
      return v;
    case 'endpoint':
      if (typeof v !== 'string' || !/^https?:\/\/[^/\s]+/.test(v) || !URL.canParse(v)) {
        throw new ConfigError(at, `expected an http:// or https:// URL such as "http://127.0.0.1:9000", got ${describe(value)}`);
      }
      return v;
    case 'url':
      if (typeof v !== 'string') throw new ConfigError(at, `expected a URL string, got ${describe(value)}`);
      return readUrl(at, v, ctx.baseDir);
  }
}

/** A value that came whole from the environment takes the key's type ("8" → 8, "true" → true). */
function coerce(spec: KeySpec, v: string): string | number | boolean {
  if ((spec.kind === 'integer' || spec.kind === 'number') && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  if ((spec.kind === 'boolean' || spec.kind === 'recover') && /^(true|false)$/.test(v.trim())) return v.trim() === 'true';
  return v;
}

/** `file://./dir` and `file://../dir` are relative to the configuration file; every URL is checked. */
function readUrl(at: string, url: string, baseDir: string): string {
  let out = url;
  const relative = /^file:\/\/(\.\.?(?:\/.*)?)$/.exec(url);
  if (relative !== null) {
    const dir = resolve(baseDir, relative[1]!);
    if (!isAbsolute(dir)) throw new ConfigError(at, `cannot resolve "${url}" to an absolute directory`);
    out = pathToFileURL(dir).href;
  }
  parseObjectStoreUrl(out, at);
  return out;
}

export function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'string') return `the string "${v}"`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  if (typeof v === 'object') return 'a table';
  return typeof v;
}
