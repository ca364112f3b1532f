/**
 * Log scan: an async iterator over the records of [from, to) of a HybridLog, in address order,
 * skipping page-end fillers. In-memory pages are copied record by record before being yielded
 * (no page frame is held across a yield); pages below head are read from the device one page at
 * a time and every record's checksum is verified. The scan lets the event loop turn every few
 * milliseconds (TimeSlice): a pass over records in memory, whose consumer's awaits settle at once,
 * would otherwise hold it for the whole pass.
 */
import { CorruptionError } from '../core/errors.js';
import { TimeSlice } from '../core/time-slice.js';
import {
  FLAG_FILLER,
  FLAG_INVALID,
  FLAG_TOMBSTONE,
  RECORD_HEADER_BYTES,
  recordPrevious,
  verifyRecord,
} from '../core/record-layout.js';
import type { HybridLog } from './hybrid-log.js';

/** One record yielded by a log scan (FasterKv.scan). */
export interface ScanRecord {
  /** Log address of the record. */
  address: number;
  /** Address just past this record. */
  nextAddress: number;
  /** Address of the previous record in the key's hash chain. */
  previous: number;
  /** The record's key. */
  key: Uint8Array;
  /** undefined for a tombstone. */
  value: Uint8Array | undefined;
  /** True for a tombstone (a delete). */
  tombstone: boolean;
  /** Raw flag bits of the record header (layout internal to f2kv). */
  flags: number;
}

/** Set by parsePage: the page holds no records after the returned address. */
let pageDone = false;

function parsePage(
  u8: Uint8Array,
  u32: Uint32Array,
  base: number,
  startOffset: number,
  endOffset: number,
  stopAddress: number,
  verify: boolean,
  where: string,
  out: ScanRecord[],
): number {
  pageDone = false;
  let offset = startOffset;
  while (offset + RECORD_HEADER_BYTES <= endOffset && base + offset < stopAddress) {
    const w = offset >>> 2;
    const size = u32[w + 4]!;
    if (size === 0) {
      pageDone = true;
      break;
    }
    if (size < RECORD_HEADER_BYTES || (size & 7) !== 0 || offset + size > endOffset) {
      throw new CorruptionError(`invalid record size ${size} at address ${base + offset} on ${where}`, where);
    }
    const flags = u32[w + 1]! & 0xffff0000;
    if ((flags & FLAG_FILLER) !== 0) {
      pageDone = true;
      break;
    }
    if (verify && !verifyRecord(u8, u32, offset)) {
      throw new CorruptionError(`record at address ${base + offset} on ${where} failed its checksum`, where);
    }
    if ((flags & FLAG_INVALID) === 0) {
      const keyLength = u32[w + 2]!;
      const valueLength = u32[w + 3]!;
      const k = offset + RECORD_HEADER_BYTES;
      const tombstone = (flags & FLAG_TOMBSTONE) !== 0;
      out.push({
        address: base + offset,
        nextAddress: base + offset + size,
        previous: recordPrevious(u32, w),
        key: u8.slice(k, k + keyLength),
        value: tombstone ? undefined : u8.slice(k + keyLength, k + keyLength + valueLength),
        tombstone,
        flags,
      });
    }
    offset += size;
  }
  return base + offset;
}

/** Yields the records of [from, to) (clamped to [begin, tail)). */
export async function* scanLog(hlog: HybridLog, from: number, to: number): AsyncGenerator<ScanRecord> {
  let address = Math.max(from, hlog.beginAddress);
  const pageSize = hlog.pageSize;
  const batch: ScanRecord[] = [];
  const slice = new TimeSlice();
  while (address < Math.min(to, hlog.tailAddress)) {
    const page = hlog.pageOf(address);
    const base = page * pageSize;
    const pageEnd = base + pageSize;
    batch.length = 0;
    let next: number;
    if (address >= hlog.headAddress) {
      const f = hlog.frameOf(address);
      const end = Math.min(pageEnd, hlog.tailAddress);
      next = parsePage(hlog.frames8[f]!, hlog.frames32[f]!, base, address - base, end - base, to, false, 'memory', batch);
    } else {
      const end = Math.min(pageEnd, hlog.headAddress);
      const bytes = await hlog.device.read(address, end - address);
      const aligned = new Uint8Array(new ArrayBuffer(pageSize));
      aligned.set(bytes, address - base);
      next = parsePage(aligned, new Uint32Array(aligned.buffer), base, address - base, end - base, to, true, hlog.device.name, batch);
    }
    const done = pageDone || next + RECORD_HEADER_BYTES > pageEnd;
    for (const r of batch) {
      if (slice.due()) await slice.pause();
      yield r;
    }
    address = next >= to ? next : done ? pageEnd : next;
  }
}
