import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink, link, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ClosedError,
  ConfigError,
  CorruptionError,
  ObjectNotFoundError,
  ObjectStoreError,
  PreconditionFailedError,
  TransientObjectStoreError,
} from '../core/errors.js';
import { crc32c } from '../core/checksum.js';
import { componentLogger } from '../core/logger.js';
import type { ByteRange, ObjectInfo, ObjectStore, PutCondition, PutOptions, PutResult } from './object-store.js';
import { validateKey, validateRange } from './object-store.js';
import { StatsRecorder, counted, type ObjectStoreStats } from './object-store-stats.js';
import { errCode, pidAlive, sleep } from './local-process.js';

const log = componentLogger('local-fs-object-store');

/**
 * Every object file starts with this header, so the etag (content tag + generation) survives
 * restarts and an identical rewrite still gets a new etag:
 *   0  magic "F2KVOBJ1"   8  generation u64 LE   16  content tag (16 bytes)   32  content
 * The content tag is the CRC-32C of the content (u32 LE) and its length (u64 LE), then 4 zero
 * bytes (files written by earlier versions hold an MD5 there). Either way it only goes into
 * the etag, which is opaque: nothing compares it with the content (an MD5 of a 16 MiB object cost
 * a 30–40 ms pause of the event loop; the CRC-32C usually comes with the put, see PutOptions).
 */
const MAGIC = Buffer.from('F2KVOBJ1', 'latin1');
export const LOCAL_OBJECT_HEADER_BYTES = 32;
/** Names starting with this are the store's own (temp files, locks) and are never listed. */
const RESERVED = '.f2kv-';

/** Options of LocalFsObjectStore.open. */
export interface LocalFsObjectStoreOptions {
  /** Create the root directory when it does not exist (default false: a missing directory is a ConfigError). */
  createIfMissing?: boolean;
  /** fsync the directory after each rename so the new name is durable (default true). */
  fsyncDirectory?: boolean;
  /** A lock older than this is considered abandoned by a crashed writer (default 30 s). */
  staleLockMs?: number;
  /** Give up waiting for a key's lock after this long (default 30 s). */
  lockTimeoutMs?: number;
}

interface Header {
  generation: bigint;
  /** The content tag (see the header layout above). */
  tag: Buffer;
}

let generationCounter = 0;

function etagOf(h: Header): string {
  return `"${h.tag.toString('hex')}-${h.generation.toString(16)}"`;
}


/**
 * An ObjectStore on a local directory (`file:///abs/dir`). Each object is one file, written to a
 * temp file, fsynced and renamed into place, so readers see the old or the new object, never a
 * half-written one. Every mutation of a key holds a lock file created with O_EXCL (stale locks of
 * dead processes or older than `staleLockMs` are broken), which makes compare-and-swap exclusive
 * across processes; create-if-absent additionally publishes with link(2), which fails if the
 * name exists.
 */
export class LocalFsObjectStore implements ObjectStore {
  readonly url: string;
  private readonly recorder = new StatsRecorder();
  private readonly tmpDir: string;
  private readonly lockDir: string;
  private readonly keyChains = new Map<string, Promise<void>>();
  private closed = false;

  private constructor(
    /** Absolute path of the directory holding the objects. */
    readonly root: string,
    private readonly options: Required<LocalFsObjectStoreOptions>,
  ) {
    this.url = `file://${root}`;
    this.tmpDir = join(root, `${RESERVED}tmp`);
    this.lockDir = join(root, `${RESERVED}locks`);
  }

  /** Opens the store on the absolute directory root. @throws ConfigError if root is relative, or missing without createIfMissing. */
  static async open(root: string, options: LocalFsObjectStoreOptions = {}): Promise<LocalFsObjectStore> {
    if (!root.startsWith('/')) throw new ConfigError('url', `local object store path "${root}" must be absolute`);
    const opts: Required<LocalFsObjectStoreOptions> = {
      createIfMissing: options.createIfMissing ?? false,
      fsyncDirectory: options.fsyncDirectory ?? true,
      staleLockMs: options.staleLockMs ?? 30_000,
      lockTimeoutMs: options.lockTimeoutMs ?? 30_000,
    };
    try {
      const s = await stat(root);
      if (!s.isDirectory()) throw new ConfigError('url', `${root} is not a directory`);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      if (errCode(e) !== 'ENOENT') throw new ConfigError('url', `cannot access directory ${root} (${errCode(e) ?? String(e)})`);
      if (!opts.createIfMissing) {
        throw new ConfigError('url', `directory ${root} does not exist; create it or pass { createIfMissing: true }`);
      }
      await mkdir(root, { recursive: true });
    }
    const store = new LocalFsObjectStore(root, opts);
    try {
      await mkdir(store.tmpDir, { recursive: true });
      await mkdir(store.lockDir, { recursive: true });
    } catch (e) {
      throw new ConfigError('url', `directory ${root} is not writable (${errCode(e) ?? String(e)}); fix its permissions`);
    }
    return store;
  }

  private check(): void {
    if (this.closed) throw new ClosedError(`object store ${this.url}`);
  }

  private pathOf(key: string): string {
    validateKey(key);
    if (key.split('/').some((s) => s.startsWith(RESERVED))) {
      throw new ObjectStoreError('INVALID_KEY', `invalid object key ${JSON.stringify(key)}: names starting with "${RESERVED}" are reserved`, { key });
    }
    // A file name is at most 255 bytes on common file systems: refuse longer segments here with a
    // typed error rather than fail later with ENAMETOOLONG from the file system.
    if (key.split('/').some((s) => Buffer.byteLength(s) > 255)) {
      throw new ObjectStoreError('INVALID_KEY', `invalid object key ${JSON.stringify(key.slice(0, 80))}…: a local-directory store limits each '/'-separated segment to 255 bytes`, { key });
    }
    return join(this.root, ...key.split('/'));
  }

  /** Serializes mutations of one key inside this process; the lock file serializes across processes. */
  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.keyChains.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chain = prev.then(() => mine);
    this.keyChains.set(key, chain);
    await prev;
    try {
      return await this.withLockFile(key, fn);
    } finally {
      release();
      if (this.keyChains.get(key) === chain) this.keyChains.delete(key);
    }
  }

  private async withLockFile<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockPath = join(this.lockDir, `${createHash('sha1').update(key).digest('hex')}.lock`);
    const token = randomBytes(8).toString('hex');
    const body = JSON.stringify({ pid: process.pid, host: hostname(), token, key });
    const deadline = Date.now() + this.options.lockTimeoutMs;
    let delay = 1;
    for (;;) {
      try {
        const fh = await open(lockPath, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o644);
        try {
          await fh.writeFile(body);
        } finally {
          await fh.close();
        }
        break;
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw e;
      }
      await this.breakIfStale(lockPath);
      if (Date.now() > deadline) {
        throw new TransientObjectStoreError(`timed out after ${this.options.lockTimeoutMs} ms waiting for the lock of ${key} in ${this.root} (${lockPath})`, { key });
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
    try {
      return await fn();
    } finally {
      // Release only our own lock (a stale-lock breaker may have taken it over).
      try {
        const content = await readFile(lockPath, 'utf8');
        if (content.includes(token)) await unlink(lockPath);
      } catch (e) {
        if (errCode(e) !== 'ENOENT') log.warn({ err: e, lockPath }, 'could not release lock');
      }
    }
  }

  private async breakIfStale(lockPath: string): Promise<void> {
    let content: string;
    let ageMs: number;
    try {
      content = await readFile(lockPath, 'utf8');
      ageMs = Date.now() - (await stat(lockPath)).mtimeMs;
    } catch (e) {
      if (errCode(e) === 'ENOENT') return;
      throw e;
    }
    let owner: { pid?: number; host?: string; token?: string } = {};
    try {
      owner = JSON.parse(content) as typeof owner;
    } catch {
      // A lock whose writer died between create and write: judged by age alone.
    }
    const deadOwner = owner.host === hostname() && typeof owner.pid === 'number' && !pidAlive(owner.pid);
    const tooOld = ageMs > this.options.staleLockMs || (content === '' && ageMs > 1000);
    if (!deadOwner && !tooOld) return;
    const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
    try {
      await rename(lockPath, aside);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return; // someone else broke or released it
      throw e;
    }
    const taken = await readFile(aside, 'utf8').catch(() => '');
    if (owner.token !== undefined && !taken.includes(owner.token)) {
      // We moved a fresh lock aside (the stale one was replaced meanwhile): put it back if we can.
      await link(aside, lockPath).catch(() => undefined);
    } else {
      log.warn({ lockPath, owner: { pid: owner.pid, host: owner.host }, ageMs }, 'broke a stale object-store lock');
    }
    await unlink(aside).catch(() => undefined);
  }

  private async readHeader(fh: FileHandle, path: string, key: string): Promise<Header> {
    const buf = Buffer.alloc(LOCAL_OBJECT_HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead < LOCAL_OBJECT_HEADER_BYTES || !buf.subarray(0, 8).equals(MAGIC)) {
      throw new CorruptionError(`object file ${path} (key ${key}) has no valid f2kv object header; it was not written by f2kv or is truncated`, key);
    }
    return { generation: buf.readBigUInt64LE(8), tag: Buffer.from(buf.subarray(16, 32)) };
  }

  /** Opens the object file for reading, or undefined when it does not exist. */
  private async openExisting(path: string): Promise<FileHandle | undefined> {
    try {
      return await open(path, 'r');
    } catch (e) {
      const c = errCode(e);
      if (c === 'ENOENT' || c === 'ENOTDIR') return undefined;
      if (c === 'EISDIR') throw new ObjectStoreError('NOT_AN_OBJECT', `${path} is a directory, not an object`);
      throw e;
    }
  }

  private async currentHeader(path: string, key: string): Promise<Header | undefined> {
    const fh = await this.openExisting(path);
    if (!fh) return undefined;
    try {
      return await this.readHeader(fh, path, key);
    } finally {
      await fh.close();
    }
  }

  async put(key: string, bytes: Uint8Array, condition?: PutCondition, options?: PutOptions): Promise<PutResult> {
    this.check();
    const path = this.pathOf(key);
    return counted(this.recorder, 'PUT', () =>
      this.exclusive(key, async () => {
        const current = await this.currentHeader(path, key);
        if (condition && 'ifNoneMatch' in condition && current) throw new PreconditionFailedError(key);
        if (condition && 'ifMatch' in condition && (!current || etagOf(current) !== condition.ifMatch)) throw new PreconditionFailedError(key);
        let generation = (BigInt(Date.now()) << 16n) | BigInt(generationCounter++ & 0xffff);
        if (current && generation <= current.generation) generation = current.generation + 1n;
        const tag = Buffer.alloc(16);
        tag.writeUInt32LE(options?.crc32c ?? crc32c(bytes), 0);
        tag.writeBigUInt64LE(BigInt(bytes.length), 4);
        const header: Header = { generation, tag };
        const headerBytes = Buffer.alloc(LOCAL_OBJECT_HEADER_BYTES);
        MAGIC.copy(headerBytes, 0);
        headerBytes.writeBigUInt64LE(generation, 8);
        tag.copy(headerBytes, 16);

        await mkdir(dirname(path), { recursive: true });
        const tmp = join(this.tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
        try {
          const fh = await open(tmp, 'wx', 0o644);
          try {
            await fh.writev([headerBytes, bytes]);
            await fh.datasync();
          } finally {
            await fh.close();
          }
          if (condition && 'ifNoneMatch' in condition) {
            try {
              await link(tmp, path); // fails with EEXIST if the name exists: exclusive create
            } catch (e) {
              if (errCode(e) === 'EEXIST') throw new PreconditionFailedError(key);
              throw e;
            }
          } else {
            await rename(tmp, path);
          }
        } finally {
          await unlink(tmp).catch(() => undefined);
        }
        if (this.options.fsyncDirectory) await this.fsyncDir(dirname(path));
        this.recorder.bytes('PUT', bytes.length);
        return { etag: etagOf(header) };
      }),
    );
  }

  private async fsyncDir(dir: string): Promise<void> {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    this.check();
    const path = this.pathOf(key);
    if (range) validateRange(key, range);
    return counted(
      this.recorder,
      'GET',
      async () => {
        const fh = await this.openExisting(path);
        if (!fh) throw new ObjectNotFoundError(key);
        try {
          await this.readHeader(fh, path, key);
          const size = (await fh.stat()).size - LOCAL_OBJECT_HEADER_BYTES;
          const start = range ? Math.min(range.offset, size) : 0;
          const end = range ? Math.min(size, start + range.length) : size;
          const out = new Uint8Array(end - start);
          let done = 0;
          while (done < out.length) {
            const { bytesRead } = await fh.read(out, done, out.length - done, LOCAL_OBJECT_HEADER_BYTES + start + done);
            if (bytesRead === 0) break;
            done += bytesRead;
          }
          if (done !== out.length) throw new CorruptionError(`object file ${path} (key ${key}) shrank while being read`, key);
          return out;
        } finally {
          await fh.close();
        }
      },
      (b) => b.length,
    );
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.check();
    const path = this.pathOf(key);
    return counted(this.recorder, 'HEAD', async () => {
      const fh = await this.openExisting(path);
      if (!fh) return undefined;
      try {
        const h = await this.readHeader(fh, path, key);
        return { size: (await fh.stat()).size - LOCAL_OBJECT_HEADER_BYTES, etag: etagOf(h) };
      } finally {
        await fh.close();
      }
    });
  }

  async list(prefix: string): Promise<string[]> {
    this.check();
    return counted(this.recorder, 'LIST', async () => {
      const keys: string[] = [];
      const slash = prefix.lastIndexOf('/');
      const base = slash < 0 ? '' : prefix.slice(0, slash + 1);
      const walk = async (relDir: string): Promise<void> => {
        let entries;
        try {
          entries = await readdir(join(this.root, ...relDir.split('/').filter((s) => s !== '')), { withFileTypes: true });
        } catch (e) {
          if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return;
          throw e;
        }
        for (const entry of entries) {
          if (entry.name.startsWith(RESERVED)) continue;
          const rel = relDir + entry.name;
          if (entry.isDirectory()) {
            const asDir = `${rel}/`;
            if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) await walk(asDir);
          } else if (entry.isFile() && rel.startsWith(prefix)) {
            keys.push(rel);
          }
        }
      };
      await walk(base);
      return keys.sort();
    });
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.check();
    const paths = keys.map((k) => this.pathOf(k));
    if (keys.length === 0) return;
    await counted(this.recorder, 'DELETE', async () => {
      for (let i = 0; i < keys.length; i++) {
        await this.exclusive(keys[i]!, async () => {
          await unlink(paths[i]!).catch((e: unknown) => {
            if (errCode(e) !== 'ENOENT' && errCode(e) !== 'ENOTDIR') throw e;
          });
        });
      }
    });
  }

  stats(): ObjectStoreStats {
    return this.recorder.snapshot();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
