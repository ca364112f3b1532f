/**
 * `f2kv get | put | delete | checkpoint | compact <config> …`: one operation on the store a
 * configuration file describes. The file is loaded and validated first (a bad file is one error
 * naming the file and key, and nothing is opened); then the store is opened — as its writer, so
 * stop a service that has it open first — the operation runs, writes are made durable by a
 * checkpoint, and the store is closed.
 */
import { F2Kv } from '../f2/f2-kv.js';
import type { FasterKv } from '../hot/faster-kv.js';
import { loadConfig } from '../config/load-config.js';
import { openStore } from '../config/open-store.js';
import type { StoreConfig } from '../config/store-config.js';
import { formatBytes, formatCount } from './format.js';
import type { Io } from './io.js';
import { Activity } from './progress.js';
import { UsageError } from './usage-error.js';

/** The session the CLI's operations belong to (one id, so checkpoints do not collect a session per command). */
export const CLI_SESSION = 'f2kv-cli';

export type ValueEncoding = 'utf8' | 'hex' | 'base64';
export const VALUE_ENCODINGS: readonly ValueEncoding[] = ['utf8', 'hex', 'base64'];

/** Loads the configuration, opens its store (showing recovery progress), runs `use`, closes. */
export async function withStore<T>(configPath: string, io: Io, use: (store: F2Kv | FasterKv, config: StoreConfig) => Promise<T>): Promise<T> {
  const config = await loadConfig(configPath);
  const store = await Activity.run(io, 'open', () => openStore(config), (s) => describeOpened(s));
  let result: T;
  try {
    result = await use(store, config);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  await Activity.run(io, 'close', () => store.close(), () => 'closed');
  return result;
}

function describeOpened(store: F2Kv | FasterKv): string {
  if (store instanceof F2Kv) return `two-tier store, ${store.recoveredToken !== undefined ? `recovered checkpoint ${store.recoveredToken}` : 'new (no checkpoint)'}`;
  const rc = store.recoveredCheckpoint;
  return `one-tier store, ${rc !== undefined ? `recovered checkpoint ${rc.token}` : 'new (no checkpoint)'}`;
}

function hasCheckpointStore(config: StoreConfig): boolean {
  return config.store.kind === 'f2' || config.store.resolved.checkpoint.url !== undefined;
}

/** Makes the writes durable: a checkpoint when the store has a checkpoint store. */
async function makeDurable(store: F2Kv | FasterKv, config: StoreConfig, io: Io): Promise<string> {
  if (!hasCheckpointStore(config)) return 'not durable: the store has no checkpoint store (set [checkpoint] url)';
  const token = await Activity.run(io, 'checkpoint', () => store.checkpoint(), (t) => `token ${t} durable`);
  return `durable in checkpoint ${token}`;
}

export function decodeValue(text: string, encoding: ValueEncoding): Uint8Array {
  if (encoding === 'utf8') return new TextEncoder().encode(text);
  if (encoding === 'hex') {
    if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new UsageError(`value is not hex (an even number of 0-9a-f digits): "${text.slice(0, 40)}"`);
    return Uint8Array.from(Buffer.from(text, 'hex'));
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new UsageError(`value is not base64: "${text.slice(0, 40)}"`);
  return Uint8Array.from(Buffer.from(text, 'base64'));
}

export function encodeValue(value: Uint8Array, encoding: ValueEncoding): string {
  if (encoding === 'utf8') return new TextDecoder('utf-8', { fatal: false }).decode(value);
  return Buffer.from(value).toString(encoding);
}

/** Prints the value of `key` (exit 0) or "not found" on stderr (exit 1). */
export async function getCommand(configPath: string, key: string, encoding: ValueEncoding, io: Io): Promise<number> {
  const value = await withStore(configPath, io, async (store) => {
    const session = store.continueSession(CLI_SESSION);
    try {
      return await session.read(key);
    } finally {
      session.end();
    }
  });
  if (value === undefined) {
    io.err(`f2kv: ${key}: not found\n`);
    return 1;
  }
  io.out(encodeValue(value, encoding) + '\n');
  return 0;
}

export async function putCommand(configPath: string, key: string, value: Uint8Array, io: Io): Promise<number> {
  const durable = await withStore(configPath, io, async (store, config) => {
    const session = store.continueSession(CLI_SESSION);
    try {
      await session.upsert(key, value);
    } finally {
      session.end();
    }
    return makeDurable(store, config, io);
  });
  io.out(`put ${key} (${formatBytes(value.length)}): ${durable}\n`);
  return 0;
}

export async function deleteCommand(configPath: string, key: string, io: Io): Promise<number> {
  const durable = await withStore(configPath, io, async (store, config) => {
    const session = store.continueSession(CLI_SESSION);
    try {
      await session.delete(key);
    } finally {
      session.end();
    }
    return makeDurable(store, config, io);
  });
  io.out(`deleted ${key}: ${durable}\n`);
  return 0;
}

export async function checkpointCommand(configPath: string, io: Io): Promise<number> {
  const config = await loadConfig(configPath);
  if (!hasCheckpointStore(config)) throw new UsageError(`${config.file}: checkpoint.url: the store has no checkpoint store; set [checkpoint] url`);
  const token = await withStore(configPath, io, (store) => Activity.run(io, 'checkpoint', () => store.checkpoint(), (t) => `token ${t} durable`));
  io.out(`checkpoint ${token}\n`);
  return 0;
}

export type CompactTarget = 'hot' | 'cold' | 'both';

/**
 * Compacts the hot log (FasterKv: live records to its tail; F2Kv: migration of the oldest hot
 * records to the cold tier) and/or the cold log (F2Kv only), then checkpoints.
 */
export async function compactCommand(configPath: string, target: CompactTarget, io: Io): Promise<number> {
  const config = await loadConfig(configPath);
  if (target === 'cold' && config.store.kind !== 'f2') {
    throw new UsageError(`${config.file}: --cold: the store has no cold tier (no [cold] table); use --hot`);
  }
  const lines = await withStore(configPath, io, async (store) => {
    const out: string[] = [];
    if (store instanceof F2Kv) {
      if (target !== 'cold') {
        const r = await Activity.run(io, 'compact hot → cold', () => store.compactHotLog(), (c) => `${formatCount(c.recordsScanned)} records scanned`);
        out.push(`hot → cold: ${formatCount(r.recordsScanned)} records scanned, ${formatCount(r.recordsCopied)} moved to cold, ${formatBytes(r.bytesReclaimed)} of hot log freed`);
      }
      if (target !== 'hot') {
        const r = await Activity.run(io, 'compact cold', () => store.compactColdLog(), (c) => `${formatCount(c.recordsScanned)} records scanned`);
        out.push(`cold → cold: ${formatCount(r.recordsScanned)} records scanned, ${formatCount(r.recordsCopied)} live records copied, ` +
          `${formatCount(r.tombstonesDropped)} tombstones dropped, ${formatBytes(r.bytesReclaimed)} reclaimed`);
      }
    } else {
      const until = store.hlog.readOnlyAddress;
      const r = await Activity.run(io, 'compact', () => store.compact(until), (c) => `${formatCount(c.recordsScanned)} records scanned`);
      out.push(`hot log: ${formatCount(r.recordsScanned)} records scanned, ${formatCount(r.recordsCopied)} live records copied, ${formatBytes(r.bytesReclaimed)} reclaimed`);
    }
    out.push(await makeDurable(store, config, io));
    return out;
  });
  io.out(lines.join('\n') + '\n');
  return 0;
}
