/**
 * FasterLog commit records and the two slots that hold them.
 *
 * A commit record is 64 bytes:
 *
 *    0  magic "F2KVFLOG"            8  format version u32 (1)      12  page size u32
 *   16  commit number u64          24  begin address u64          32  committed-until address u64
 *   40  wall-clock time (ms) u64   48  reserved (zero)            60  CRC-32C of bytes [0, 60) u32
 *
 * (u64 values are little-endian, stored as two u32 halves; addresses stay below 2^48.)
 *
 * Where records live: in an ObjectStore, under two keys `<key>.0` and `<key>.1` (default key
 * "faster-log-commit"). Every backend offers the same primitive, a whole-object put that readers
 * see entirely or not at all: on a local directory (LocalFsObjectStore) that is a temp file,
 * fsync, rename and directory fsync; on S3/Azure/memory a PUT. So one design serves file:// and
 * object-store devices alike.
 *
 * Why two slots: a put is atomic, but the newest record can still be damaged later (a flipped bit,
 * a truncated file, a half-copied backup). Commit n is written to the slot that does *not* hold
 * the newest valid record, so the other slot always keeps the previous commit. Recovery reads both,
 * ignores any that is missing, fails its checksum or is malformed, and takes the valid one with
 * the highest commit number; if records exist but none is valid, open fails with CorruptionError
 * rather than guessing.
 *
 * Truncation and the fallback: the previous record must stay usable, so device space below a new
 * begin is freed only when no valid record still points below it (safeBegin). When a commit moves
 * begin, its record is written to its slot and then copied to the other slot (the copy after the
 * first put succeeded); only then does the log truncate the device. A crash between the two puts
 * leaves the old begin in the other slot and its data still on the device. Two slots never hold
 * different records with the same commit number: the log counts a commit as soon as its first put
 * succeeded, so a retry after a failed copy gets the next number.
 */
import { LOG_BEGIN_ADDRESS, MAX_LOG_ADDRESS } from '../core/address.js';
import { crc32c } from '../core/checksum.js';
import { assert, ConfigError, CorruptionError, ObjectNotFoundError } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import type { ObjectStore } from '../devices/object-store.js';
import { readU32 } from './faster-log-entry.js';

export const COMMIT_RECORD_BYTES = 64;
export const COMMIT_FORMAT_VERSION = 1;
const MAGIC = 'F2KVFLOG';
const CRC_OFFSET = 60;
const log = componentLogger('faster-log-commit');

export interface CommitRecord {
  /** 1, 2, 3…: increases by one with every commit record written. */
  commitNumber: number;
  beginAddress: number;
  committedUntilAddress: number;
  pageSize: number;
  timestampMs: number;
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

function putU64(b: Uint8Array, o: number, v: number): void {
  putU32(b, o, v % 0x100000000);
  putU32(b, o + 4, Math.floor(v / 0x100000000));
}

function readU64(b: Uint8Array, o: number): number {
  return readU32(b, o + 4) * 0x100000000 + readU32(b, o);
}

export function encodeCommitRecord(r: CommitRecord): Uint8Array {
  const b = new Uint8Array(COMMIT_RECORD_BYTES);
  for (let i = 0; i < MAGIC.length; i++) b[i] = MAGIC.charCodeAt(i);
  putU32(b, 8, COMMIT_FORMAT_VERSION);
  putU32(b, 12, r.pageSize);
  putU64(b, 16, r.commitNumber);
  putU64(b, 24, r.beginAddress);
  putU64(b, 32, r.committedUntilAddress);
  putU64(b, 40, r.timestampMs);
  putU32(b, CRC_OFFSET, crc32c(b, 0, CRC_OFFSET));
  return b;
}

/**
 * Decodes a commit record read from `object`. A damaged or malformed record is a CorruptionError;
 * a valid record of a newer format version is a ConfigError (refuse rather than misread).
 */
export function decodeCommitRecord(b: Uint8Array, object: string): CommitRecord {
  const bad = (why: string): never => {
    throw new CorruptionError(`commit record ${object}: ${why}`, object);
  };
  if (b.length !== COMMIT_RECORD_BYTES) bad(`expected ${COMMIT_RECORD_BYTES} bytes, found ${b.length} (truncated or not a commit record)`);
  for (let i = 0; i < MAGIC.length; i++) if (b[i] !== MAGIC.charCodeAt(i)) bad('bad magic (not a FasterLog commit record)');
  if (readU32(b, CRC_OFFSET) !== crc32c(b, 0, CRC_OFFSET)) bad('checksum mismatch (damaged)');
  const version = readU32(b, 8);
  if (version > COMMIT_FORMAT_VERSION) {
    throw new ConfigError(
      'commit',
      `commit record ${object} has format version ${version}, newer than this f2kv understands (${COMMIT_FORMAT_VERSION}); upgrade f2kv to open this log`,
    );
  }
  const r: CommitRecord = {
    pageSize: readU32(b, 12),
    commitNumber: readU64(b, 16),
    beginAddress: readU64(b, 24),
    committedUntilAddress: readU64(b, 32),
    timestampMs: readU64(b, 40),
  };
  const ps = r.pageSize;
  if (ps < 512 || ps > 2 ** 30 || (ps & (ps - 1)) !== 0) bad(`page size ${ps} is not a power of two in [512, 2^30]`);
  if (r.commitNumber < 1) bad(`commit number ${r.commitNumber} < 1`);
  if (r.beginAddress < LOG_BEGIN_ADDRESS || r.beginAddress > r.committedUntilAddress || r.committedUntilAddress >= MAX_LOG_ADDRESS) {
    bad(`addresses begin ${r.beginAddress} / committed-until ${r.committedUntilAddress} are out of order or range`);
  }
  if (r.beginAddress % 8 !== 0 || r.committedUntilAddress % 8 !== 0) bad('addresses are not 8-byte aligned');
  return r;
}

/** The two commit-record slots of one log in an ObjectStore. */
export class CommitSlots {
  /** Slot (0 or 1) of the newest valid record, or -1 before the first. */
  private current = -1;
  /** begin of the valid record in each slot; Infinity for a slot that is empty or damaged (recovery cannot use it). */
  private readonly begins = [Infinity, Infinity];
  puts = 0;

  constructor(
    readonly store: ObjectStore,
    readonly key: string,
  ) {}

  keyOf(slot: number): string {
    return `${this.key}.${slot}`;
  }

  /** Human-readable location of a slot, for errors and logs. */
  nameOf(slot: number): string {
    return `${this.store.url}${this.store.url.endsWith('/') ? '' : '/'}${this.keyOf(slot)}`;
  }

  /**
   * Reads both slots and returns the newest valid record (undefined for a log that never
   * committed). Throws CorruptionError when records exist but none of them is valid.
   */
  async load(): Promise<CommitRecord | undefined> {
    const found: { slot: number; record: CommitRecord }[] = [];
    const problems: string[] = [];
    for (const slot of [0, 1]) {
      let bytes: Uint8Array;
      try {
        bytes = await this.store.get(this.keyOf(slot));
      } catch (e) {
        if (e instanceof ObjectNotFoundError) continue;
        if (e instanceof CorruptionError) {
          problems.push(`${this.nameOf(slot)}: ${e.message}`);
          continue;
        }
        throw e;
      }
      try {
        found.push({ slot, record: decodeCommitRecord(bytes, this.nameOf(slot)) });
      } catch (e) {
        if (!(e instanceof CorruptionError)) throw e;
        problems.push(e.message);
      }
    }
    if (found.length === 0) {
      if (problems.length === 0) return undefined;
      throw new CorruptionError(
        `no valid FasterLog commit record: ${problems.join('; ')}. The committed state cannot be determined; ` +
          'restore the commit records from a backup, or delete them to start an empty log on this device',
        this.nameOf(0),
      );
    }
    found.sort((a, b) => b.record.commitNumber - a.record.commitNumber);
    const best = found[0]!;
    if (problems.length > 0) {
      log.warn({ problems, commitNumber: best.record.commitNumber }, 'a commit record is damaged; recovering from the other slot');
    }
    this.current = best.slot;
    for (const f of found) this.begins[f.slot] = f.record.beginAddress;
    return best.record;
  }

  /** Writes `record` durably to the slot that does not hold the newest valid record. */
  async write(record: CommitRecord): Promise<void> {
    const target = this.current === 0 ? 1 : 0;
    await this.store.put(this.keyOf(target), encodeCommitRecord(record));
    this.puts++;
    this.current = target;
    this.begins[target] = record.beginAddress;
  }

  /**
   * Writes the newest record (just written by write()) into the other slot as well, so that no
   * slot points below its begin any more (before the device space below begin is freed).
   */
  async writeCopy(record: CommitRecord): Promise<void> {
    assert(this.current !== -1, 'writeCopy after write');
    const other = 1 - this.current;
    await this.store.put(this.keyOf(other), encodeCommitRecord(record));
    this.puts++;
    this.begins[other] = record.beginAddress;
  }

  /** The lowest begin any valid record points to: device space below it is no longer needed. */
  safeBegin(): number {
    return Math.min(this.begins[0]!, this.begins[1]!);
  }
}
