import { describe, expect, it } from 'vitest';
import { ReadCache } from '../../src/log/read-cache.js';

describe('ReadCache', () => {
  it('turns pages until a record fits when second-chance copies fill the new page', () => {
    // Three 4 KiB pages of 1000-byte records, every one of them read again before its page is
    // evicted: each page turn copies the evicted page's records into the new tail page, which
    // may leave too little room for the record being inserted (it used to be written past the
    // page's end).
    const rc = new ReadCache(3 * 4096, 4096);
    const value = new Uint8Array(960);
    const key = new Uint8Array(8);
    const relinked: number[] = [];
    rc.relink = (from, to) => relinked.push(to);
    for (let i = 0; i < 200; i++) {
      key[0] = i;
      const address = rc.insert(key, 8, value, 64, 0);
      expect(address).toBeGreaterThan(0);
      rc.markRead(address);
      expect(rc.keyEquals(address, key, 8)).toBe(true);
      expect(rc.valueAt(address)!.length).toBe(960);
    }
    expect(relinked.length).toBeGreaterThan(0);
  });
});
