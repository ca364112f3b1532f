/**
 * CRC-32C (Castagnoli), slicing-by-8, over byte ranges. Used for records sealed on flush,
 * object-log blocks and checkpoint files.
 */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i]!;
    for (let s = 1; s < 8; s++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[s * 256 + i] = c;
    }
  }
  return t;
})();

/** A native CRC-32C: crc32c(input, initialState) over the whole input. */
type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

/**
 * Ranges shorter than this stay in JS: below it the native call's fixed cost (a N-API crossing,
 * about 0.3–1 µs) outweighs the bytes (a record of a few hundred bytes is sealed faster in JS).
 */
const NATIVE_MIN_BYTES = 1024;

/** The native implementation once loaded (undefined until then, or when it cannot load). */
let native: NativeCrc32c | undefined;

/** Which implementation large ranges use now: 'native' (@node-rs/crc32) or 'js'. */
export function crc32cImplementation(): 'native' | 'js' {
  return native === undefined ? 'js' : 'native';
}

/**
 * Loads the optional native CRC-32C (@node-rs/crc32, prebuilt binaries, SSE4.2/ARMv8 CRC
 * instructions). Started when this module loads; until it resolves, and whenever the package is
 * absent or fails its self-check, the JS slicing-by-8 below is used. Both compute the same
 * function, so which one ran is never visible in the data. Resolves to the implementation in use.
 */
export const nativeCrc32cReady: Promise<'native' | 'js'> = loadNative();

async function loadNative(): Promise<'native' | 'js'> {
  // A variable specifier: the package is optional, so the type checker must not require it.
  const specifier = '@node-rs/crc32';
  try {
    const mod: unknown = await import(specifier);
    const fn = typeof mod === 'object' && mod !== null && 'crc32c' in mod ? mod.crc32c : undefined;
    if (typeof fn !== 'function') return 'js';
    const candidate = (input: Uint8Array, initialState?: number): number => Number(fn(input, initialState));
    // Self-check against the JS implementation (the standard check value and a continuation).
    const probe = new TextEncoder().encode('123456789');
    if (candidate(probe) !== 0xe3069283 || candidate(probe.subarray(4), crc32cJs(probe, 0, 4)) !== 0xe3069283) return 'js';
    native = candidate;
    return 'native';
  } catch {
    return 'js';
  }
}

/** CRC-32C of bytes[start, end), continuing from `crc` (pass 0 to start). */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  if (native !== undefined && end - start >= NATIVE_MIN_BYTES) {
    return native(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), crc) >>> 0;
  }
  return crc32cJs(bytes, start, end, crc);
}

/** The JS implementation (slicing-by-8): always available, and faster than the native call for short ranges. */
export function crc32cJs(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const t = TABLES;
  let c = ~crc >>> 0;
  let i = start;
  while (i + 8 <= end) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The reflected CRC-32C polynomial (bit 31 stands for x^0). */
const POLY = 0x82f63b78;

/** a(x)·b(x) modulo the CRC-32C polynomial, both in the reflected bit order the CRC uses. */
function multiplyModPoly(a: number, b: number): number {
  if (a === 0) return 0;
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31 (the powers x^(8n) are built from them). */
const X_POW_2K: Uint32Array = (() => {
  const t = new Uint32Array(32);
  t[0] = 0x40000000; // x^1
  for (let k = 1; k < 32; k++) t[k] = multiplyModPoly(t[k - 1]!, t[k - 1]!);
  return t;
})();

/** x^(8·bytes) modulo the polynomial: the operator that moves a CRC past `bytes` zero bytes. */
function shiftOperator(bytes: number): number {
  let p = 0x80000000; // x^0
  for (let n = bytes, k = 3; n > 0; n = Math.floor(n / 2), k++) if (n % 2 === 1) p = multiplyModPoly(X_POW_2K[k & 31]!, p);
  return p;
}

/**
 * The CRC-32C of the concatenation A‖B from crc(A), crc(B) and B's length, without reading the
 * bytes again (a few dozen integer operations). Lets one pass over data yield the checksums of
 * several groupings of it: per block, per object, per object including its stored checksums.
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModPoly(shiftOperator(lengthB), crcA) ^ crcB) >>> 0;
}
