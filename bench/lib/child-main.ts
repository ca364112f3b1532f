/**
 * The entry point of a benchmark that runs each store in a child process of its own: the parent
 * starts `node <script> --child <spec base64url JSON> -- <result file>`; the child runs one store
 * and writes `{ ok, result | error }` to the result file, then exits (a store that failed mid-way
 * must not keep the child alive with its background timers).
 */
import { writeFileSync } from 'node:fs';

export interface ChildEntry<Spec, Result> {
  /** Runs one store in the child. */
  child(spec: Spec): Promise<Result>;
  /** The store's name in error lines. */
  label(spec: Spec): string;
  /** Runs the benchmark in the parent with the command-line arguments. */
  parent(argv: string[]): Promise<void>;
}

export function runBenchMain<Spec, Result>(entry: ChildEntry<Spec, Result>): void {
  const main = async (): Promise<void> => {
    const argv = process.argv.slice(2);
    if (argv[0] !== '--child') return entry.parent(argv);
    const spec = JSON.parse(Buffer.from(argv[1]!, 'base64url').toString('utf8')) as Spec;
    const outFile = argv[3]!;
    try {
      const result = await entry.child(spec);
      writeFileSync(outFile, JSON.stringify({ ok: true, result }));
    } catch (e) {
      const msg = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
      process.stderr.write(`${entry.label(spec)}: ${msg}\n`);
      writeFileSync(outFile, JSON.stringify({ ok: false, error: msg }));
    }
    process.exit(0);
  };
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
