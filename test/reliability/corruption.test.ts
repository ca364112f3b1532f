/**
 * Corruption of every object kind of an F2 store on file:// (see corruption-harness.ts): each
 * kind found in a real store's listing gets a flipped byte and a truncation; verifyStore must
 * report each, open and reads must fail with a CorruptionError naming the object (or be
 * unaffected), never return a wrong value, and an intact older checkpoint must open instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPristine, CORRUPTIBLE_KINDS, DAMAGES, kindsFound, localBackend, runCase, summarize, victims, type CaseOutcome, type Pristine,
} from './corruption-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'f2kv-corruption-'));
const backend = localBackend(dir);
let pristine: Pristine;
const outcomes: CaseOutcome[] = [];

beforeAll(async () => {
  pristine = await buildPristine(backend, dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('corruption of every object kind (file://)', () => {
  it('finds only object kinds it has a corruption case for, and every such kind', () => {
    const { kinds, unknown } = kindsFound(pristine);
    console.log(`[corruption file] object kinds in a real F2 store: ${[...kinds].map(([k, n]) => `${k}=${n}`).join(' ')}`);
    expect(unknown, 'objects of a kind this test cannot damage: add a case for it').toEqual([]);
    expect([...kinds.keys()].sort()).toEqual([...CORRUPTIBLE_KINDS].sort());
  });

  for (const kind of CORRUPTIBLE_KINDS) {
    for (const how of DAMAGES) {
      it(`${kind}, ${how}: detected, never a wrong value`, async () => {
        for (const victim of victims(pristine, kind, kind === 'cold-log' || kind === 'cold-chunk' ? 2 : 1)) outcomes.push(await runCase(backend, pristine, victim, how));
      });
    }
  }

  it('prints planted vs detected', () => {
    summarize('file', outcomes);
    expect(outcomes.length).toBeGreaterThanOrEqual(CORRUPTIBLE_KINDS.length * DAMAGES.length);
  });
});
