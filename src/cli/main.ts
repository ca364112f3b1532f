#!/usr/bin/env node
/**
 * The f2kv command (commander): `f2kv demo` (default; what `npm start` runs), `inspect`, `get`,
 * `put`, `delete`, `checkpoint`, `compact`, `config check`, `version`, `help`. Every command has
 * `--help`. Bad usage or a bad configuration file is one error on stderr and exit status 2, before
 * anything is opened or written.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { Registry } from 'prom-client';
import { F2Error } from '../core/errors.js';
import { loadConfig } from '../config/load-config.js';
import { openStore } from '../config/open-store.js';
import { describeConfig } from '../config/describe-config.js';
import type { StoreConfig } from '../config/store-config.js';
import { registerMetrics } from '../metrics/register-metrics.js';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.js';
import { runDemo, DEMO_DEFAULTS, type ConfiguredDemoStore, type DemoOptions } from './demo.js';
import { inspectTarget } from './inspect.js';
import { VERIFY_SAMPLE } from './demo-phases.js';
import { processIo, withoutOut, type Io } from './io.js';
import { UsageError } from './usage-error.js';
import {
  checkpointCommand, compactCommand, decodeValue, deleteCommand, getCommand, putCommand, VALUE_ENCODINGS,
  type CompactTarget, type ValueEncoding,
} from './store-commands.js';

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

function wholeNumber(value: string): number {
  if (!/^\d[\d_]*$/.test(value)) throw new InvalidArgumentError('expects a whole number.');
  return Number(value.replace(/_/g, ''));
}

function port(value: string): number {
  const n = wholeNumber(value);
  if (n > 65535) throw new InvalidArgumentError('expects a TCP port from 0 to 65535 (0: any free port).');
  return n;
}

interface DemoFlags {
  records?: number;
  ops?: number;
  valueSize?: number;
  memory?: string;
  pageSize?: string;
  hotBudget?: string;
  readCache?: string;
  coldPageSize?: string;
  hotOnly?: boolean;
  concurrency?: number;
  seed?: number;
  dir?: string;
  fresh?: boolean;
  skipVerify?: boolean;
  json?: boolean;
  config?: string;
  metricsPort?: number;
}

/** The demo against the store a configuration file describes. */
function configuredStore(config: StoreConfig): ConfiguredDemoStore {
  const s = config.store;
  const device = (d: unknown): string => (typeof d === 'string' ? d : '(device object)');
  const describe: [string, string][] = s.kind === 'f2'
    ? [['hot log', device(s.resolved.hot.log.device)], ['cold tier', s.resolved.cold.url], ['checkpoints', s.resolved.checkpoint.url]]
    : [['hot log', device(s.resolved.log.device)], ['checkpoints', s.resolved.checkpoint.url ?? '(none)']];
  return {
    source: config.file,
    kind: s.kind,
    describe,
    open: (recover) => {
      if (!recover) return openStore(config);
      const again: StoreConfig = s.kind === 'f2'
        ? { ...config, store: { ...s, options: { ...s.options, recover: true } } }
        : { ...config, store: { ...s, options: { ...s.options, recover: true } } };
      return openStore(again);
    },
  };
}

async function demoAction(flags: DemoFlags, io: Io, errorAt: (message: string) => never): Promise<number> {
  const configured = flags.config !== undefined ? configuredStore(await loadConfig(flags.config)) : undefined;
  if (configured !== undefined) {
    const storeFlags = ['memory', 'pageSize', 'hotBudget', 'readCache', 'coldPageSize', 'hotOnly', 'dir', 'fresh'] as const;
    const given = storeFlags.filter((f) => flags[f] !== undefined);
    if (given.length > 0) errorAt(`--config describes the store; do not combine it with ${given.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
  }
  let server: MetricsServer | undefined;
  let registry: Registry | undefined;
  const options: DemoOptions = {
    dir: flags.dir, records: flags.records, operations: flags.ops, valueSize: flags.valueSize, memory: flags.memory, pageSize: flags.pageSize,
    hotLogBudget: flags.hotBudget, readCache: flags.readCache, hotOnly: flags.hotOnly, coldPageSize: flags.coldPageSize,
    concurrency: flags.concurrency, seed: flags.seed, fresh: flags.fresh, verify: !(flags.skipVerify ?? false), configured,
    onOpen: flags.metricsPort === undefined ? undefined : (store) => {
      // A fresh registry for each open (the demo reopens the store to check recovery).
      registry = new Registry();
      registerMetrics(store, registry);
    },
  };
  if (flags.metricsPort !== undefined) {
    const empty = new Registry();
    server = await startMetricsServer({ contentType: empty.contentType, metrics: () => (registry ?? empty).metrics() }, { port: flags.metricsPort });
    io.err(`metrics: ${server.url}\n`);
  }
  try {
    const report = await runDemo(options, flags.json ? withoutOut(io) : io);
    if (flags.json) io.out(JSON.stringify(report, null, 2) + '\n');
    return report.ok ? 0 : 1;
  } finally {
    await server?.close();
  }
}

/** Builds the command tree; `status` receives each action's exit status. */
function buildProgram(io: Io, status: { code: number }): Command {
  const program = new Command('f2kv');
  program
    .description('f2kv: an embeddable larger-than-memory key-value store (after Microsoft FASTER/F2)')
    .version(`f2kv ${packageVersion()} (node ${process.versions.node})`, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'print help for the command')
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(`f2kv: ${s.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .showHelpAfterError('Run `f2kv help` (or `f2kv <command> --help`) for usage.')
    .addHelpText('after', `
Exit status: 0 ok; 1 error, self-check mismatch, key not found, or problems found by inspect;
2 bad usage or bad configuration (nothing opened or written).
Environment: F2KV_LOG_LEVEL (pino level, default warn).`);

  const demo = program
    .command('demo')
    .description('run the two-tier demo (what `npm start` runs): load more records than the hot tier holds, run a self-checking ' +
      'mixed workload, compact, checkpoint, reopen from the checkpoint, and print throughput and both tiers\' stats')
    .option('--config <file>', 'run against the store this TOML file describes instead of one in --dir')
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://127.0.0.1:<port>/metrics while it runs (0: any free port)', port)
    .option('--records <n>', `records to load (default ${DEMO_DEFAULTS.records})`, wholeNumber)
    .option('--ops <n>', `operations of the mixed workload (default ${DEMO_DEFAULTS.operations})`, wholeNumber)
    .option('--value-size <n>', `average value size in bytes (default ${DEMO_DEFAULTS.valueSize})`, wholeNumber)
    .option('--memory <size>', `hot log memory budget, e.g. 32MiB (default ${DEMO_DEFAULTS.memory})`)
    .option('--page-size <size>', `hot log page size, a power of two (default ${DEMO_DEFAULTS.pageSize})`)
    .option('--hot-budget <size>', `hot log size before records migrate to the cold tier (default ${DEMO_DEFAULTS.hotLogBudgetFactor} × --memory)`)
    .option('--read-cache <size>', `hot read cache memory (default --memory / ${1 / DEMO_DEFAULTS.readCacheFraction})`)
    .option('--cold-page-size <size>', `cold log object size (default ${DEMO_DEFAULTS.coldPageSize})`)
    .option('--hot-only', 'run the hot tier (FasterKv) alone: no cold tier, no migration')
    .option('--concurrency <n>', `async operations in flight (default ${DEMO_DEFAULTS.concurrency})`, wholeNumber)
    .option('--seed <n>', 'workload seed (printed by every run; default random)', wholeNumber)
    .option('--dir <path>', `demo directory (default ${DEMO_DEFAULTS.dir})`)
    .option('--fresh', 'use --dir even if it is not a demo directory; only the demo\'s own entries in it (hot/, cold/, checkpoints/, f2kv-demo.json) are replaced')
    .option('--skip-verify', `do not read keys back at the end (all keys with --hot-only, a sample of ${VERIFY_SAMPLE.toLocaleString('en-US')} with two tiers) nor after reopening`)
    .option('--json', 'print the report as JSON on stdout')
    .action(async (flags: DemoFlags) => {
      status.code = await demoAction(flags, io, (m) => demo.error(`f2kv demo: ${m}`, { exitCode: 2, code: 'f2kv.usage' }));
    });

  program
    .command('inspect')
    .alias('stats')
    .argument('[target]', 'a TOML configuration file, an object store URL (file://, s3://, az://) or a directory', DEMO_DEFAULTS.dir)
    .description('show a store without modifying it: checkpoints (tokens, times, sizes, sessions), tiers (log addresses, sizes, objects, index), ' +
      'and what is wrong: every manifest and every object a checkpoint references is read and its CRC-32C checked')
    .action(async (target: string) => {
      status.code = await inspectTarget(target, io);
    });

  const encodingOption = (): Option => new Option('--encoding <encoding>', 'how the value is written').choices(VALUE_ENCODINGS).default('utf8');

  program
    .command('get')
    .argument('<config>', 'TOML configuration file of the store')
    .argument('<key>', 'the key (UTF-8)')
    .addOption(encodingOption())
    .description('print the value of a key (exit 1 if it is absent); opens the store as its writer, so stop a service using it first')
    .action(async (config: string, key: string, opts: { encoding: ValueEncoding }) => {
      status.code = await getCommand(config, key, opts.encoding, io);
    });

  program
    .command('put')
    .argument('<config>', 'TOML configuration file of the store')
    .argument('<key>', 'the key (UTF-8)')
    .argument('[value]', 'the value (default: read from stdin)')
    .addOption(encodingOption())
    .description('write a key, then checkpoint so that it is durable')
    .action(async (config: string, key: string, value: string | undefined, opts: { encoding: ValueEncoding }) => {
      await loadConfig(config); // a bad file is reported before stdin is read
      const text = value ?? (await readStdin());
      status.code = await putCommand(config, key, decodeValue(text, opts.encoding), io);
    });

  program
    .command('delete')
    .argument('<config>', 'TOML configuration file of the store')
    .argument('<key>', 'the key (UTF-8)')
    .description('delete a key, then checkpoint so that the delete is durable')
    .action(async (config: string, key: string) => {
      status.code = await deleteCommand(config, key, io);
    });

  program
    .command('checkpoint')
    .argument('<config>', 'TOML configuration file of the store')
    .description('open the store, take a checkpoint of every tier, print its token')
    .action(async (config: string) => {
      status.code = await checkpointCommand(config, io);
    });

  program
    .command('compact')
    .argument('<config>', 'TOML configuration file of the store')
    .addOption(new Option('--hot', 'only the hot log (two tiers: migrate its oldest records to the cold tier)').conflicts('cold'))
    .addOption(new Option('--cold', 'only the cold log (two tiers only)'))
    .description('compact the store\'s logs (both tiers by default), then checkpoint')
    .action(async (config: string, opts: { hot?: boolean; cold?: boolean }) => {
      const target: CompactTarget = opts.hot ? 'hot' : opts.cold ? 'cold' : 'both';
      status.code = await compactCommand(config, target, io);
    });

  const configCommand = program.command('config').description('work with configuration files');
  configCommand
    .command('check')
    .argument('<file>', 'TOML configuration file')
    .option('--json', 'print JSON instead of TOML')
    .description('validate a configuration file and print the configuration it resolves to (defaults included, secrets redacted); opens nothing')
    .action(async (file: string, opts: { json?: boolean }) => {
      const config = await loadConfig(file);
      for (const w of config.warnings) io.err(`warning: ${w}\n`);
      io.out(`# ${config.file}: valid (${config.store.kind === 'f2' ? 'two tiers: F2Kv' : 'one tier: FasterKv'})\n`);
      io.out(describeConfig(config, { format: opts.json ? 'json' : 'toml' }));
      status.code = 0;
    });

  program
    .command('version')
    .description('print the version')
    .action(() => {
      io.out(`f2kv ${packageVersion()} (node ${process.versions.node})\n`);
      status.code = 0;
    });

  return program;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('put needs a value: give it as an argument or pipe it on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const COMMANDS = new Set(['demo', 'inspect', 'stats', 'get', 'put', 'delete', 'checkpoint', 'compact', 'config', 'version', 'help']);

/** The help text of the command tree (what `f2kv help` prints). */
export function usage(): string {
  const text: string[] = [];
  const io: Io = { out: (t) => void text.push(t), err: () => undefined, errIsTTY: false };
  buildProgram(io, { code: 0 }).outputHelp();
  return text.join('');
}

/** Runs the command for argv (without node and the script) and returns the exit status. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const status = { code: 0 };
  const program = buildProgram(io, status);
  // `f2kv` alone and `f2kv --records 10` run the demo; `f2kv --help` / `--version` stay global.
  const first = argv[0];
  const args = first === undefined || (first.startsWith('-') && !['-h', '--help', '-v', '--version'].includes(first)) ? ['demo', ...argv] : [...argv];
  if (args[0] !== undefined && !args[0].startsWith('-') && !COMMANDS.has(args[0])) {
    io.err(`f2kv: unknown command "${args[0]}"\nRun \`f2kv help\` for usage.\n`);
    return 2;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    return status.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are "errors" that exit 0; everything else is bad usage.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
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
