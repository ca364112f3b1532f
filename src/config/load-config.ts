/**
 * Reads a TOML configuration file into a validated StoreConfig. Nothing is opened or written:
 * every problem — a missing file, invalid TOML, a wrong type, an out-of-range value, an unknown key,
 * an unknown URL scheme, an unset `${VAR}` — is one ConfigFileError naming the file and the key
 * (or the line and column of a syntax error).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { ConfigError } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { resolveRequestPolicyOptions } from '../devices/request-policy.js';
import { resolveOptions, type FasterKvOptions } from '../kv/options.js';
import { resolveF2Options, type F2KvOptions } from '../f2/f2-options.js';
import { ConfigFileError } from './config-file-error.js';
import { isTable, readConfigTree, type ConfigTree } from './config-tree.js';
import type { Environment } from './env-reference.js';
import { readLogSettings } from './log-settings.js';
import { readMetricsSettings } from './metrics-settings.js';
import type { StoreConfig } from './store-config.js';
import { mapStoreOptions, objectStoreOptions, renameOptionError, tomlPathOfOption, type StoreKind } from './toml-mapping.js';

const log = componentLogger('config');

/** Options of loadConfig and parseConfig. */
export interface ParseConfigOptions {
  /** Environment for `${VAR}` references (default process.env). */
  env?: Environment;
  /** Directory for relative paths (default: the file's directory, or the working directory). */
  baseDir?: string;
}

/** Reads and validates the configuration file at `path`. */
export async function loadConfig(path: string, options: ParseConfigOptions = {}): Promise<StoreConfig> {
  let text: string;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new ConfigFileError(path, '', 'is a directory; give the path of a TOML configuration file (such as examples/local.toml)');
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file; check the path (examples/local.toml is a starting point)'
      : code === 'EACCES' ? 'permission denied; make the file readable'
      : `cannot read the file (${code ?? String(err)})`;
    throw new ConfigFileError(path, '', why, { cause: err });
  }
  return parseConfig(text, path, { baseDir: dirname(resolve(path)), ...options });
}

/** Validates configuration text; `fileName` names it in errors. */
export function parseConfig(text: string, fileName: string, options: ParseConfigOptions = {}): StoreConfig {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  let raw: Record<string, unknown>;
  try {
    raw = parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const reason = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new ConfigFileError(fileName, '', `invalid TOML: ${reason}\n${err.codeblock}`, { line: err.line, column: err.column, cause: err });
  }
  if (!isTable(raw)) throw new ConfigFileError(fileName, '', 'invalid TOML: expected tables and keys');

  const warnings: string[] = [];
  const inFile = <T>(run: () => T): T => {
    try {
      return run();
    } catch (err) {
      if (err instanceof ConfigError && !(err instanceof ConfigFileError)) {
        throw new ConfigFileError(fileName, err.option, detailOf(err), { cause: err });
      }
      throw err;
    }
  };

  const tree = inFile(() => readConfigTree(raw, {
    baseDir,
    env,
    warn: (key, message) => warnings.push(`${fileName}: ${key}: ${message}`),
  }));
  const mapped = inFile(() => mapStoreOptions(tree));
  const rename = (err: unknown): never => {
    if (err instanceof ConfigError) throw renameOptionError(mapped.kind, err, mapped.storeSchemes);
    throw err;
  };
  const store = inFile(() => {
    try {
      return resolveStore(mapped.kind, mapped.options);
    } catch (err) {
      return rename(err);
    }
  });
  inFile(() => checkRequestPolicies(tree));
  const logSettings = inFile(() => readLogSettings(tree['log'] as ConfigTree | undefined, baseDir, env['F2KV_LOG_LEVEL']));
  const metrics = inFile(() => readMetricsSettings(tree['metrics'] as ConfigTree | undefined));

  for (const w of warnings) log.warn({ file: fileName }, w);
  return {
    file: resolve(fileName),
    store,
    checkpointIntervalMs: mapped.checkpointIntervalMs,
    log: logSettings,
    metrics,
    warnings,
    tree,
  };
}

function resolveStore(kind: StoreKind, options: FasterKvOptions | F2KvOptions): StoreConfig['store'] {
  if (kind === 'f2') {
    const o = options as F2KvOptions;
    return { kind, options: o, resolved: resolveF2Options(o) };
  }
  const o = options as FasterKvOptions;
  return { kind, options: o, resolved: resolveOptions(o) };
}

/** Each [object_store.*] table's timeouts, retries and concurrency, checked by the request policy's resolver. */
function checkRequestPolicies(tree: ConfigTree): void {
  const tables = (tree['object_store'] ?? {}) as ConfigTree;
  for (const scheme of ['s3', 'az'] as const) {
    const t = tables[scheme] as ConfigTree | undefined;
    if (t === undefined) continue;
    const storeOptions = objectStoreOptions(scheme, t);
    try {
      resolveRequestPolicyOptions(storeOptions);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const key = tomlPathOfOption('f2', `cold.store.${err.option}`, { 'cold.store': scheme });
      throw new ConfigError(key, detailOf(err), { cause: err });
    }
  }
}

function detailOf(err: ConfigError): string {
  return err.message.startsWith(`${err.option}: `) ? err.message.slice(err.option.length + 2) : err.message;
}
