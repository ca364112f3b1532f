/**
 * The log's random-access view of storage. Addresses are logical log addresses (bytes); the
 * device knows nothing about records or pages.
 *
 * Contract:
 * - write(address, bytes) stores bytes at [address, address + length). A later write may overlap
 *   an earlier one (a partial page flushed again when it fills up); the newest write wins.
 * - read(address, length) returns the bytes of [address, address + length) that were written.
 *   Reading a range that was never written, or was truncated, throws a CorruptionError/RangeError
 *   naming the range; a device never returns bytes it did not store. A read that starts inside
 *   the written extent but reaches past its end returns the shorter written prefix (the log reads
 *   a size estimate that may run past the last record).
 * - truncateUntil(address) frees whole segments/objects that lie entirely below address.
 * - sync() makes every completed write durable.
 * - extent() reports [begin, end): the lowest retained and the highest written address, as found
 *   on open, so a recovering log can find its data again.
 */
/** I/O counters of a StorageDevice since it was opened. */
export interface DeviceStats {
  /** Write calls. */
  writes: number;
  /** Bytes written. */
  bytesWritten: number;
  /** Read calls. */
  reads: number;
  /** Bytes read. */
  bytesRead: number;
  /** truncateUntil calls. */
  truncations: number;
}

/** The address range a device holds: [begin, end). */
export interface DeviceExtent {
  /** Lowest retained address. */
  begin: number;
  /** Highest written address (exclusive). */
  end: number;
}

/** The log's random-access view of storage (file, object store, or none), addressed by logical log address in bytes. See the module comment for the contract. */
export interface StorageDevice {
  /** A description for logs and errors, with any secret removed. */
  readonly name: string;
  /** False for the null device of a memory-only log: nothing can be read back. */
  readonly persistent: boolean;
  /** Stores bytes at [address, address + length); a later overlapping write wins. */
  write(address: number, bytes: Uint8Array): Promise<void>;
  /** Returns the written bytes of [address, address + length), shorter if the range runs past the end of what was written. @throws CorruptionError or RangeError for a range never written or truncated. */
  read(address: number, length: number): Promise<Uint8Array>;
  /**
   * Optional synchronous read on the calling thread, for devices whose bytes are usually in the
   * operating system's page cache (a local file: a few µs, no thread-pool round trip). Reads
   * [address, address + length) into out[0, ..) with read()'s rules and returns the number of bytes
   * read, or undefined when it cannot answer synchronously now (the caller uses read()).
   */
  readSync?(address: number, length: number, out: Uint8Array): number | undefined;
  /** Makes every completed write durable. */
  sync(): Promise<void>;
  /** Frees whole segments or objects lying entirely below address. */
  truncateUntil(address: number): Promise<void>;
  /** The range [begin, end) the device holds, as found on open (for recovery). */
  extent(): DeviceExtent;
  /** I/O counters since open. */
  stats(): DeviceStats;
  /** Writes out anything buffered and releases the device; further calls throw ClosedError. */
  close(): Promise<void>;
  /**
   * Optional: closes without writing anything more (buffered bytes are dropped). A store that
   * another writer has fenced closes a shared device (object storage) this way; devices that
   * only this process writes (memory, a locked local directory) need not implement it.
   */
  discard?(): Promise<void>;
}

export function emptyDeviceStats(): DeviceStats {
  return { writes: 0, bytesWritten: 0, reads: 0, bytesRead: 0, truncations: 0 };
}

/** Throws a RangeError naming the device unless [address, address + length) is a valid range. */
export function checkReadRange(device: string, address: number, length: number): void {
  if (!Number.isSafeInteger(address) || address < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`read [${address}, +${length}) of ${device}: address and length must be non-negative integers`);
  }
}
