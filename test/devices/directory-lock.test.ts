import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { symlink, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryLock, FasterKv, LockedError } from '../../src/index.js';
import { transpileClosure } from './local-fs-cas-workers.js';

const REPO = join(import.meta.dirname, '..', '..');
let holderJs = '';
const dirs: string[] = [];

// The child runs plain JavaScript (vitest transforms TypeScript only in its own process).
beforeAll(async () => {
  const root = tmp();
  await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'));
  await writeFile(join(root, 'package.json'), '{"type":"module"}');
  await transpileClosure(join(REPO, 'test/devices/directory-lock-holder.ts'), root);
  holderJs = join(root, 'test/devices/directory-lock-holder.js');
}, 60_000);

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-lock-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Report {
  opened?: boolean;
  closed?: boolean;
  pid?: number;
  code?: string;
  message?: string;
  holderPid?: number;
  holderHost?: string;
}

function child(dir: string, mode: 'hold' | 'try'): { proc: ChildProcess; next: () => Promise<Report>; exited: Promise<number | null> } {
  const proc = fork(holderJs, [dir, mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: Report[] = [];
  const waiters: Array<(r: Report) => void> = [];
  proc.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m as Report);
    else queue.push(m as Report);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const next = (): Promise<Report> => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiters.push(resolve)));
  return { proc, next, exited };
}

const options = (dir: string) => ({ log: { device: `file://${dir}`, memorySize: 8192, pageSize: 4096 }, index: { buckets: 64 } });
const lockFiles = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('LOCK.'));

describe('directory lock', () => {
  it('a second process gets LockedError naming the holder, and can open once the holder closes', async () => {
    const dir = join(tmp(), 'store');
    const holder = child(dir, 'hold');
    const first = await holder.next();
    expect(first.opened).toBe(true);
    const before = readdirSync(dir).sort();
    const checkpointsBefore = readdirSync(join(dir, 'checkpoints')).sort();

    const rival = child(dir, 'try');
    const refused = await rival.next();
    expect(refused).toMatchObject({ opened: false, code: 'LOCKED', name: 'LockedError', holderPid: first.pid, holderHost: hostname() });
    expect(refused.message).toContain(dir);
    expect(refused.message).toContain(`process ${first.pid}`);
    expect(refused.message).toMatch(/Close that store or stop its process/);
    await rival.exited;
    // The refused opener changed nothing: no lock file, no manifest, no segment.
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual(checkpointsBefore);

    // This process is refused too, while the child holds the directory.
    await expect(FasterKv.open(options(dir))).rejects.toBeInstanceOf(LockedError);
    expect(readdirSync(dir).sort()).toEqual(before);

    holder.proc.send('close');
    expect((await holder.next()).closed).toBe(true);
    await holder.exited;
    expect(lockFiles(dir)).toEqual([]);
    const store = await FasterKv.open(options(dir));
    expect(lockFiles(dir)).toHaveLength(1);
    await store.close();
    expect(lockFiles(dir)).toEqual([]);
  }, 60_000);

  it('a process that exits without close() leaves no lock; one killed with SIGKILL leaves a stale lock that is taken over', async () => {
    const dir = join(tmp(), 'store');
    const exiting = child(dir, 'hold');
    expect((await exiting.next()).opened).toBe(true);
    exiting.proc.send('exit');
    await exiting.exited;
    expect(lockFiles(dir)).toEqual([]);

    const killed = child(dir, 'hold');
    const r = await killed.next();
    expect(r.opened).toBe(true);
    killed.proc.kill('SIGKILL');
    await killed.exited;
    expect(lockFiles(dir)).toEqual([`LOCK.${r.pid}.${lockFiles(dir)[0]!.split('.')[2]}`]);

    const taker = child(dir, 'try');
    expect((await taker.next()).opened).toBe(true);
    await taker.exited;
    expect(lockFiles(dir)).toEqual([]);
  }, 60_000);

  it('a second open in the same process is refused and changes nothing', async () => {
    const dir = join(tmp(), 'store');
    const a = await FasterKv.open(options(dir));
    const s = a.startSession();
    await s.upsert('k', 'v');
    const files = readdirSync(dir).sort();
    const manifests = readdirSync(join(dir, 'checkpoints')).sort();
    const err = await FasterKv.open(options(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    const locked = err as LockedError;
    expect(locked.code).toBe('LOCKED');
    expect(locked.directory).toBe(dir);
    expect(locked.holder.pid).toBe(process.pid);
    expect(locked.message).toMatch(/already open in this process.*close\(\) it before opening the directory again/);
    expect(readdirSync(dir).sort()).toEqual(files);
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual(manifests);
    // The holder is unaffected: it still writes and checkpoints.
    await s.upsert('k2', 'v2');
    await a.checkpoint();
    await a.close();
    const b = await FasterKv.open(options(dir));
    expect(new TextDecoder().decode(await b.startSession().read('k2'))).toBe('v2');
    await b.close();
  });

  it('takes over stale locks: a dead pid on this host, and this pid from an earlier life; keeps a lock from another host', async () => {
    const dir = tmp();
    // A pid that is not running: a child that has exited.
    const gone = child(dir, 'try');
    const goneReport = await gone.next();
    await gone.exited;
    const deadPid = goneReport.pid ?? 999_999;
    const stale = (pid: number, host: string, nonce: string) =>
      writeFileSync(join(dir, `LOCK.${pid}.${nonce}`), JSON.stringify({ pid, hostname: host, startedAt: '2020-01-01T00:00:00.000Z' }));
    stale(deadPid, hostname(), 'aaaaaaaaaaaaaaaa');
    stale(process.pid, hostname(), 'bbbbbbbbbbbbbbbb');
    const lock = await DirectoryLock.acquire(dir);
    expect(lockFiles(dir)).toEqual([lock.file.slice(dir.length + 1)]);
    await lock.release();
    expect(lockFiles(dir)).toEqual([]);

    stale(4242, 'some-other-host', 'cccccccccccccccc');
    const err = await DirectoryLock.acquire(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).holder).toMatchObject({ pid: 4242, hostname: 'some-other-host' });
    expect((err as LockedError).message).toMatch(/on host some-other-host.*delete .*LOCK\.4242\.cccccccccccccccc/);
    expect(existsSync(join(dir, 'LOCK.4242.cccccccccccccccc'))).toBe(true);
  }, 30_000);

  it('many processes racing for one directory: exactly one wins', async () => {
    const dir = tmp();
    const racers = Array.from({ length: 6 }, () => child(dir, 'hold'));
    const reports = await Promise.all(racers.map((r) => r.next()));
    const winners = reports.filter((r) => r.opened);
    expect(winners).toHaveLength(1);
    for (const r of reports.filter((x) => !x.opened)) expect(r.code).toBe('LOCKED');
    const winner = racers[reports.indexOf(winners[0]!)]!;
    winner.proc.send('close');
    await winner.next();
    await Promise.all(racers.map((r) => r.exited));
    expect(lockFiles(dir)).toEqual([]);
  }, 90_000);
});
