import { describe, expect, it } from 'vitest';
import { ClosedError, ConfigError, CorruptionError, LogFullError, RecordTooLargeError } from '../../src/core/errors.js';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { COMMIT_RECORD_BYTES } from '../../src/log/faster-log-commit.js';
import { FasterLog, type FasterLogEntry } from '../../src/log/faster-log.js';
import { NullTestDevice, RamDevice } from '../helpers/ram-device.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

async function collect(it: AsyncIterable<FasterLogEntry>): Promise<FasterLogEntry[]> {
  const out: FasterLogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** A log on a RamDevice with its commit records in a memory store; reopen() simulates a restart on the same storage. */
function ramLog(pageSize = 512, memoryPages = 4, device = new RamDevice(), store = new MemoryObjectStore()) {
  const open = () => FasterLog.open({ device, pageSize, memorySize: memoryPages * pageSize, commit: { store } });
  return { device, store, open };
}

describe('FasterLog append / read / scan', () => {
  it('appends bytes and strings, reads them back from memory and scans in order', async () => {
    const { open } = ramLog(4096, 4);
    const log = await open();
    expect(log.tailAddress).toBe(64);
    const a = log.append('hello');
    const b = log.append(new Uint8Array([1, 2, 3]));
    const c = log.append('');
    const d = log.append('héllo wörld');
    expect(a).toBe(64);
    for (const x of [a, b, c, d]) expect(x % 8).toBe(0);
    expect(b).toBe(64 + 8 + 8);
    expect(dec.decode(await log.read(a))).toBe('hello');
    expect(await log.read(b)).toEqual(new Uint8Array([1, 2, 3]));
    expect((await log.read(c)).length).toBe(0);
    expect(dec.decode(await log.read(d))).toBe('héllo wörld');
    const all = await collect(log.scan());
    expect(all.map((e) => e.address)).toEqual([a, b, c, d]);
    expect(dec.decode(all[3]!.bytes)).toBe('héllo wörld');
    expect((await collect(log.scan(b, d))).map((e) => e.address)).toEqual([b, c]);
    await log.close();
  });

  it('never lets an entry cross a page; padding at page ends is skipped by scan and read from the device', async () => {
    const { open, device } = ramLog(512, 2);
    const log = await open();
    const addresses: number[] = [];
    for (let i = 0; i < 40; i++) addresses.push(await log.appendAsync(bytesOf(150, i)));
    for (const a of addresses) {
      const offset = a % 512;
      expect(offset + 8 + 150).toBeLessThanOrEqual(512);
    }
    // 150-byte payloads take 160 bytes: page 0 (from 64) holds two, the others three; the rest is padding.
    expect(addresses.slice(0, 6)).toEqual([64, 224, 512, 672, 832, 1024]);
    await log.commit();
    expect(device.stats().bytesWritten).toBeGreaterThan(0);
    const all = await collect(log.scan());
    expect(all.map((e) => e.address)).toEqual(addresses);
    all.forEach((e, i) => expect(e.bytes).toEqual(bytesOf(150, i)));
    for (let i = 0; i < 40; i += 7) expect(await log.read(addresses[i]!)).toEqual(bytesOf(150, i));
    expect(log.stats().headAddress).toBeGreaterThan(addresses[0]!); // early pages were evicted
    await log.close();
  });

  it('rejects an entry larger than a page with RecordTooLargeError; the largest that fits works', async () => {
    const { open } = ramLog(512, 2);
    const log = await open();
    expect(() => log.append(new Uint8Array(505))).toThrow(RecordTooLargeError);
    const a = await log.appendAsync(new Uint8Array(504).fill(7));
    expect(a % 512).toBe(0);
    expect((await log.read(a)).length).toBe(504);
    await log.close();
  });

  it('rejects addresses that are not entries with RangeError', async () => {
    const { open } = ramLog(512, 2);
    const log = await open();
    const a = log.append(bytesOf(100, 1));
    log.append(bytesOf(100, 2));
    await expect(log.read(a + 8)).rejects.toThrow(/not the start of an entry/);
    await expect(log.read(a + 3)).rejects.toThrow(RangeError);
    await expect(log.read(32)).rejects.toThrow(/below begin/);
    await expect(log.read(log.tailAddress)).rejects.toThrow(/beyond the tail/);
    await expect(log.read(log.tailAddress + 800)).rejects.toThrow(RangeError);
    await log.commit();
    await log.close();
  });

  it('applies backpressure when memory is full: append throws LogFullError, tryAppend returns 0, appendAsync waits', async () => {
    const device = new RamDevice(20); // slow device: flushes take 20 event-loop turns
    const { open } = ramLog(512, 2, device);
    const log = await open();
    let refused = 0;
    const written: number[] = [];
    for (let i = 0; i < 30; i++) {
      const a = log.tryAppend(bytesOf(200, i));
      if (a === 0) {
        refused++;
        expect(() => log.append(bytesOf(200, i))).toThrow(LogFullError);
        written.push(await log.appendAsync(bytesOf(200, i)));
      } else written.push(a);
    }
    expect(refused).toBeGreaterThan(0);
    expect(log.stats().backpressureWaits).toBeGreaterThan(0);
    expect(log.stats().memoryBytes).toBeLessThanOrEqual(2 * 512);
    const all = await collect(log.scan());
    expect(all.map((e) => e.address)).toEqual(written);
    all.forEach((e, i) => expect(e.bytes).toEqual(bytesOf(200, i)));
    await log.close();
  });

  it('commits concurrently with appends; concurrent commits resolve in order and cover their appends', async () => {
    const { open } = ramLog(1024, 4);
    const log = await open();
    const commits: Promise<number>[] = [];
    const tails: number[] = [];
    for (let i = 0; i < 50; i++) {
      await log.appendAsync(bytesOf(i * 3, i));
      if (i % 5 === 4) {
        tails.push(log.tailAddress);
        commits.push(log.commit());
      }
    }
    const results = await Promise.all(commits);
    results.forEach((r, i) => expect(r).toBeGreaterThanOrEqual(tails[i]!));
    expect(log.committedUntilAddress).toBe(log.tailAddress);
    expect(log.stats().commitNumber).toBeLessThanOrEqual(10);
    await log.close();
  });

  it('after close every call throws ClosedError', async () => {
    const { open } = ramLog();
    const log = await open();
    const a = log.append('x');
    await log.close();
    expect(() => log.append('y')).toThrow(ClosedError);
    await expect(log.appendAsync('y')).rejects.toThrow(ClosedError);
    await expect(log.read(a)).rejects.toThrow(ClosedError);
    expect(() => log.commit()).toThrow(ClosedError);
    expect(() => log.scan()).toThrow(ClosedError);
    await expect(log.truncateUntil(a)).rejects.toThrow(ClosedError);
    await log.close(); // idempotent
  });

  it('validates options', async () => {
    await expect(FasterLog.open({ device: new RamDevice(), pageSize: 1000, commit: { store: new MemoryObjectStore() } })).rejects.toThrow(ConfigError);
    await expect(FasterLog.open({ device: new RamDevice(), pageSize: 4096, memorySize: 4096, commit: { store: new MemoryObjectStore() } })).rejects.toThrow(
      /at least 2 pages/,
    );
    await expect(FasterLog.open({ device: new RamDevice() })).rejects.toThrow(/commit\.url/);
    await expect(FasterLog.open({ device: new RamDevice(), bogus: 1 } as unknown as Parameters<typeof FasterLog.open>[0])).rejects.toThrow(ConfigError);
  });
});

describe('FasterLog commit and recovery', () => {
  it('recovers exactly the committed entries after a crash; uncommitted ones vanish; the tail continues', async () => {
    const { open } = ramLog(512, 2);
    const log = await open();
    const committed: number[] = [];
    for (let i = 0; i < 25; i++) committed.push(await log.appendAsync(bytesOf(60 + i, i)));
    const until = await log.commit();
    expect(until).toBe(log.tailAddress);
    const lost: number[] = [];
    for (let i = 0; i < 10; i++) lost.push(await log.appendAsync(bytesOf(100, 1000 + i)));
    await log.abandon(); // crash: no commit

    const again = await open();
    expect(again.tailAddress).toBe(until);
    expect(again.committedUntilAddress).toBe(until);
    expect(again.commitNumber).toBe(1);
    const all = await collect(again.scan());
    expect(all.map((e) => e.address)).toEqual(committed);
    all.forEach((e, i) => expect(e.bytes).toEqual(bytesOf(60 + i, i)));
    await expect(again.read(lost[0]!)).rejects.toThrow(RangeError);
    // The tail continues after the committed tail, inside the recovered page.
    const next = again.append('after recovery');
    expect(next).toBe(until);
    await again.commit();
    await again.abandon();

    const third = await open();
    const entries = await collect(third.scan());
    expect(entries.length).toBe(26);
    expect(dec.decode(entries.at(-1)!.bytes)).toBe('after recovery');
    expect(third.commitNumber).toBe(2);
    await third.close();
  });

  it('an empty device without commit records opens as an empty log; close() commits', async () => {
    const { open } = ramLog();
    const log = await open();
    expect(log.commitNumber).toBe(0);
    log.append('kept by close');
    await log.close();
    const again = await open();
    expect((await collect(again.scan())).map((e) => dec.decode(e.bytes))).toEqual(['kept by close']);
    await again.close();
  });

  it('a commit with nothing new writes no record', async () => {
    const { open } = ramLog();
    const log = await open();
    log.append('a');
    await log.commit();
    const writes = log.stats().commitRecordWrites;
    await log.commit();
    await log.commit();
    expect(log.stats().commitRecordWrites).toBe(writes);
    await log.close();
  });

  it('falls back to the previous commit record when the newest is damaged', async () => {
    const { open, store } = ramLog(512, 4);
    const log = await open();
    log.append('one');
    const first = await log.commit();
    log.append('two');
    const second = await log.commit();
    expect(second).toBeGreaterThan(first);
    await log.abandon();
    // Commit #2 went to the slot that did not hold #1.
    const newest = (await Promise.all(['faster-log-commit.0', 'faster-log-commit.1'].map(async (k) => ({ k, b: await store.get(k) })))).find(
      (x) => x.b[16] === 2,
    )!;
    expect(newest.b.length).toBe(COMMIT_RECORD_BYTES);
    const damaged = newest.b.slice();
    damaged[30]! ^= 0x01;
    await store.put(newest.k, damaged);

    const again = await open();
    expect(again.commitNumber).toBe(1);
    expect(again.committedUntilAddress).toBe(first);
    expect((await collect(again.scan())).map((e) => dec.decode(e.bytes))).toEqual(['one']);
    // The next commit overwrites the damaged slot, never the only valid one.
    again.append('three');
    await again.commit();
    await again.abandon();
    const third = await open();
    expect((await collect(third.scan())).map((e) => dec.decode(e.bytes))).toEqual(['one', 'three']);
    expect(third.commitNumber).toBe(2);
    await third.close();
  });

  it('a truncated commit record is ignored too; with no valid record open fails with CorruptionError', async () => {
    const { open, store } = ramLog(512, 4);
    const log = await open();
    log.append('one');
    await log.commit();
    log.append('two');
    await log.commit();
    await log.abandon();
    const a = await store.get('faster-log-commit.0');
    await store.put('faster-log-commit.0', a.subarray(0, 40));
    const b = await store.get('faster-log-commit.1');
    b[20]! ^= 0xff;
    await store.put('faster-log-commit.1', b);
    const err = await open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CorruptionError);
    expect(String(err)).toMatch(/no valid FasterLog commit record.*faster-log-commit\.0.*faster-log-commit\.1/s);
  });

  it('refuses a commit record of a newer format version', async () => {
    const { open, store } = ramLog(512, 4);
    const log = await open();
    log.append('x');
    await log.commit();
    await log.abandon();
    const { encodeCommitRecord } = await import('../../src/log/faster-log-commit.js');
    const rec = encodeCommitRecord({ commitNumber: 9, beginAddress: 64, committedUntilAddress: 80, pageSize: 512, timestampMs: 0 });
    rec[8] = 2;
    const { crc32c } = await import('../../src/core/checksum.js');
    new DataView(rec.buffer).setUint32(60, crc32c(rec, 0, 60), true);
    await store.put('faster-log-commit.1', rec);
    await expect(open()).rejects.toThrow(/newer than this f2kv understands/);
  });

  it('uses the recorded page size when reopened with a different one', async () => {
    const device = new RamDevice();
    const store = new MemoryObjectStore();
    const log = await FasterLog.open({ device, pageSize: 1024, memorySize: 8192, commit: { store } });
    for (let i = 0; i < 20; i++) await log.appendAsync(bytesOf(100, i));
    await log.close();
    const again = await FasterLog.open({ device, pageSize: 4096, memorySize: 16384, commit: { store } });
    expect(again.pageSize).toBe(1024);
    expect((await collect(again.scan())).length).toBe(20);
    await again.close();
  });
});

describe('FasterLog truncateUntil', () => {
  it('moves begin, is durable with the next commit and frees device space', async () => {
    const { open, device } = ramLog(512, 2);
    const log = await open();
    const addrs: number[] = [];
    for (let i = 0; i < 60; i++) addrs.push(await log.appendAsync(bytesOf(120, i)));
    await log.commit();
    const cut = addrs[45]!; // beyond the RamDevice's first 4 KiB chunk, so truncation frees something
    await log.truncateUntil(cut);
    expect(log.beginAddress).toBe(cut);
    await expect(log.read(addrs[3]!)).rejects.toThrow(/below begin/);
    expect((await collect(log.scan())).map((e) => e.address)).toEqual(addrs.slice(45));
    await expect(log.truncateUntil(cut + 8)).rejects.toThrow(/not the start of an entry/);
    await expect(log.truncateUntil(log.tailAddress + 8)).rejects.toThrow(/beyond the tail/);
    await log.truncateUntil(addrs[5]!); // below begin: no-op
    expect(log.beginAddress).toBe(cut);
    const truncationsBefore = device.stats().truncations;
    await log.commit();
    expect(device.stats().truncations).toBe(truncationsBefore + 1);
    expect(device.extent().begin).toBeGreaterThan(0);
    expect(log.stats().commitRecordWrites).toBe(3); // commit 1, then commit 2 into both slots
    await log.abandon();

    const again = await open();
    expect(again.beginAddress).toBe(cut);
    expect((await collect(again.scan())).map((e) => e.address)).toEqual(addrs.slice(45));
    await again.close();
  });

  it('a truncation that was not committed is undone by a crash', async () => {
    const { open } = ramLog(512, 4);
    const log = await open();
    const addrs: number[] = [];
    for (let i = 0; i < 10; i++) addrs.push(log.append(bytesOf(40, i)));
    await log.commit();
    await log.truncateUntil(addrs[5]!);
    await log.abandon();
    const again = await open();
    expect(again.beginAddress).toBe(64);
    expect((await collect(again.scan())).length).toBe(10);
    await again.close();
  });

  it('memory-only log (memory://): commit records nothing durable; a full log refuses appends until truncated', async () => {
    const log = await FasterLog.open({ device: 'memory://', pageSize: 512, memorySize: 1024 });
    expect(log.device.persistent).toBe(false);
    const addrs: number[] = [];
    let full: unknown;
    for (let i = 0; i < 20 && full === undefined; i++) {
      try {
        addrs.push(log.append(bytesOf(100, i)));
      } catch (e) {
        full = e;
      }
    }
    expect(full).toBeInstanceOf(LogFullError);
    expect(await log.commit()).toBe(log.tailAddress);
    await log.truncateUntil(512);
    const a = log.append(bytesOf(100, 99));
    expect(await log.read(a)).toEqual(bytesOf(100, 99));
    expect((await collect(log.scan())).map((e) => e.address)).toEqual([...addrs.filter((x) => x >= 512), a]);
    await log.close();
    const nullDevice = await FasterLog.open({ device: new NullTestDevice(), pageSize: 512, memorySize: 1024 });
    await nullDevice.close();
  });
});

describe('FasterLog corruption', () => {
  it('a flipped byte in a flushed entry is a CorruptionError naming the address (read and scan)', async () => {
    const { open, device } = ramLog(512, 2);
    const log = await open();
    const addrs: number[] = [];
    for (let i = 0; i < 20; i++) addrs.push(await log.appendAsync(bytesOf(100, i)));
    await log.commit();
    for (let i = 0; i < 10; i++) await log.appendAsync(bytesOf(100, 100 + i)); // push the first pages out of memory
    const victim = addrs[2]!;
    expect(log.stats().headAddress).toBeGreaterThan(victim);
    device.corrupt(victim + 8 + 50); // payload byte
    const err = await log.read(victim).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CorruptionError);
    expect(String(err)).toContain(`address ${victim}`);
    await expect(collect(log.scan())).rejects.toThrow(new RegExp(`address ${victim}\\b`));
    expect(await log.read(addrs[3]!)).toEqual(bytesOf(100, 3));
    // A damaged length field is corruption too, not a wrong entry.
    device.corrupt(addrs[4]! + 1);
    await expect(log.read(addrs[4]!)).rejects.toThrow(CorruptionError);
    await log.abandon();
  });

  it('a damaged committed tail page is reported on scan after recovery', async () => {
    const { open, device } = ramLog(512, 2);
    const log = await open();
    const a = log.append('fine');
    const b = log.append('damaged');
    await log.commit();
    await log.abandon();
    device.corrupt(b + 9);
    const again = await open();
    expect(dec.decode(await again.read(a))).toBe('fine');
    await expect(again.read(b)).rejects.toThrow(new RegExp(`CorruptionError|address ${b}`));
    await expect(collect(again.scan())).rejects.toThrow(CorruptionError);
    await again.abandon();
  });
});

describe('FasterLog entries as text', () => {
  it('stores UTF-8 strings byte-exactly', async () => {
    const { open } = ramLog(4096, 2);
    const log = await open();
    const s = 'ünïcödé ✓ 𝄞';
    const a = log.append(s);
    expect(await log.read(a)).toEqual(enc.encode(s));
    await log.close();
  });
});

describe('FasterLog failures', () => {
  class FlakyStore extends MemoryObjectStore {
    failNext = 0;
    override async put(key: string, bytes: Uint8Array): ReturnType<MemoryObjectStore['put']> {
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error(`injected put failure for ${key}`);
      }
      return super.put(key, bytes);
    }
  }

  it('a failed commit-record write rejects the commit; the next commit gets a new number and recovery stays exact', async () => {
    const device = new RamDevice();
    const store = new FlakyStore();
    const open = () => FasterLog.open({ device, pageSize: 512, memorySize: 2048, commit: { store } });
    const log = await open();
    const addrs: number[] = [];
    for (let i = 0; i < 12; i++) addrs.push(await log.appendAsync(bytesOf(50, i)));
    await log.commit(); // #1
    store.failNext = 1;
    log.append('lost commit');
    await expect(log.commit()).rejects.toThrow(/injected/);
    expect(log.commitNumber).toBe(1);
    await log.commit(); // retried as #2
    // begin moves: the record goes to its slot (#3), the copy to the other slot fails.
    await log.truncateUntil(addrs[6]!);
    log.append('more');
    const put = store.put.bind(store);
    let puts = 0;
    store.put = async (key, bytes) => {
      if (++puts === 2) throw new Error('injected copy failure');
      return put(key, bytes);
    };
    await expect(log.commit()).rejects.toThrow(/copy failure/);
    expect(log.commitNumber).toBe(3); // the first put succeeded: the commit counts
    const committedUntil = log.committedUntilAddress;
    await log.abandon();
    store.put = put;
    const numbers = await Promise.all([0, 1].map(async (s) => (await store.get(`faster-log-commit.${s}`))[16]));
    expect(new Set(numbers).size).toBe(2);
    const again = await open();
    expect(again.commitNumber).toBe(3);
    expect(again.committedUntilAddress).toBe(committedUntil);
    expect(again.beginAddress).toBe(addrs[6]);
    const texts = (await collect(again.scan())).map((e) => e.bytes);
    expect(texts.length).toBe(6 + 1 + 1); // addrs[6..11], "lost commit" (made durable by the retry), "more"
    expect(dec.decode(texts.at(-1))).toBe('more');
    await again.commit(); // nothing new: no record
    again.append('x');
    await again.commit(); // also copies the record into the other slot: both now say begin = addrs[6]
    for (const s of [0, 1]) {
      const rec = await store.get(`faster-log-commit.${s}`);
      expect(new DataView(rec.buffer, rec.byteOffset).getUint32(24, true)).toBe(addrs[6]);
    }
    await again.close();
  });

  it('a failed device write surfaces as LOG_FLUSH_FAILED on commit and on later appends', async () => {
    class FailingDevice extends RamDevice {
      fail = false;
      override async write(address: number, bytes: Uint8Array): Promise<void> {
        if (this.fail) throw new Error('disk on fire');
        return super.write(address, bytes);
      }
    }
    const device = new FailingDevice();
    const log = await FasterLog.open({ device, pageSize: 512, memorySize: 1024, commit: { store: new MemoryObjectStore() } });
    log.append('ok');
    await log.commit();
    device.fail = true;
    log.append('doomed');
    await expect(log.commit()).rejects.toThrow(/flush of .* failed \(disk on fire\)/);
    expect(() => {
      for (let i = 0; i < 20; i++) log.append(bytesOf(200, i));
    }).toThrow(/LOG_FLUSH_FAILED|flush of/);
    await log.abandon();
  });
});
