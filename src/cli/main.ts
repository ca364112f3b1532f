#!/usr/bin/env node
/**
 * The f2kv command: `f2kv demo` (default; what `npm start` runs), `f2kv inspect [dir]`,
 * `f2kv version`, `f2kv help`. Arguments are parsed with node:util parseArgs only.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { F2Error } from '../core/errors.js';
import { runDemo, DEMO_DEFAULTS } from './demo.js';
import { inspectDir } from './inspect.js';
import { VERIFY_SAMPLE } from './demo-phases.js';
import { processIo, type Io } from './io.js';

export const USAGE = `f2kv: an embeddable larger-than-memory key-value store (after Microsoft FASTER/F2)

Usage:
  f2kv [demo] [options]     two-tier store (hot log + cold tier + checkpoints in --dir, no cloud
                            account): load more records than the hot tier holds, run a
                            self-checking mixed workload, reopen from the final checkpoint,
                            print throughput and both tiers' stats
  f2kv inspect [dir]        show a demo directory: newest run, F2 checkpoints, files (alias: stats)
  f2kv version              print the version
  f2kv help                 print this help

Demo options:
  --records <n>       records to load                         (default ${DEMO_DEFAULTS.records})
  --ops <n>           operations of the mixed workload         (default ${DEMO_DEFAULTS.operations})
  --value-size <n>    average value size in bytes               (default ${DEMO_DEFAULTS.valueSize})
  --memory <size>     hot log memory budget, e.g. 32MiB         (default ${DEMO_DEFAULTS.memory})
  --page-size <size>  hot log page size, a power of two         (default ${DEMO_DEFAULTS.pageSize})
  --hot-budget <size> hot log size before records migrate to the cold tier
                                                                (default ${DEMO_DEFAULTS.hotLogBudgetFactor} × --memory)
  --read-cache <size> hot read cache memory                     (default --memory / ${1 / DEMO_DEFAULTS.readCacheFraction})
  --cold-page-size <size>
                      cold log object size (two-tier)           (default ${DEMO_DEFAULTS.coldPageSize})
  --hot-only          run the hot tier (FasterKv) alone: no cold tier, no migration
  --concurrency <n>   async operations in flight                (default ${DEMO_DEFAULTS.concurrency})
  --seed <n>          workload seed (printed by every run)      (default random)
  --dir <path>        demo directory                            (default ${DEMO_DEFAULTS.dir})
  --fresh             use --dir even if it is not a demo directory; only the demo's own
                      entries in it (hot/, cold/, checkpoints/, f2kv-demo.json) are replaced
  --skip-verify       do not read keys back at the end (all keys with --hot-only, a
                      sample of ${VERIFY_SAMPLE.toLocaleString("en-US")} with two tiers) nor after reopening
  --json              print the report as JSON on stdout

Exit status: 0 ok, 1 self-check mismatch or error, 2 bad usage.
Environment: F2KV_LOG_LEVEL (pino level, default warn).
`;

/** The package version, from the package.json above this file (in src/ or dist/src/). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'f2kv' && pkg.version) return pkg.version;
    } catch {
      // not here: look one directory up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

class UsageError extends Error {}

function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d[\d_]*$/.test(value)) throw new UsageError(`--${name} expects a whole number, got "${value}"`);
  return Number(value.replace(/_/g, ''));
}

/** Runs the command for argv (without node and the script) and returns the exit status. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        records: { type: 'string' },
        ops: { type: 'string' },
        'value-size': { type: 'string' },
        memory: { type: 'string' },
        'page-size': { type: 'string' },
        'hot-budget': { type: 'string' },
        'read-cache': { type: 'string' },
        'hot-only': { type: 'boolean' },
        'cold-page-size': { type: 'string' },
        concurrency: { type: 'string' },
        seed: { type: 'string' },
        dir: { type: 'string' },
        fresh: { type: 'boolean' },
        'skip-verify': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    const command = values.help ? 'help' : values.version ? 'version' : (positionals[0] ?? 'demo');
    const rest = positionals.slice(1);
    switch (command) {
      case 'help':
        io.out(USAGE);
        return 0;
      case 'version':
        io.out(`f2kv ${packageVersion()} (node ${process.versions.node})\n`);
        return 0;
      case 'inspect':
      case 'stats':
        if (rest.length > 1) throw new UsageError(`${command} takes one directory, got ${rest.join(' ')}`);
        await inspectDir(rest[0] ?? values.dir ?? DEMO_DEFAULTS.dir, io);
        return 0;
      case 'demo': {
        if (rest.length > 0) throw new UsageError(`demo takes no arguments, got ${rest.join(' ')}`);
        const report = await runDemo(
          {
            dir: values.dir,
            records: intFlag('records', values.records),
            operations: intFlag('ops', values.ops),
            valueSize: intFlag('value-size', values['value-size']),
            memory: values.memory,
            pageSize: values['page-size'],
            hotLogBudget: values['hot-budget'],
            readCache: values['read-cache'],
            hotOnly: values['hot-only'],
            coldPageSize: values['cold-page-size'],
            concurrency: intFlag('concurrency', values.concurrency),
            seed: intFlag('seed', values.seed),
            fresh: values.fresh,
            verify: !values['skip-verify'],
          },
          values.json ? { ...io, out: () => undefined } : io,
        );
        if (values.json) io.out(JSON.stringify(report, null, 2) + '\n');
        return report.ok ? 0 : 1;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`f2kv: ${e.message}\nRun \`f2kv help\` for usage.\n`);
      return 2;
    }
    if (e instanceof F2Error) {
      io.err(`f2kv: ${e.message}\n`);
      return e.code === 'CONFIG' ? 2 : 1;
    }
    throw e;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // `f2kv … | head` closes stdout early: stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(`f2kv: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
