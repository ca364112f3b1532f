/**
 * The crash test's workload and its oracle: pure functions, no store.
 *
 * Every operation is a function of (seed, session id, serial number) alone, so that the parent
 * process can recompute what a session's keys must hold after its operations 1..n without any
 * record of what the killed worker did. A session only touches its own keys (`${sid}:${j}`), so
 * each session's state is independent of the others and "an exact prefix" is well defined per
 * session.
 *
 * Mix: upsert 55 %, rmw 25 % (a counter: value carries count + 1 of the old value, 1 when absent),
 * delete 12 %, read 8 % (reads take a serial number too, so they are part of the prefix; they
 * change nothing).
 */

export type OpKind = 'upsert' | 'rmw' | 'delete' | 'read';

export interface Op {
  kind: OpKind;
  /** Index of the key within the session's key space. */
  slot: number;
  key: string;
  serial: number;
}

/** What a key holds in the oracle: the serial of the op that wrote it and the rmw counter. */
export interface KeyState {
  serial: number;
  count: number;
}

export interface WorkloadParams {
  seed: number;
  /** Keys per session. Ops in flight at once in one session must be fewer (distinct keys). */
  keySpace: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A 32-bit hash of (seed, session, serial, salt). */
export function opHash(seed: number, sid: string, serial: number, salt: number): number {
  let h = mix32((seed ^ 0x9e3779b9) >>> 0);
  h = mix32((h ^ hashString(sid)) >>> 0);
  h = mix32((h ^ (serial >>> 0)) >>> 0);
  h = mix32((h ^ Math.floor(serial / 4294967296) ^ Math.imul(salt, 0x27d4eb2f)) >>> 0);
  return h;
}

export function keyOf(sid: string, slot: number): string {
  return `${sid}:${slot}`;
}

/**
 * The operation with serial number `serial` (≥ 1) of session `sid`. Consecutive serials use
 * consecutive slots (serial mod keySpace), so any window of ≤ keySpace consecutive serials touches
 * distinct keys.
 */
export function opFor(p: WorkloadParams, sid: string, serial: number): Op {
  const slot = serial % p.keySpace;
  const r = opHash(p.seed, sid, serial, 1) % 100;
  const kind: OpKind = r < 55 ? 'upsert' : r < 80 ? 'rmw' : r < 92 ? 'delete' : 'read';
  return { kind, slot, key: keyOf(sid, slot), serial };
}

/** Length of the padding of a value written by (sid, serial): 0..191 bytes. */
function padLength(p: WorkloadParams, sid: string, serial: number): number {
  return opHash(p.seed, sid, serial, 2) % 192;
}

/** The value bytes the oracle expects for a key in `state`. */
export function valueString(p: WorkloadParams, sid: string, slot: number, state: KeyState): string {
  return `${sid}|${slot}|${state.serial}|${state.count}|${'.'.repeat(padLength(p, sid, state.serial))}`;
}

export function valueBytesOf(p: WorkloadParams, sid: string, slot: number, state: KeyState): Uint8Array {
  return encoder.encode(valueString(p, sid, slot, state));
}

/** Parses a stored value; undefined when it is not one of ours (then it is garbage). */
export function parseValue(bytes: Uint8Array): { sid: string; slot: number; serial: number; count: number; pad: number } | undefined {
  const s = decoder.decode(bytes);
  const parts = s.split('|');
  if (parts.length !== 5) return undefined;
  const [sid, slot, serial, count, pad] = parts as [string, string, string, string, string];
  if (!/^\d+$/.test(slot) || !/^\d+$/.test(serial) || !/^\d+$/.test(count) || !/^\.*$/.test(pad)) return undefined;
  return { sid, slot: Number(slot), serial: Number(serial), count: Number(count), pad: pad.length };
}

/**
 * Applies `op` to a session's state (slot → state; absent slot = absent key). Returns the new state
 * of the op's key (undefined when absent afterwards).
 */
export function applyOp(state: Map<number, KeyState>, op: Op): KeyState | undefined {
  switch (op.kind) {
    case 'upsert': {
      const next = { serial: op.serial, count: 0 };
      state.set(op.slot, next);
      return next;
    }
    case 'rmw': {
      const old = state.get(op.slot);
      const next = { serial: op.serial, count: old === undefined ? 1 : old.count + 1 };
      state.set(op.slot, next);
      return next;
    }
    case 'delete':
      state.delete(op.slot);
      return undefined;
    case 'read':
      return state.get(op.slot);
  }
}

/**
 * The rmw function of op `serial`: from the old value (bytes as stored) to the new one. It must be
 * pure (the store may call it more than once); it reports an old value that is not what the oracle
 * says through `onMismatch` and still computes from the oracle's view, so the worker can fail
 * loudly instead of silently diverging.
 */
export function rmwFunction(p: WorkloadParams, sid: string, op: Op, expectedOld: KeyState | undefined, onMismatch: (detail: string) => void): (old: Uint8Array | undefined) => Uint8Array {
  const next: KeyState = { serial: op.serial, count: expectedOld === undefined ? 1 : expectedOld.count + 1 };
  const bytes = valueBytesOf(p, sid, op.slot, next);
  const expectedText = expectedOld === undefined ? undefined : valueString(p, sid, op.slot, expectedOld);
  return (old) => {
    const got = old === undefined ? undefined : decoder.decode(old);
    if (got !== expectedText) onMismatch(`rmw ${op.key} serial ${op.serial}: old value ${describe(got)}, expected ${describe(expectedText)}`);
    return bytes;
  };
}

export function describe(v: string | undefined): string {
  if (v === undefined) return 'absent';
  return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…(${v.length} chars)` : v);
}

/**
 * The state of one session after its operations 1..serial, computed incrementally: asking for a
 * serial at or beyond the last one extends the cached state; an earlier serial recomputes from 1.
 */
export class SessionOracle {
  readonly sid: string;
  private readonly params: WorkloadParams;
  private state = new Map<number, KeyState>();
  private upTo = 0;

  constructor(params: WorkloadParams, sid: string) {
    this.params = params;
    this.sid = sid;
  }

  get serial(): number {
    return this.upTo;
  }

  /** State after ops 1..serial (the returned map is owned by the oracle; do not modify). */
  at(serial: number): ReadonlyMap<number, KeyState> {
    if (serial < this.upTo) {
      this.state = new Map();
      this.upTo = 0;
    }
    for (let n = this.upTo + 1; n <= serial; n++) applyOp(this.state, opFor(this.params, this.sid, n));
    this.upTo = serial;
    return this.state;
  }

  /** The expected value of slot `slot` after ops 1..serial (undefined when absent). */
  expected(serial: number, slot: number): string | undefined {
    const st = this.at(serial).get(slot);
    return st === undefined ? undefined : valueString(this.params, this.sid, slot, st);
  }
}

export function sessionIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `w${i}`);
}
