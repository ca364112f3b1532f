/**
 * Small helpers for code that coordinates through the local file system with other processes
 * (the directory lock, the local-directory object store's lock files).
 */

/** The `code` of a Node.js system error (ENOENT, EEXIST, …), if it has one. */
export function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** True when a process with this pid exists on this host (EPERM: it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errCode(e) === 'EPERM';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, ms));
