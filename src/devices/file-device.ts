import { constants as fsConstants, readSync as fsReadSync } from 'node:fs';
import { access, mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ClosedError, ConfigError, F2Error } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { parseSize } from '../core/size.js';
import { checkReadRange, emptyDeviceStats, type DeviceExtent, type DeviceStats, type StorageDevice } from './storage-device.js';

const log = componentLogger('file-device');

/** Options of FileDevice.open. */
export interface FileDeviceOptions {
  /** Bytes per segment file (default 1 GiB). Truncation frees whole segments. */
  segmentSize?: number | string;
  /** Create the directory when it does not exist (default false: a missing directory is a ConfigError). */
  createIfMissing?: boolean;
}

const SEGMENT = /^segment-(\d{10})\.f2log$/;

function segmentName(index: number): string {
  return `segment-${String(index).padStart(10, '0')}.f2log`;
}

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/**
 * A StorageDevice on a local directory of segment files `segment-<index>.f2log`, each holding
 * addresses [index·segmentSize, (index+1)·segmentSize). Reads and writes are positioned I/O on
 * file handles that stay open; sync() fdatasyncs the segments written since the last sync (and
 * the directory when segments were created or deleted); truncation deletes whole segments.
 * A write resolves when the bytes are in the operating system's cache, readable at once.
 */
export class FileDevice implements StorageDevice {
  readonly name: string;
  readonly persistent = true;
  /** Bytes per segment file. */
  readonly segmentSize: number;
  private readonly handles = new Map<number, Promise<FileHandle>>();
  /**
   * Descriptors of the segments whose handles have opened, for readSync (which runs to completion
   * before truncation or close can release them; async reads keep using the FileHandle).
   */
  private readonly fds = new Map<number, number>();
  private readonly dirty = new Set<number>();
  private directoryDirty = false;
  private beginAddress: number;
  private endAddress: number;
  private readonly counters: DeviceStats = emptyDeviceStats();
  private closed = false;

  private constructor(
    /** The directory holding the segment files. */
    readonly directory: string,
    segmentSize: number,
    extent: DeviceExtent,
  ) {
    this.name = `file ${directory}`;
    this.segmentSize = segmentSize;
    this.beginAddress = extent.begin;
    this.endAddress = extent.end;
  }

  /** Opens the device on directory, finding the extent of existing segments. @throws ConfigError if the directory is missing (without createIfMissing) or the options are invalid. */
  static async open(directory: string, options: FileDeviceOptions = {}): Promise<FileDevice> {
    const segmentSize = parseSize('segmentSize', options.segmentSize ?? 1024 ** 3);
    if (segmentSize < 4096) throw new ConfigError('segmentSize', `must be at least 4 KiB, got ${segmentSize}`);
    try {
      const s = await stat(directory);
      if (!s.isDirectory()) throw new ConfigError('directory', `${directory} is not a directory`);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      if (errCode(e) !== 'ENOENT') throw new ConfigError('directory', `cannot access ${directory} (${errCode(e) ?? String(e)})`);
      if (!options.createIfMissing) throw new ConfigError('directory', `${directory} does not exist; create it or pass { createIfMissing: true }`);
      try {
        await mkdir(directory, { recursive: true });
      } catch (e2) {
        throw new ConfigError('directory', `cannot create ${directory} (${errCode(e2) ?? String(e2)})`);
      }
    }
    try {
      await access(directory, fsConstants.W_OK | fsConstants.R_OK);
    } catch (e) {
      throw new ConfigError('directory', `${directory} is not readable and writable (${errCode(e) ?? String(e)}); fix its permissions`);
    }
    const indexes: number[] = [];
    for (const name of await readdir(directory)) {
      const m = SEGMENT.exec(name);
      if (m) indexes.push(Number(m[1]));
    }
    indexes.sort((a, b) => a - b);
    let extent: DeviceExtent = { begin: 0, end: 0 };
    if (indexes.length > 0) {
      const last = indexes.at(-1)!;
      const lastSize = (await stat(join(directory, segmentName(last)))).size;
      extent = { begin: indexes[0]! * segmentSize, end: last * segmentSize + lastSize };
      if (extent.end === extent.begin) extent = { begin: 0, end: 0 };
    }
    return new FileDevice(directory, segmentSize, extent);
  }

  private check(): void {
    if (this.closed) throw new ClosedError(`device ${this.name}`);
  }

  private handle(index: number, create: boolean): Promise<FileHandle> | undefined {
    let h = this.handles.get(index);
    if (h) return h;
    const path = join(this.directory, segmentName(index));
    const flags = create ? fsConstants.O_RDWR | fsConstants.O_CREAT : fsConstants.O_RDWR;
    h = open(path, flags, 0o644);
    this.handles.set(index, h);
    h.then(
      (fh) => {
        if (this.handles.get(index) === h) this.fds.set(index, fh.fd);
      },
      () => this.handles.delete(index),
    );
    if (create) this.directoryDirty = true;
    return h;
  }

  /** Splits [address, address + length) at segment boundaries. */
  private *parts(address: number, length: number): Generator<{ index: number; offset: number; from: number; n: number }> {
    let pos = address;
    const stop = address + length;
    while (pos < stop) {
      const index = Math.floor(pos / this.segmentSize);
      const offset = pos - index * this.segmentSize;
      const n = Math.min(stop - pos, this.segmentSize - offset);
      yield { index, offset, from: pos - address, n };
      pos += n;
    }
  }

  async write(address: number, bytes: Uint8Array): Promise<void> {
    this.check();
    if (!Number.isSafeInteger(address) || address < 0) throw new RangeError(`write address ${address} of ${this.name} is not a non-negative integer`);
    this.counters.writes++;
    this.counters.bytesWritten += bytes.length;
    if (bytes.length === 0) return;
    await Promise.all(
      [...this.parts(address, bytes.length)].map(async ({ index, offset, from, n }) => {
        const fh = await this.handle(index, true)!;
        let done = 0;
        while (done < n) {
          const { bytesWritten } = await fh.write(bytes, from + done, n - done, offset + done);
          done += bytesWritten;
        }
        this.dirty.add(index);
      }),
    );
    if (this.endAddress === 0 && this.beginAddress === 0) this.beginAddress = address;
    this.beginAddress = Math.min(this.beginAddress, address);
    this.endAddress = Math.max(this.endAddress, address + bytes.length);
  }

  async read(address: number, length: number): Promise<Uint8Array> {
    this.check();
    checkReadRange(this.name, address, length);
    this.counters.reads++;
    if (length === 0) return new Uint8Array(0);
    if (address < this.beginAddress || address >= this.endAddress) {
      throw new RangeError(`read [${address}, ${address + length}) of ${this.name} is outside the written extent [${this.beginAddress}, ${this.endAddress}) (never written or truncated)`);
    }
    const n = Math.min(length, this.endAddress - address);
    const out = new Uint8Array(n);
    await Promise.all(
      [...this.parts(address, n)].map(async ({ index, offset, from, n: partLength }) => {
        let fh: FileHandle;
        try {
          fh = await this.handle(index, false)!;
        } catch (e) {
          if (errCode(e) === 'ENOENT') {
            throw new RangeError(`read [${address}, ${address + n}) of ${this.name}: segment ${segmentName(index)} does not exist (never written or truncated)`);
          }
          throw e;
        }
        let done = 0;
        while (done < partLength) {
          const { bytesRead } = await fh.read(out, from + done, partLength - done, offset + done);
          if (bytesRead === 0) {
            throw new RangeError(`read [${address}, ${address + n}) of ${this.name}: segment ${segmentName(index)} ends at offset ${offset + done} (never written)`);
          }
          done += bytesRead;
        }
      }),
    );
    this.counters.bytesRead += n;
    return out;
  }

  /**
   * Reads [address, address + length) into `out` on the calling thread (pread; a page-cache hit
   * costs a few µs). Returns the bytes read, or undefined when the range spans two segments or its
   * segment has no open descriptor yet (use read()). Same errors as read().
   */
  readSync(address: number, length: number, out: Uint8Array): number | undefined {
    this.check();
    checkReadRange(this.name, address, length);
    if (length === 0) return 0;
    if (address < this.beginAddress || address >= this.endAddress) {
      throw new RangeError(`read [${address}, ${address + length}) of ${this.name} is outside the written extent [${this.beginAddress}, ${this.endAddress}) (never written or truncated)`);
    }
    const n = Math.min(length, this.endAddress - address, out.length);
    const index = Math.floor(address / this.segmentSize);
    const offset = address - index * this.segmentSize;
    if (offset + n > this.segmentSize) return undefined;
    const fd = this.fds.get(index);
    if (fd === undefined) return undefined;
    this.counters.reads++;
    let done = 0;
    while (done < n) {
      const bytesRead = fsReadSync(fd, out, done, n - done, offset + done);
      if (bytesRead === 0) {
        throw new RangeError(`read [${address}, ${address + n}) of ${this.name}: segment ${segmentName(index)} ends at offset ${offset + done} (never written)`);
      }
      done += bytesRead;
    }
    this.counters.bytesRead += n;
    return n;
  }

  async sync(): Promise<void> {
    this.check();
    await this.syncNow();
  }

  private async syncNow(): Promise<void> {
    const indexes = [...this.dirty];
    this.dirty.clear();
    try {
      await Promise.all(indexes.map(async (i) => (await this.handles.get(i))?.datasync()));
    } catch (e) {
      for (const i of indexes) this.dirty.add(i);
      throw new F2Error('DEVICE_SYNC_FAILED', `fdatasync of ${this.name} failed (${errCode(e) ?? String(e)}); the disk may be full or failing`, { cause: e });
    }
    if (this.directoryDirty) {
      this.directoryDirty = false;
      const dir = await open(this.directory, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  }

  async truncateUntil(address: number): Promise<void> {
    this.check();
    if (address <= this.beginAddress) return;
    this.beginAddress = Math.min(address, this.endAddress);
    this.counters.truncations++;
    const below = Math.floor(address / this.segmentSize); // segments [0, below) lie wholly below address
    const names = (await readdir(this.directory)).filter((n) => {
      const m = SEGMENT.exec(n);
      return m !== null && Number(m[1]) < below;
    });
    for (const name of names) {
      const index = Number(SEGMENT.exec(name)![1]);
      const h = this.handles.get(index);
      this.handles.delete(index);
      this.fds.delete(index);
      this.dirty.delete(index);
      if (h) await (await h.catch(() => undefined))?.close();
      await unlink(join(this.directory, name)).catch((e: unknown) => {
        if (errCode(e) !== 'ENOENT') throw e;
      });
      this.directoryDirty = true;
    }
    if (names.length > 0) log.debug({ device: this.name, deleted: names.length, address }, 'truncated segments');
  }

  extent(): DeviceExtent {
    return { begin: this.beginAddress, end: this.endAddress };
  }

  stats(): DeviceStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.syncNow();
    } finally {
      this.closed = true;
      for (const h of this.handles.values()) await (await h.catch(() => undefined))?.close();
      this.handles.clear();
      this.fds.clear();
    }
  }
}

