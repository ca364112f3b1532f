/**
 * The crash test's oracle, tested on its own (no store): determinism, the op mix, distinct keys
 * in a window, the incremental oracle against a from-scratch replay, and the prefix check against
 * a Map that runs the same ops through the same rmw functions.
 */
import { describe, expect, it } from 'vitest';
import { testSeed } from '../helpers/prng.js';
import { verifySession } from './verify.js';
import { applyOp, keyOf, opFor, parseValue, rmwFunction, SessionOracle, valueBytesOf, valueString, type KeyState, type WorkloadParams } from './workload.js';

/** Executes ops first..last of `sid` on a Map the way the worker does on the store. */
function runOnMap(map: Map<string, Uint8Array>, p: WorkloadParams, sid: string, first: number, last: number): string[] {
  const mismatches: string[] = [];
  const view = new Map<number, KeyState>(new SessionOracle(p, sid).at(first - 1));
  for (let n = first; n <= last; n++) {
    const op = opFor(p, sid, n);
    const before = view.get(op.slot);
    switch (op.kind) {
      case 'upsert':
        map.set(op.key, valueBytesOf(p, sid, op.slot, applyOp(view, op)!));
        break;
      case 'rmw': {
        const fn = rmwFunction(p, sid, op, before, (d) => mismatches.push(d));
        applyOp(view, op);
        map.set(op.key, fn(map.get(op.key)));
        break;
      }
      case 'delete':
        applyOp(view, op);
        map.delete(op.key);
        break;
      case 'read':
        break;
    }
  }
  return mismatches;
}

const reader = (map: Map<string, Uint8Array>) => async (key: string) => map.get(key);

describe('crash workload oracle', () => {
  const seed = testSeed('crash-workload');
  const p: WorkloadParams = { seed, keySpace: 97 };

  it('is deterministic in (seed, session, serial) and has the intended mix', () => {
    const counts = { upsert: 0, rmw: 0, delete: 0, read: 0 };
    for (let n = 1; n <= 20_000; n++) {
      const a = opFor(p, 'w3', n);
      expect(opFor(p, 'w3', n)).toEqual(a);
      counts[a.kind]++;
    }
    expect(counts.upsert / 20_000).toBeCloseTo(0.55, 1);
    expect(counts.rmw / 20_000).toBeCloseTo(0.25, 1);
    expect(counts.delete / 20_000).toBeCloseTo(0.12, 1);
    expect(counts.read / 20_000).toBeCloseTo(0.08, 1);
    // different sessions and seeds give different schedules
    const kinds = (sid: string, s: number) => Array.from({ length: 64 }, (_, i) => opFor({ ...p, seed: s }, sid, i + 1).kind).join();
    expect(kinds('w0', seed)).not.toBe(kinds('w1', seed));
    expect(kinds('w0', seed)).not.toBe(kinds('w0', seed + 1));
  });

  it('touches distinct keys in any window of keySpace consecutive serials', () => {
    for (const start of [1, 50, 96, 97, 1000]) {
      const keys = new Set(Array.from({ length: p.keySpace }, (_, i) => opFor(p, 'w0', start + i).key));
      expect(keys.size).toBe(p.keySpace);
    }
  });

  it('values round-trip through parseValue', () => {
    const v = valueBytesOf(p, 'w2', 5, { serial: 1234, count: 7 });
    expect(parseValue(v)).toMatchObject({ sid: 'w2', slot: 5, serial: 1234, count: 7 });
    expect(parseValue(new TextEncoder().encode('garbage'))).toBeUndefined();
  });

  it('extends incrementally and recomputes when asked for an earlier serial', () => {
    const inc = new SessionOracle(p, 'w1');
    for (const serial of [10, 500, 500, 2000, 700, 3000]) {
      const fresh = new SessionOracle(p, 'w1').at(serial);
      expect(new Map(inc.at(serial))).toEqual(new Map(fresh));
    }
  });

  it('counts rmw as a counter: matches a hand replay', () => {
    const state = new Map<number, KeyState>();
    for (let n = 1; n <= 5000; n++) applyOp(state, opFor(p, 'w0', n));
    const oracle = new SessionOracle(p, 'w0');
    for (let slot = 0; slot < p.keySpace; slot++) {
      const st = state.get(slot);
      expect(oracle.expected(5000, slot)).toBe(st === undefined ? undefined : valueString(p, 'w0', slot, st));
    }
    expect([...state.values()].some((s) => s.count > 1)).toBe(true);
  });

  it('accepts the exact prefix and rejects a store that is one op ahead, behind or corrupt', async () => {
    const map = new Map<string, Uint8Array>();
    expect(runOnMap(map, p, 'w0', 1, 3000)).toEqual([]);
    expect(runOnMap(map, p, 'w1', 1, 1500)).toEqual([]);
    const oracle = new SessionOracle(p, 'w0');
    const ok = await verifySession(p, oracle, 3000, reader(map));
    expect(ok.mismatchCount).toBe(0);
    expect(ok.keysChecked).toBe(p.keySpace);
    expect((await verifySession(p, new SessionOracle(p, 'w1'), 1500, reader(map))).mismatchCount).toBe(0);

    // The next op that changes state: the store at 3000 is not the state after it.
    let n = 3001;
    while (opFor(p, 'w0', n).kind === 'read' || (opFor(p, 'w0', n).kind === 'delete' && !map.has(opFor(p, 'w0', n).key))) n++;
    const ahead = await verifySession(p, oracle, n, reader(map));
    expect(ahead.mismatchCount).toBe(1);
    expect(ahead.mismatches[0]).toContain(keyOf('w0', n % p.keySpace));

    // A store one (state-changing) op behind: recovered serial claims more than the data holds.
    let m = 3000;
    while (opFor(p, 'w0', m).kind !== 'upsert' && opFor(p, 'w0', m).kind !== 'rmw') m--;
    const behind = new Map<string, Uint8Array>();
    runOnMap(behind, p, 'w0', 1, m - 1);
    const b = await verifySession(p, oracle, 3000, reader(behind));
    expect(b.mismatchCount).toBeGreaterThanOrEqual(1);
    expect(b.mismatches.join()).toContain(`${keyOf('w0', m % p.keySpace)} after serial 3000`);

    // A corrupt value.
    const corrupt = new Map(map);
    const someKey = [...corrupt.keys()].find((k) => k.startsWith('w0:'))!;
    const bytes = corrupt.get(someKey)!.slice();
    bytes[bytes.length - 1] ^= 1;
    corrupt.set(someKey, bytes);
    const c = await verifySession(p, oracle, 3000, reader(corrupt));
    expect(c.mismatchCount).toBe(1);
    expect(c.mismatches[0]).toMatch(/garbage|found the value/);
  });

  it('an rmw over a wrong old value reports a mismatch', () => {
    let n = 1;
    while (opFor(p, 'w0', n).kind !== 'rmw') n++;
    const op = opFor(p, 'w0', n);
    const reports: string[] = [];
    const fn = rmwFunction(p, 'w0', op, undefined, (d) => reports.push(d));
    fn(valueBytesOf(p, 'w0', op.slot, { serial: 1, count: 0 }));
    expect(reports).toHaveLength(1);
    fn(undefined);
    expect(reports).toHaveLength(1);
  });
});
