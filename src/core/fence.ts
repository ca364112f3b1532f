/**
 * The fence of a single-writer store: set once, when the store learns that another writer has
 * claimed its prefix (a manifest publish that lost, a claim check that found a newer writer, a
 * log object that already existed). From then on every write of the store fails with
 * FencedError; reads may continue; close() publishes nothing.
 *
 * `fenced` is a plain field so that the write path pays one property test. Listeners run
 * synchronously, once, when the fence is set (a listener that throws is logged, not rethrown).
 */
import { FencedError } from './errors.js';
import { componentLogger } from './logger.js';

/** Called once when the store is fenced (another writer claimed it), with the FencedError its writes now throw. */
export type FencedListener = (error: FencedError) => void;

const log = componentLogger('fence');

export class Fence {
  /** True once another writer has claimed the store (read on every write: keep it a field). */
  fenced = false;
  private cause: FencedError | undefined;
  private listeners: FencedListener[] = [];

  /** `what` names the store in error messages ("the store at s3://bucket/app"). */
  constructor(private readonly what: string) {}

  /** The error that fenced the store (undefined while it is not fenced). */
  get error(): FencedError | undefined {
    return this.cause;
  }

  /**
   * Fences the store. Returns true the first time; later calls (the same fence seen through
   * another path, or linked fences) change nothing and return false.
   */
  fence(error: FencedError): boolean {
    if (this.fenced) return false;
    this.fenced = true;
    this.cause = error;
    log.warn({ store: this.what, reason: error.message }, 'store fenced: another writer claimed it; writes now fail with FencedError');
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) this.notify(listener, error);
    return true;
  }

  private notify(listener: FencedListener, error: FencedError): void {
    try {
      listener(error);
    } catch (err) {
      log.error({ err, store: this.what }, 'a fenced listener threw');
    }
  }

  /**
   * Calls `listener` once when the store is fenced (on a microtask if it already is). Returns a
   * function that removes the listener.
   */
  onFenced(listener: FencedListener): () => void {
    if (this.cause !== undefined) {
      const cause = this.cause;
      queueMicrotask(() => this.notify(listener, cause));
      return () => undefined;
    }
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** The error a refused write throws: it names the operation and carries the fence's cause. */
  refusal(operation: string): FencedError {
    return new FencedError(
      `${operation} refused: ${this.what} was fenced because another writer claimed it (${this.cause?.message ?? 'unknown reason'}); ` +
        'this instance may no longer write. Stop sending it writes, close() it (that publishes nothing), and open the store again ' +
        'to continue from the newest checkpoint',
      { cause: this.cause },
    );
  }

  /** Throws FencedError when the store is fenced. */
  throwIfFenced(operation: string): void {
    if (this.fenced) throw this.refusal(operation);
  }
}
