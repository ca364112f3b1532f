/**
 * Conversion of user keys and values (Uint8Array or string as UTF-8) to bytes. Strings are
 * encoded into a reusable scratch buffer so the common path allocates nothing.
 */
const encoder = new TextEncoder();

/** A key or value as callers pass it: bytes, or a string stored as its UTF-8 bytes. */
export type Bytes = Uint8Array | string;

export class ScratchEncoder {
  private buffer = new Uint8Array(256);

  /** Bytes of `input`: the input itself, or its UTF-8 in the scratch buffer (valid until the next call). */
  bytes(input: Bytes, what: string): Uint8Array {
    if (input instanceof Uint8Array) return input;
    if (typeof input === 'string') {
      const need = input.length * 3;
      if (need > this.buffer.length) this.buffer = new Uint8Array(Math.max(need, this.buffer.length * 2));
      const { written } = encoder.encodeInto(input, this.buffer);
      return this.buffer.subarray(0, written);
    }
    throw new TypeError(`${what} must be a Uint8Array or a string, got ${describe(input)}`);
  }
}

/** Bytes of a value that will be stored (strings are encoded into a new array). */
export function valueBytes(input: Bytes, what: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return encoder.encode(input);
  throw new TypeError(`${what} must be a Uint8Array or a string, got ${describe(input)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
