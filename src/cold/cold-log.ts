/**
 * The cold log's record access: appends and chain walks over a HybridLog whose device is an
 * ObjectLogDevice. The cold log is append-only (no record changes after it is written), so a
 * record is read from its page frame while it is in memory and with one ranged GET otherwise.
 */
import {
  alignRecordSize,
  FLAG_TOMBSTONE,
  RECORD_HEADER_BYTES,
  recordKeyEquals,
  recordPrevious,
  writeRecordHeader,
} from '../core/record-layout.js';
import type { HybridLog } from '../log/hybrid-log.js';
import { copyValue } from '../core/value-copy.js';

/** A record found by a chain walk. */
export interface ColdRecord {
  address: number;
  /** A copy of the value; undefined for a tombstone. */
  value: Uint8Array | undefined;
  tombstone: boolean;
}

/** walk()'s answer when the log was truncated under it: start again from the index. */
export const TRUNCATED = null;
/** walkInMemory()'s answer when the chain continues below head. */
export const ON_DEVICE = -1;

/** Per-walk state: object reads, and where a walk that found nothing left the chain. */
export interface ReadCounter {
  gets: number;
  /** Chunk reads from object storage (ColdIndex.head). */
  chunkGets?: number;
  /** Set by walk() when it returns undefined: the address at which the chain was left. */
  stoppedAt?: number;
}

export class ColdLog {
  constructor(readonly hlog: HybridLog) {}

  /**
   * Appends a record; returns its address, or 0 when the tail must wait for a flush (await
   * hlog.waitForRoom() and retry). `previous` is the chain head it links to.
   */
  tryAppend(previous: number, key: Uint8Array, value: Uint8Array | undefined, tombstone: boolean): number {
    const hlog = this.hlog;
    const valueLength = value === undefined ? 0 : value.length;
    const size = alignRecordSize(key.length, valueLength);
    const address = hlog.allocate(size);
    if (address === 0) return 0;
    const page = Math.floor(address / hlog.pageSize);
    const f = page % hlog.frameCount;
    const offset = address - page * hlog.pageSize;
    writeRecordHeader(hlog.frames32[f]!, offset >>> 2, previous, tombstone ? FLAG_TOMBSTONE : 0, key.length, valueLength, size);
    const u8 = hlog.frames8[f]!;
    u8.set(key, offset + RECORD_HEADER_BYTES);
    if (value !== undefined) u8.set(value, offset + RECORD_HEADER_BYTES + key.length);
    return address;
  }

  async append(previous: number, key: Uint8Array, value: Uint8Array | undefined, tombstone: boolean): Promise<number> {
    for (;;) {
      const address = this.tryAppend(previous, key, value, tombstone);
      if (address !== 0) return address;
      await this.hlog.waitForRoom();
    }
  }

  /**
   * Walks the chain from `address` through the in-memory part of the log, down to `stopAbove`
   * (exclusive). Returns the record of `key`, undefined when the chain ends (`stoppedAt` says
   * where), or ON_DEVICE with `deviceAddress` set.
   */
  walkInMemory(key: Uint8Array, address: number, stopAbove = 0): ColdRecord | undefined | typeof ON_DEVICE {
    const hlog = this.hlog;
    const begin = hlog.beginAddress;
    while (address > stopAbove && address >= begin) {
      if (address < hlog.headAddress) {
        this.deviceAddress = address;
        return ON_DEVICE;
      }
      const page = Math.floor(address / hlog.pageSize);
      const f = page % hlog.frameCount;
      const offset = address - page * hlog.pageSize;
      const u32 = hlog.frames32[f]!;
      const u8 = hlog.frames8[f]!;
      if (recordKeyEquals(u8, u32, offset, key, key.length)) return recordAt(address, u8, u32, offset, key.length);
      address = recordPrevious(u32, offset >>> 2);
    }
    this.stoppedAt = address;
    return undefined;
  }

  /** Where walkInMemory stopped when it returned ON_DEVICE. */
  deviceAddress = 0;
  /**
   * Where walkInMemory left the chain when it found nothing. Valid only synchronously after that
   * call: walk() hands it to its caller through the ReadCounter, since other walks run meanwhile.
   */
  stoppedAt = 0;

  /**
   * Walks the chain from `address` (in memory, then with one GET per record on object storage)
   * down to `stopAbove` (exclusive). Returns the newest record of `key`, undefined when there is
   * none, or TRUNCATED when compaction moved begin past the chain after `beginSeen` (the begin
   * address read before the chain's head was): the walk would end early, so start again.
   */
  async walk(
    key: Uint8Array,
    address: number,
    beginSeen: number,
    counter?: ReadCounter,
    stopAbove = 0,
  ): Promise<ColdRecord | undefined | typeof TRUNCATED> {
    const hlog = this.hlog;
    for (;;) {
      const inMemory = this.walkInMemory(key, address, stopAbove);
      if (inMemory === undefined) {
        const at = this.stoppedAt;
        if (at > stopAbove && at >= beginSeen && at < hlog.beginAddress) return TRUNCATED;
        if (counter) counter.stoppedAt = at;
        return undefined;
      }
      if (inMemory !== ON_DEVICE) return inMemory;
      address = this.deviceAddress;
      if (counter) counter.gets++;
      let record;
      try {
        record = await hlog.readRecord(address);
      } catch (err) {
        if (address < hlog.beginAddress) return TRUNCATED;
        throw err;
      }
      if (address < hlog.beginAddress) return TRUNCATED;
      if (recordKeyEquals(record.u8, record.u32, 0, key, key.length)) return recordAt(address, record.u8, record.u32, 0, key.length);
      address = recordPrevious(record.u32, 0);
    }
  }
}

function recordAt(address: number, u8: Uint8Array, u32: Uint32Array, offset: number, keyLength: number): ColdRecord {
  const w = offset >>> 2;
  const tombstone = (u32[w + 1]! & FLAG_TOMBSTONE) !== 0;
  const start = offset + RECORD_HEADER_BYTES + keyLength;
  return { address, tombstone, value: tombstone ? undefined : copyValue(u8, start, u32[w + 3]!) };
}
