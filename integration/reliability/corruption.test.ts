/**
 * Corruption of every object kind of an F2 store whose cold tier and checkpoints are on MinIO
 * (see test/reliability/corruption-harness.ts): the kinds come from a real store's listing, each
 * gets a flipped byte and a truncation (one victim per kind), verifyStore must report each, open
 * and reads must fail with a CorruptionError naming it or be unaffected, never a wrong value.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openObjectStore } from '../../src/devices/open-object-store.js';
import {
  buildPristine, CORRUPTIBLE_KINDS, DAMAGES, kindsFound, runCase, summarize, victims, type CaseOutcome, type CorruptionBackend,
} from '../../test/reliability/corruption-harness.js';
import { emptyStore, freshPrefix, minioStoreOptions, withBackend } from '../backends.js';

const scratch = mkdtempSync(join(tmpdir(), 'f2kv-corruption-s3-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

withBackend('s3', 'corruption of every object kind on MinIO', (s3) => {
  it('detects every planted corruption of every kind and never returns a wrong value', async () => {
    const store = minioStoreOptions(s3);
    const backend: CorruptionBackend = {
      label: 'minio',
      freshRoot: () => `s3://${s3.bucket}/${freshPrefix('corrupt')}`,
      store,
      objectStoreToml: [
        '[object_store.s3]', `endpoint = ${JSON.stringify(s3.endpoint)}`, `region = ${JSON.stringify(s3.region)}`, 'path_style = true',
        `access_key_id = ${JSON.stringify(s3.accessKeyId)}`, `secret_access_key = ${JSON.stringify(s3.secretAccessKey)}`,
      ].join('\n'),
      remove: async (root) => {
        const o = await openObjectStore(root, store);
        await emptyStore(o);
        await o.close();
      },
    };
    const pristine = await buildPristine(backend, scratch, 500);
    const { kinds, unknown } = kindsFound(pristine);
    console.log(`[corruption minio] object kinds in a real F2 store: ${[...kinds].map(([k, n]) => `${k}=${n}`).join(' ')}`);
    expect(unknown, 'objects of a kind this test cannot damage: add a case for it').toEqual([]);
    expect([...kinds.keys()].sort()).toEqual([...CORRUPTIBLE_KINDS].sort());
    const outcomes: CaseOutcome[] = [];
    // One damage per kind (alternating), every 2nd key read; a smaller store: the full matrix runs on file://.
    for (const [k, kind] of CORRUPTIBLE_KINDS.entries()) {
      for (const victim of victims(pristine, kind, 1)) outcomes.push(await runCase(backend, pristine, victim, DAMAGES[k % DAMAGES.length]!, 2));
    }
    summarize('minio', outcomes);
  }, 300_000);
});
