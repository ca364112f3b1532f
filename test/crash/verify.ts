/**
 * Checks a recovered store against the oracle: each session's keys hold exactly the state after
 * that session's operations 1..recoveredSerial (present / absent / value), nothing else.
 * Store-independent: takes a read function, so it is unit-tested against a Map.
 */
import { describe, keyOf, parseValue, SessionOracle, type WorkloadParams } from './workload.js';

export type ReadFn = (key: string) => Promise<Uint8Array | undefined>;

export interface SessionCheck {
  sid: string;
  serial: number;
  keysChecked: number;
  present: number;
  /** At most `maxReported` descriptions of keys that differ. */
  mismatches: string[];
  mismatchCount: number;
}

const decoder = new TextDecoder();

/**
 * Reads every key of session `oracle.sid` and compares it with the oracle's state after ops
 * 1..serial. A mismatching value is explained (which serial wrote what was found), so a failure
 * says whether the store is ahead of, behind, or unrelated to the recovered serial.
 */
export async function verifySession(params: WorkloadParams, oracle: SessionOracle, serial: number, read: ReadFn, maxReported = 12): Promise<SessionCheck> {
  const state = oracle.at(serial);
  const check: SessionCheck = { sid: oracle.sid, serial, keysChecked: 0, present: 0, mismatches: [], mismatchCount: 0 };
  const batch = 64;
  for (let base = 0; base < params.keySpace; base += batch) {
    const slots = Array.from({ length: Math.min(batch, params.keySpace - base) }, (_, i) => base + i);
    const values = await Promise.all(slots.map((slot) => read(keyOf(oracle.sid, slot))));
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const v = values[i];
      const got = v === undefined ? undefined : decoder.decode(v);
      const expected = oracle.expected(serial, slot);
      check.keysChecked++;
      if (got !== undefined) check.present++;
      if (got === expected) continue;
      check.mismatchCount++;
      if (check.mismatches.length < maxReported) {
        const parsed = v === undefined ? undefined : parseValue(v);
        const st = state.get(slot);
        const why = parsed === undefined
          ? got === undefined ? 'key absent' : 'not a value of this workload (garbage)'
          : `found the value written by ${parsed.sid} serial ${parsed.serial} (count ${parsed.count})`;
        check.mismatches.push(`${keyOf(oracle.sid, slot)} after serial ${serial}: expected ${st === undefined ? 'absent' : `serial ${st.serial} count ${st.count}`}, ${why}; got ${describe(got)}`);
      }
    }
  }
  return check;
}

/** Keys of sessions that never ran must not exist: spot-checks `count` slots of `sid`. */
export async function verifyAbsentSession(sid: string, slots: number, read: ReadFn): Promise<string[]> {
  const found: string[] = [];
  for (let slot = 0; slot < slots; slot++) if ((await read(keyOf(sid, slot))) !== undefined) found.push(keyOf(sid, slot));
  return found;
}
