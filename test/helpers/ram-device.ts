/**
 * A persistent StorageDevice kept in RAM, for unit tests of the log and the engine: it behaves
 * like a disk (writes land after an async delay, reads return exactly what was written) so flush,
 * eviction and pending reads run without touching the file system. Integration tests use the
 * real devices.
 */
import { emptyDeviceStats, type DeviceExtent, type DeviceStats, type StorageDevice } from '../../src/devices/storage-device.js';

export class RamDevice implements StorageDevice {
  readonly name = 'ram-device';
  readonly persistent = true;
  private readonly chunks = new Map<number, Uint8Array>();
  private readonly chunkSize = 4096;
  private end = 0;
  private begin = 0;
  private readonly counters: DeviceStats = emptyDeviceStats();
  /** Delay in event-loop turns before a write or read completes. */
  constructor(private readonly delayTurns = 1) {}

  private async delay(): Promise<void> {
    for (let i = 0; i < this.delayTurns; i++) await new Promise((r) => setImmediate(r));
  }

  async write(address: number, bytes: Uint8Array): Promise<void> {
    const copy = bytes.slice();
    await this.delay();
    for (let i = 0; i < copy.length; ) {
      const a = address + i;
      const c = Math.floor(a / this.chunkSize);
      const off = a - c * this.chunkSize;
      let chunk = this.chunks.get(c);
      if (!chunk) this.chunks.set(c, (chunk = new Uint8Array(this.chunkSize)));
      const n = Math.min(this.chunkSize - off, copy.length - i);
      chunk.set(copy.subarray(i, i + n), off);
      i += n;
    }
    this.end = Math.max(this.end, address + bytes.length);
    this.counters.writes++;
    this.counters.bytesWritten += bytes.length;
  }

  async read(address: number, length: number): Promise<Uint8Array> {
    await this.delay();
    if (address < this.begin || address + length > this.end) {
      throw new RangeError(`ram-device: read [${address}, ${address + length}) outside [${this.begin}, ${this.end})`);
    }
    const out = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      const a = address + i;
      const c = Math.floor(a / this.chunkSize);
      const off = a - c * this.chunkSize;
      const n = Math.min(this.chunkSize - off, length - i);
      const chunk = this.chunks.get(c);
      if (chunk) out.set(chunk.subarray(off, off + n), i);
      i += n;
    }
    this.counters.reads++;
    this.counters.bytesRead += length;
    return out;
  }

  /** Flips one byte at `address` (tests of corruption detection). */
  corrupt(address: number): void {
    const c = Math.floor(address / this.chunkSize);
    const chunk = this.chunks.get(c);
    if (chunk) chunk[address - c * this.chunkSize]! ^= 0xff;
  }

  async sync(): Promise<void> {}

  async truncateUntil(address: number): Promise<void> {
    for (const c of [...this.chunks.keys()]) if ((c + 1) * this.chunkSize <= address) this.chunks.delete(c);
    this.begin = Math.max(this.begin, Math.floor(address / this.chunkSize) * this.chunkSize);
    this.counters.truncations++;
  }

  extent(): DeviceExtent {
    return { begin: this.begin, end: this.end };
  }

  stats(): DeviceStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {}
}

/** The null device of a memory-only log, for tests that build a HybridLog directly. */
export class NullTestDevice implements StorageDevice {
  readonly name = 'null';
  readonly persistent = false;
  async write(): Promise<void> {}
  async read(address: number): Promise<Uint8Array> {
    throw new RangeError(`null device holds no data (read at ${address})`);
  }
  async sync(): Promise<void> {}
  async truncateUntil(): Promise<void> {}
  extent(): DeviceExtent {
    return { begin: 0, end: 0 };
  }
  stats(): DeviceStats {
    return emptyDeviceStats();
  }
  async close(): Promise<void> {}
}
