/**
 * DirectoryLock: one writer per local directory. FasterKv takes it on a file:// log directory (a
 * two-tier store takes it on its hot directory) and holds it until close() or the end of the
 * process; a second opener — in another process or in this one — gets a LockedError naming the
 * directory and the holder's pid and host, and the directory is left unchanged.
 *
 * The lock is a file `LOCK.<pid>.<nonce>` in the directory holding JSON (pid, hostname, process
 * start time, acquisition time). Acquiring is "announce, then check":
 *
 *   1. read every LOCK.* file: if one belongs to a live holder, fail without creating anything;
 *   2. publish our own lock file (written under a temporary name, then renamed, so nobody reads
 *      a partial one);
 *   3. read every LOCK.* file again: if another live holder's file is there, remove ours and
 *      fail (after a short randomized retry, for two openers that announced at the same time).
 *
 * Two openers cannot both win: each one checks after it announced, so whichever checks last sees
 * the other's file. (In an exact tie both back off, retry once or twice, and at worst both fail —
 * never both succeed.) A lock file is stale when its holder is on this host and its process is
 * gone, or when it carries this process's pid but was not taken by this process (a restarted
 * container that reuses pid 1). Stale files are deleted by whoever meets them; deleting one is
 * safe because a dead process never comes back. A holder on another host (a shared network
 * directory) cannot be checked and counts as live: the message says which file to delete.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { readFile, readdir, realpath, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError, LockedError, type LockHolder } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { errCode, pidAlive, sleep } from './local-process.js';

const log = componentLogger('directory-lock');

const LOCK_FILE = /^LOCK\.(\d+)\.([0-9a-f]{16})$/;
const PROCESS_STARTED_AT = new Date(Date.now() - process.uptime() * 1000).toISOString();
const HOST = hostname();
/** Attempts when two openers announce at the same moment. */
const MAX_ATTEMPTS = 3;

/** Nonces of lock files this process announced or holds (path → lock), and the exit hook. */
const ours = new Map<string, DirectoryLock | null>();
let exitHookInstalled = false;

interface LockContent {
  pid: number;
  hostname: string;
  startedAt: string;
  acquiredAt: string;
  directory: string;
}

type Verdict = { kind: 'live'; holder: LockHolder } | { kind: 'stale'; holder: LockHolder } | { kind: 'gone' };


function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [file, lock] of ours) {
      if (lock === null) continue;
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  });
}

/** One writer per local directory: acquire() creates a lock file or throws LockedError naming the holder; release() removes it. See the module comment for the protocol. */
export class DirectoryLock {
  /** The locked directory. */
  readonly directory: string;
  /** The lock file of this holder. */
  readonly file: string;
  private released = false;

  private constructor(directory: string, file: string) {
    this.directory = directory;
    this.file = file;
  }

  /**
   * Locks `directory` (which must exist) for this process. Throws LockedError when a live holder
   * has it, without creating or changing anything; takes over the files of dead holders.
   */
  static async acquire(path: string): Promise<DirectoryLock> {
    let directory: string;
    try {
      directory = await realpath(path); // one name per directory, so this process knows its own locks
    } catch (err) {
      throw new ConfigError('directory', `cannot lock ${path}: ${errCode(err) === 'ENOENT' ? 'it does not exist; create it first' : (errCode(err) ?? String(err))}`, { cause: err });
    }
    for (let attempt = 1; ; attempt++) {
      const before = await DirectoryLock.inspect(directory, undefined);
      if (before !== undefined) throw lockedError(directory, before);
      const nonce = randomBytes(8).toString('hex');
      const name = `LOCK.${process.pid}.${nonce}`;
      const file = join(directory, name);
      const temp = join(directory, `.${name}.tmp`);
      const content: LockContent = {
        pid: process.pid,
        hostname: HOST,
        startedAt: PROCESS_STARTED_AT,
        acquiredAt: new Date().toISOString(),
        directory,
      };
      ours.set(file, null);
      try {
        await writeFile(temp, `${JSON.stringify(content)}\n`, { flag: 'wx' });
        await rename(temp, file);
      } catch (err) {
        ours.delete(file);
        await unlink(temp).catch(() => undefined);
        if (errCode(err) === 'ENOENT') throw new ConfigError('directory', `${directory} does not exist; create it before locking it`);
        throw new ConfigError('directory', `cannot create a lock file in ${directory} (${errCode(err) ?? String(err)}); check its permissions`, { cause: err });
      }
      const rival = await DirectoryLock.inspect(directory, name);
      if (rival === undefined) {
        const lock = new DirectoryLock(directory, file);
        ours.set(file, lock);
        installExitHook();
        log.debug({ directory, file }, 'locked');
        return lock;
      }
      // Another opener announced at the same time: step back, and try again unless it stays.
      await unlink(file).catch(() => undefined);
      ours.delete(file);
      if (attempt >= MAX_ATTEMPTS) throw lockedError(directory, rival);
      await sleep(5 + Math.random() * 20 * attempt);
    }
  }

  /**
   * Reads every lock file of `directory` except `own`: returns the first live holder, deleting
   * stale files on the way; undefined when nobody else holds the directory.
   */
  private static async inspect(directory: string, own: string | undefined): Promise<LockHolder | undefined> {
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (err) {
      if (errCode(err) === 'ENOENT') throw new ConfigError('directory', `${directory} does not exist; create it before locking it`);
      throw new ConfigError('directory', `cannot read ${directory} (${errCode(err) ?? String(err)}); check its permissions`, { cause: err });
    }
    for (const name of names.sort()) {
      if (name === own || !LOCK_FILE.test(name)) continue;
      const verdict = await judge(join(directory, name));
      if (verdict.kind === 'live') return verdict.holder;
      if (verdict.kind === 'stale') {
        try {
          await unlink(verdict.holder.file);
          log.warn(
            { directory, file: verdict.holder.file, pid: verdict.holder.pid, hostname: verdict.holder.hostname },
            'removed the stale lock of a process that no longer runs',
          );
        } catch (err) {
          if (errCode(err) !== 'ENOENT') throw new ConfigError('directory', `cannot remove the stale lock ${verdict.holder.file} (${errCode(err) ?? String(err)})`);
        }
      }
    }
    return undefined;
  }

  /** Whether this lock is still held (not yet released). */
  get held(): boolean {
    return !this.released;
  }

  /** Releases the lock (deletes its file). Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      await unlink(this.file);
    } catch (err) {
      if (errCode(err) !== 'ENOENT') log.warn({ file: this.file, code: errCode(err) }, 'could not delete the lock file');
    }
    ours.delete(this.file);
    log.debug({ directory: this.directory }, 'unlocked');
  }
}

/** Reads one lock file and decides whether its holder is live, dead (stale), or the file is gone. */
async function judge(file: string): Promise<Verdict> {
  if (ours.has(file)) {
    return { kind: 'live', holder: { pid: process.pid, hostname: HOST, startedAt: PROCESS_STARTED_AT, file } };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return { kind: 'gone' };
    throw new ConfigError('directory', `cannot read the lock file ${file} (${errCode(err) ?? String(err)}); check its permissions`, { cause: err });
  }
  let content: Partial<LockContent>;
  try {
    content = JSON.parse(text) as Partial<LockContent>;
  } catch {
    content = {};
  }
  const pid = typeof content.pid === 'number' ? content.pid : Number(LOCK_FILE.exec(file.slice(file.lastIndexOf('/') + 1))?.[1] ?? 0);
  const host = typeof content.hostname === 'string' ? content.hostname : 'an unknown host';
  const holder: LockHolder = { pid, hostname: host, file, ...(typeof content.startedAt === 'string' ? { startedAt: content.startedAt } : {}) };
  if (host !== HOST) return { kind: 'live', holder };
  // Same host: our own pid in a file this process did not write is a previous life of this pid.
  if (pid === process.pid || !pidAlive(pid)) return { kind: 'stale', holder };
  return { kind: 'live', holder };
}

function lockedError(directory: string, holder: LockHolder): LockedError {
  const since = holder.startedAt ? `, running since ${holder.startedAt}` : '';
  if (holder.pid === process.pid && holder.hostname === HOST) {
    return new LockedError(
      directory,
      holder,
      `${directory} is already open in this process (pid ${holder.pid} on ${holder.hostname}); ` +
        'a directory has one writer at a time: use the open store, or close() it before opening the directory again',
    );
  }
  const where = holder.hostname === HOST ? `process ${holder.pid} on this host (${holder.hostname}${since})` : `process ${holder.pid} on host ${holder.hostname}${since}`;
  const gone =
    holder.hostname === HOST
      ? `if process ${holder.pid} is not an f2kv store (its pid was reused), delete ${holder.file}`
      : `this host cannot check whether that process still runs; if it does not, delete ${holder.file}`;
  return new LockedError(
    directory,
    holder,
    `${directory} is locked by ${where}: another store has it open and a directory has one writer at a time. ` +
      `Close that store or stop its process, then open again; ${gone}`,
  );
}
