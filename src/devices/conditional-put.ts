import { PreconditionFailedError } from '../core/errors.js';

/** Conditional puts larger than this are not re-read to resolve an ambiguous retry. */
const MAX_CONFIRM_BYTES = 64 * 1024 * 1024;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/**
 * A conditional put that is retried after a timeout or dropped connection may find that its own
 * first attempt already succeeded: the retry then reports a lost race although the write won.
 * Called when a retried attempt (attempt > 1) got a precondition failure, this reads the object
 * and, if it holds exactly our bytes, returns its etag (we won). Otherwise it rethrows the
 * precondition failure.
 */
export async function confirmOwnConditionalPut(
  key: string,
  bytes: Uint8Array,
  readCurrent: () => Promise<{ bytes: Uint8Array; etag: string } | undefined>,
): Promise<string> {
  if (bytes.length <= MAX_CONFIRM_BYTES) {
    const current = await readCurrent();
    if (current && sameBytes(current.bytes, bytes)) return current.etag;
  }
  throw new PreconditionFailedError(key);
}
