/**
 * Command-line flags of the benchmarks: `--name value` or `--name=value`; a bare `--flag` is "true".
 * Unknown flags are an error, so that a typo never silently runs the default.
 */
export class Flags {
  private readonly values = new Map<string, string>();
  private readonly seen = new Set<string>();

  constructor(argv: readonly string[]) {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"; flags look like --name value`);
      const eq = arg.indexOf('=');
      if (eq > 0) {
        this.values.set(arg.slice(2, eq), arg.slice(eq + 1));
        continue;
      }
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        this.values.set(arg.slice(2), next);
        i++;
      } else {
        this.values.set(arg.slice(2), 'true');
      }
    }
  }

  has(name: string): boolean {
    this.seen.add(name);
    return this.values.has(name);
  }

  string(name: string, fallback: string): string {
    this.seen.add(name);
    return this.values.get(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    this.seen.add(name);
    return this.values.get(name);
  }

  /** A count: accepts 1000000, 1e6, 1_000_000, 1M, 20M, 512k. */
  count(name: string, fallback: number): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const n = parseCount(raw);
    if (n === undefined) throw new Error(`--${name}: cannot parse "${raw}" as a count (e.g. 1000000, 1e6, 1M)`);
    return n;
  }

  list(name: string, fallback: readonly string[]): string[] {
    const raw = this.optionalString(name);
    if (raw === undefined) return [...fallback];
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1' || raw === 'yes') return true;
    if (raw === 'false' || raw === '0' || raw === 'no') return false;
    throw new Error(`--${name}: expected true or false, got "${raw}"`);
  }

  /** Throws when a flag was given that no one asked for. Call after reading every flag. */
  rejectUnknown(): void {
    const unknown = [...this.values.keys()].filter((k) => !this.seen.has(k));
    if (unknown.length > 0) throw new Error(`unknown flag(s): ${unknown.map((k) => `--${k}`).join(', ')}`);
  }
}

export function parseCount(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([kKmMgG]?)\s*$/.exec(raw.replace(/_/g, ''));
  if (!m) return undefined;
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase()] ?? 1;
  const n = Math.round(Number(m[1]) * mult);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kib: 1024, kb: 1000, m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9,
};

/** Bytes from "64MiB", "1GiB", "4096"; undefined when not a size. */
export function parseBytes(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(raw);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(n) ? n : undefined;
}
