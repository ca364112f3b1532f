import { ClosedError, F2Error } from '../core/errors.js';
import { emptyDeviceStats, type DeviceExtent, type DeviceStats, type StorageDevice } from './storage-device.js';

/**
 * The device of a memory-only log (`memory://`): writes are accepted and discarded, nothing can
 * be read back (persistent = false tells the log never to evict pages it would have to read).
 */
export class NullDevice implements StorageDevice {
  readonly name = 'null device (memory only)';
  readonly persistent = false;
  private readonly counters: DeviceStats = emptyDeviceStats();
  private end = 0;
  private closed = false;

  async write(address: number, bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new ClosedError(`device ${this.name}`);
    this.counters.writes++;
    this.counters.bytesWritten += bytes.length;
    this.end = Math.max(this.end, address + bytes.length);
  }

  async read(address: number, length: number): Promise<Uint8Array> {
    if (this.closed) throw new ClosedError(`device ${this.name}`);
    throw new F2Error(
      'NULL_DEVICE_READ',
      `read [${address}, ${address + length}) from the null device: a memory-only log keeps no data on a device; use a file:// or object-store device to evict pages`,
    );
  }

  async sync(): Promise<void> {}

  async truncateUntil(): Promise<void> {
    this.counters.truncations++;
  }

  extent(): DeviceExtent {
    return { begin: 0, end: 0 };
  }

  stats(): DeviceStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
