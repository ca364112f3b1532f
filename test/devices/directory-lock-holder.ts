/**
 * Child process of the directory-lock test: opens a FasterKv on the directory given as argv[2]
 * and reports on IPC. Message "hold": keep the store open until told "close". Message "try":
 * report whether open succeeded (and the error's code, pid, host), then exit.
 */
import type { LockedError } from '../../src/core/errors.js';
import { FasterKv } from '../../src/hot/faster-kv.js';

const dir = process.argv[2]!;
const mode = process.argv[3]!;
const options = { log: { device: `file://${dir}`, memorySize: 8192, pageSize: 4096 }, index: { buckets: 64 } };

try {
  const store = await FasterKv.open(options);
  process.send!({ opened: true, pid: process.pid });
  if (mode === 'hold') {
    process.on('message', async (m) => {
      if (m === 'close') {
        await store.close();
        process.send!({ closed: true });
        process.disconnect();
      } else if (m === 'exit') {
        process.exit(0); // no close(): the exit hook deletes the lock file
      }
    });
  } else {
    await store.close();
    process.disconnect();
  }
} catch (err) {
  const e = err as LockedError;
  process.send!({ opened: false, code: e.code, name: e.name, message: e.message, holderPid: e.holder?.pid, holderHost: e.holder?.hostname });
  process.disconnect();
}
