/**
 * The on-page layout of FasterLog entries.
 *
 *   entry:    [payload length u32 LE][checksum u32 LE][payload][zero padding to a multiple of 8]
 *   page end: [PAGE_END_MARKER u32 LE][checksum u32 LE]   (the rest of the page is unused)
 *
 * The checksum is CRC-32C over (length field, entry address as 8 bytes LE, payload), so a flipped
 * bit in the header or the payload fails the check, and bytes read at the wrong address (an
 * address that is not an entry start, or a stale entry of the same content elsewhere) fail it too.
 * A stored checksum is never 0 (a CRC of 0 is stored as 1), so an all-zero header never
 * verifies and unwritten space is never mistaken for an empty entry.
 *
 * Entries are 8-byte aligned and never cross a page. When the next entry does not fit, the space
 * left in the page (always a multiple of 8, hence ≥ 8 bytes when not empty) starts with a
 * page-end marker, and the entry goes to the next page.
 */
import { crc32c } from '../core/checksum.js';

export const ENTRY_HEADER_BYTES = 8;
/** Length-field value of a page-end marker; real lengths are below a page size (≤ 2^30). */
export const PAGE_END_MARKER = 0xffffffff;

const scratch = new Uint8Array(12);

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

export function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Bytes an entry with `payloadBytes` of payload occupies (header + payload, 8-aligned). */
export function entrySize(payloadBytes: number): number {
  return ENTRY_HEADER_BYTES + Math.ceil(payloadBytes / 8) * 8;
}

/** Checksum of the entry (or marker, with lengthField = PAGE_END_MARKER and no payload) at `address`. */
export function entryChecksum(address: number, lengthField: number, payload: Uint8Array, start: number, end: number): number {
  putU32(scratch, 0, lengthField);
  putU32(scratch, 4, address % 0x100000000);
  putU32(scratch, 8, Math.floor(address / 0x100000000));
  const head = crc32c(scratch, 0, 12, 0);
  const crc = end > start ? crc32c(payload, start, end, head) : head;
  return crc === 0 ? 1 : crc;
}

/** Writes the header of an entry whose payload already sits at buf[offset + 8, offset + 8 + length). */
export function sealEntry(buf: Uint8Array, offset: number, address: number, length: number): void {
  const payloadStart = offset + ENTRY_HEADER_BYTES;
  putU32(buf, offset, length);
  putU32(buf, offset + 4, entryChecksum(address, length, buf, payloadStart, payloadStart + length));
  const end = offset + entrySize(length);
  if (payloadStart + length < end) buf.fill(0, payloadStart + length, end);
}

/** Writes a page-end marker at buf[offset] (the entry address `address`) and zeroes the rest up to `pageEndOffset`. */
export function writePageEndMarker(buf: Uint8Array, offset: number, address: number, pageEndOffset: number): void {
  putU32(buf, offset, PAGE_END_MARKER);
  putU32(buf, offset + 4, entryChecksum(address, PAGE_END_MARKER, buf, 0, 0));
  buf.fill(0, offset + ENTRY_HEADER_BYTES, pageEndOffset);
}

export type HeaderCheck =
  | { kind: 'entry'; length: number; size: number }
  | { kind: 'page-end' }
  | { kind: 'invalid'; reason: string };

/**
 * Interprets the header at buf[offset] for an entry at `address` with `room` bytes left in its
 * page. Checks structure only (and the marker's checksum); the payload checksum is verifyEntry's.
 */
export function checkHeader(buf: Uint8Array, offset: number, address: number, room: number): HeaderCheck {
  const length = readU32(buf, offset);
  if (length === PAGE_END_MARKER) {
    if (readU32(buf, offset + 4) !== entryChecksum(address, PAGE_END_MARKER, buf, 0, 0)) {
      return { kind: 'invalid', reason: 'page-end marker failed its checksum' };
    }
    return { kind: 'page-end' };
  }
  const size = entrySize(length);
  if (size > room) return { kind: 'invalid', reason: `length ${length} runs past the end of its page` };
  return { kind: 'entry', length, size };
}

/** True when the payload at buf[offset + 8, + length) matches the stored checksum for `address`. */
export function verifyEntry(buf: Uint8Array, offset: number, address: number, length: number): boolean {
  const payloadStart = offset + ENTRY_HEADER_BYTES;
  return readU32(buf, offset + 4) === entryChecksum(address, length, buf, payloadStart, payloadStart + length);
}
