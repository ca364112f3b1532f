/**
 * Where the CLI writes. The f2kv command uses the process streams; tests pass an Io that collects
 * the text. `errIsTTY` decides between a redrawn progress bar (drawn by cli-progress on
 * `errStream`) and plain progress lines.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  errIsTTY: boolean;
  /** The terminal stream progress bars are drawn on (set when errIsTTY). */
  errStream?: NodeJS.WriteStream;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true,
  errStream: process.stderr,
};

/** An Io that keeps everything written, for tests. */
export function captureIo(): Io & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    errIsTTY: false,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/** An Io that writes nothing to stdout (for --json: the report is printed at the end). */
export function withoutOut(io: Io): Io {
  return { ...io, out: () => undefined };
}
