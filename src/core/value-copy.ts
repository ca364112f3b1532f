/**
 * Copies of values handed to the application. A read returns its own copy of the value, so the
 * cost of that allocation is part of every read. V8 keeps a typed array of at most 64 bytes on
 * its heap (cheap to allocate); a larger one needs a new ArrayBuffer backing store, which costs
 * about 1 µs in Node 20 and adds external memory that the garbage collector must track. So, as
 * Node does for `Buffer.allocUnsafe`, values of 65 B to 2 KiB are copied into views of a shared
 * 16 KiB slab (about 0.2 µs): each value is its own `Uint8Array` with its own bytes, but its
 * `.buffer` is the slab and its `byteOffset` may be non-zero, and a slab stays allocated while
 * any value cut from it is referenced. Smaller and larger values get an ArrayBuffer of their own.
 */

/** Largest value held on V8's heap (V8's typed_array_max_size_in_heap). */
const ON_HEAP_MAX = 64;
/** Values up to this size are cut from the slab. */
const SLAB_VALUE_MAX = 2048;
const SLAB_BYTES = 16 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let slabOffset = 0;

/** A copy of src[start, start + length) that the caller owns (see the file comment on sharing). */
export function copyValue(src: Uint8Array, start: number, length: number): Uint8Array {
  if (length <= 16) {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = src[start + i]!;
    return out;
  }
  if (length <= ON_HEAP_MAX || length > SLAB_VALUE_MAX) return src.slice(start, start + length);
  if (slabOffset + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabOffset = 0;
  }
  const out = new Uint8Array(slab, slabOffset, length);
  slabOffset = (slabOffset + length + 7) & ~7;
  out.set(src.subarray(start, start + length));
  return out;
}
