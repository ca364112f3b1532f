/**
 * Logical addresses: 48-bit integers held in JS numbers (exact up to 2^53).
 * address = page number × page size + offset. Address 0 is invalid; the log begins at 64.
 * Addresses with READ_CACHE_BIT set name records in the read cache, not in the main log.
 */
export const INVALID_ADDRESS = 0;
export const LOG_BEGIN_ADDRESS = 64;
export const ADDRESS_BITS = 48;
export const READ_CACHE_BIT = 2 ** 47;
/** Largest main-log address (exclusive): the read-cache bit must stay clear. */
export const MAX_LOG_ADDRESS = READ_CACHE_BIT;
export const TWO_POW_32 = 4294967296;

export function isReadCacheAddress(address: number): boolean {
  return address >= READ_CACHE_BIT;
}

export function toReadCacheAddress(address: number): number {
  return address + READ_CACHE_BIT;
}

export function fromReadCacheAddress(address: number): number {
  return address - READ_CACHE_BIT;
}

/** Splits an address into its low 32 bits (the high 16 are `Math.floor(address / 2^32)`). */
export function addressLow(address: number): number {
  return address % TWO_POW_32 >>> 0;
}

export function addressHigh(address: number): number {
  return Math.floor(address / TWO_POW_32) & 0xffff;
}
