/** Bad usage of the f2kv command (exit status 2, nothing opened). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
