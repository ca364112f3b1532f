import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of disk blocks allocated under a directory (recursive). */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const st = statSync(join(dir, name));
    total += st.isDirectory() ? dirBytes(join(dir, name)) : st.blocks * 512;
  }
  return total;
}
