/**
 * Record layout inside a log page (all offsets in bytes, records 8-byte aligned, never crossing a
 * page). The header is six 32-bit words, read through a Uint32Array view of the page:
 *
 *   word 0  previous address, low 32 bits
 *   word 1  previous address, high 16 bits | flags << 16
 *   word 2  key length (bytes)
 *   word 3  value length (bytes)
 *   word 4  record size (bytes allocated, header included, multiple of 8)
 *   word 5  CRC-32C of the record with this word as zero; written when the record is sealed
 *           (the page becomes read-only and is flushed), checked on every device read
 *
 * followed by the key bytes and the value bytes. A record whose value shrinks in place keeps its
 * allocated size, so it can grow again up to that capacity.
 */
import { TWO_POW_32 } from './address.js';
import { crc32c } from './checksum.js';

export const RECORD_HEADER_BYTES = 24;
export const RECORD_HEADER_WORDS = 6;

export const FLAG_TOMBSTONE = 1 << 16;
/** A record that is not part of any chain's live data (a filler, or one abandoned by a failed insert). */
export const FLAG_INVALID = 1 << 17;
/** The record was moved to (or lives in) the cold tier. */
export const FLAG_IN_COLD = 1 << 18;
/** Filler at a page's end: the rest of the page holds no records. */
export const FLAG_FILLER = 1 << 19;
/** Parity of the checkpoint version of the operation that wrote the record (CPR). */
export const FLAG_VERSION_ODD = 1 << 21;

export function alignRecordSize(keyLength: number, valueLength: number): number {
  return (RECORD_HEADER_BYTES + keyLength + valueLength + 7) & ~7;
}

export function recordPrevious(u32: Uint32Array, word: number): number {
  return u32[word]! + (u32[word + 1]! & 0xffff) * TWO_POW_32;
}

export function recordFlags(u32: Uint32Array, word: number): number {
  return u32[word + 1]! & 0xffff0000;
}

export function writeRecordHeader(
  u32: Uint32Array,
  word: number,
  previous: number,
  flags: number,
  keyLength: number,
  valueLength: number,
  recordSize: number,
): void {
  u32[word] = previous % TWO_POW_32;
  u32[word + 1] = (Math.floor(previous / TWO_POW_32) & 0xffff) | flags;
  u32[word + 2] = keyLength;
  u32[word + 3] = valueLength;
  u32[word + 4] = recordSize;
  u32[word + 5] = 0;
}

/** Writes a filler record over [offset, pageEnd) when it is big enough to hold a header. */
export function writeFiller(u32: Uint32Array, offset: number, bytes: number): void {
  if (bytes < RECORD_HEADER_BYTES) return;
  writeRecordHeader(u32, offset >>> 2, 0, FLAG_FILLER | FLAG_INVALID, 0, 0, bytes);
}

/** Computes the record's checksum (word 5 counted as zero). */
export function recordChecksum(u8: Uint8Array, offset: number, recordSize: number): number {
  const c = crc32c(u8, offset, offset + 20);
  return crc32c(u8, offset + RECORD_HEADER_BYTES, offset + recordSize, c);
}

export function sealRecord(u8: Uint8Array, u32: Uint32Array, offset: number): void {
  const w = offset >>> 2;
  u32[w + 5] = recordChecksum(u8, offset, u32[w + 4]!);
}

export function verifyRecord(u8: Uint8Array, u32: Uint32Array, offset: number): boolean {
  const w = offset >>> 2;
  return u32[w + 5] === recordChecksum(u8, offset, u32[w + 4]!);
}

/** True when bytes[0, length) equal u8[start, start + length) (the key of a record whose key length is `length`). */
export function keyBytesEqual(u8: Uint8Array, start: number, key: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) {
    if (u8[start + i] !== key[i]) return false;
  }
  return true;
}

/** True when bytes[0, length) equal the record's key. */
export function recordKeyEquals(u8: Uint8Array, u32: Uint32Array, offset: number, key: Uint8Array, length: number): boolean {
  if (u32[(offset >>> 2) + 2] !== length) return false;
  let p = offset + RECORD_HEADER_BYTES;
  for (let i = 0; i < length; i++, p++) {
    if (u8[p] !== key[i]) return false;
  }
  return true;
}
