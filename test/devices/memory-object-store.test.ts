import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { describeObjectLogDeviceConformance, describeObjectStoreConformance } from './object-store-conformance.js';

let n = 0;
describeObjectStoreConformance('memory', async ({ listPageSize }) => new MemoryObjectStore(undefined, { listPageSize }));

describeObjectLogDeviceConformance('memory', async () => {
  const name = `device-${process.pid}-${++n}`;
  return {
    store: new MemoryObjectStore(name),
    reopen: async () => new MemoryObjectStore(name),
    destroy: async () => MemoryObjectStore.drop(name),
  };
});

describe('MemoryObjectStore', () => {
  it('shares a bucket between stores of the same name, not between unnamed ones', async () => {
    const a = new MemoryObjectStore('shared-test');
    const b = new MemoryObjectStore('shared-test');
    await a.put('k', new Uint8Array([1]));
    expect(await b.get('k')).toEqual(new Uint8Array([1]));
    expect(await new MemoryObjectStore().head('k')).toBeUndefined();
    MemoryObjectStore.drop('shared-test');
    expect(await new MemoryObjectStore('shared-test').head('k')).toBeUndefined();
  });
});
