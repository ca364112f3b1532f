/**
 * Two F2 stores on sibling prefixes of one MinIO bucket, `…/a` and `…/a2` (one name a prefix of
 * the other): each churns (migration, cold compaction, checkpoints with retention and
 * truncation) while the other's objects must stay exactly as they were (isolation-harness.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, it } from 'vitest';
import { openObjectStore } from '../../src/devices/open-object-store.js';
import { checkSiblingIsolation } from '../../test/reliability/isolation-harness.js';
import { emptyStore, freshPrefix, minioStoreOptions, withBackend } from '../backends.js';

const scratch = mkdtempSync(join(tmpdir(), 'f2kv-isolation-s3-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

withBackend('s3', 'sibling prefixes on MinIO', (s3) => {
  it('stores at s3://bucket/…/a and s3://bucket/…/a2 never read, overwrite or delete each other\'s objects', async () => {
    const store = minioStoreOptions(s3);
    const root = `s3://${s3.bucket}/${freshPrefix('siblings')}`;
    try {
      await checkSiblingIsolation('minio', root, store, scratch);
    } finally {
      const o = await openObjectStore(root, store);
      await emptyStore(o);
      await o.close();
    }
  }, 240_000);
});
