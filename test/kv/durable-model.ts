/**
 * A model of sessions writing with durable acknowledgements, shared by the durability tests: each
 * session writes its own keys (`<session>:<n>`) with up to `inFlight` operations in flight (never
 * two on one key), records every operation with its serial number, and notes which operations
 * were acknowledged as durable. After a crash and recovery, `check` asserts that each session's
 * state is exactly the prefix of its operations up to its recovered serial number, and that this
 * prefix includes every acknowledged durable write.
 */
import { expect } from 'vitest';
import type { RmwFunction } from '../../src/index.js';

export interface ModelSession {
  readonly id: string;
  readonly serial: number;
  read(key: string): Promise<Uint8Array | undefined>;
  upsert(key: string, value: string, options?: { durable?: boolean }): Promise<void>;
  rmw(key: string, fn: RmwFunction, options?: { durable?: boolean }): Promise<Uint8Array>;
  delete(key: string, options?: { durable?: boolean }): Promise<void>;
}

interface Op {
  serial: number;
  kind: 'upsert' | 'rmw' | 'delete' | 'read';
  key: string;
  value?: string;
}

const dec = new TextDecoder();

/** The rmw the model uses: appends a marker to the old value (deterministic). */
export function rmwValue(old: string | undefined, tag: string): string {
  return `${old === undefined ? '' : old.slice(-60)}+${tag}`;
}

export function rmwFor(tag: string): RmwFunction {
  return (old) => rmwValue(old === undefined ? undefined : dec.decode(old), tag);
}

export class SessionModel {
  readonly ops: Op[] = [];
  /** Highest serial number acknowledged as durable. */
  durableAcked = 0;
  private readonly inFlightKeys = new Set<string>();

  constructor(
    readonly id: string,
    readonly keys: number,
  ) {}

  key(n: number): string {
    return `${this.id}:${n}`;
  }

  /**
   * Runs `count` random operations through `s`, up to `inFlight` at a time. `durableShare`: the
   * share of writes that ask for `{ durable: true }`; `allDurable`: every write is acknowledged
   * only once durable (mode 'commit'). Stops early (without error) when the store is abandoned.
   */
  async run(s: ModelSession, rng: () => number, count: number, inFlight: number, durableShare: number, allDurable: boolean): Promise<void> {
    const running = new Set<Promise<void>>();
    for (let i = 0; i < count; i++) {
      while (running.size >= inFlight) await Promise.race(running);
      let n = Math.floor(rng() * this.keys);
      while (this.inFlightKeys.has(this.key(n))) n = (n + 1) % this.keys;
      const key = this.key(n);
      const roll = rng();
      const durable = rng() < durableShare;
      const before = s.serial;
      let p: Promise<unknown>;
      let op: Op;
      if (roll < 0.1) {
        p = s.read(key);
        op = { serial: s.serial, kind: 'read', key };
      } else if (roll < 0.7) {
        const value = `${this.id}-${i}-${'v'.repeat(Math.floor(rng() * 120))}`;
        p = s.upsert(key, value, durable ? { durable: true } : undefined);
        op = { serial: s.serial, kind: 'upsert', key, value };
      } else if (roll < 0.9) {
        p = s.rmw(key, rmwFor(String(i)), durable ? { durable: true } : undefined);
        op = { serial: s.serial, kind: 'rmw', key, value: String(i) };
      } else {
        p = s.delete(key, durable ? { durable: true } : undefined);
        op = { serial: s.serial, kind: 'delete', key };
      }
      if (s.serial === before) {
        // The store is gone (a crash): the call did nothing.
        await p.catch(() => undefined);
        break;
      }
      this.ops.push(op);
      this.inFlightKeys.add(key);
      const tracked: Promise<void> = p.then(
        () => {
          if ((durable || allDurable) && op.kind !== 'read') this.durableAcked = Math.max(this.durableAcked, op.serial);
        },
        () => undefined,
      ).finally(() => {
        this.inFlightKeys.delete(key);
        running.delete(tracked);
      });
      running.add(tracked);
    }
    await Promise.all(running);
  }

  /** The expected value of each key after the operations with serial numbers up to `upTo`. */
  expected(upTo: number): Map<string, string | undefined> {
    const state = new Map<string, string | undefined>();
    for (const op of this.ops) {
      if (op.serial > upTo) continue;
      if (op.kind === 'upsert') state.set(op.key, op.value);
      else if (op.kind === 'delete') state.set(op.key, undefined);
      else if (op.kind === 'rmw') state.set(op.key, rmwValue(state.get(op.key), op.value!));
    }
    return state;
  }

  /** Asserts the recovered state (read through `s`, whose serial is the recovered one). */
  async check(s: ModelSession): Promise<{ recovered: number; durableAcked: number }> {
    const recovered = s.serial;
    expect(recovered, `session ${this.id}: recovered serial ${recovered} is below its last durable ack ${this.durableAcked}`).toBeGreaterThanOrEqual(this.durableAcked);
    const state = this.expected(recovered);
    for (let n = 0; n < this.keys; n++) {
      const key = this.key(n);
      const got = await s.read(key);
      expect(got === undefined ? undefined : dec.decode(got), `session ${this.id} key ${key} at recovered serial ${recovered}`).toBe(state.get(key));
    }
    return { recovered, durableAcked: this.durableAcked };
  }
}
