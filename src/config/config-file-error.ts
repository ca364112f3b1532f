import { ConfigError } from '../core/errors.js';

/**
 * An error in a configuration file: names the file and the TOML key path
 * (`config.toml: compaction.hot_to_cold.trigger_fraction: must be …`), or the line and column of
 * a TOML syntax error (`config.toml:3:9: invalid TOML: …`). `option` is the TOML key path ('' when
 * the whole file is at fault).
 */
export class ConfigFileError extends ConfigError {
  /** The configuration file. */
  readonly file: string;
  /** Line of the error in the file, when known (syntax errors). */
  readonly line: number | undefined;
  /** Column of the error in the file, when known. */
  readonly column: number | undefined;

  constructor(file: string, key: string, detail: string, options: { line?: number; column?: number; cause?: unknown } = {}) {
    super(key, detail, { cause: options.cause });
    this.file = file;
    this.line = options.line;
    this.column = options.column;
    const where = options.line === undefined ? file : `${file}:${options.line}:${options.column ?? 1}`;
    this.message = key === '' ? `${where}: ${detail}` : `${where}: ${key}: ${detail}`;
  }
}
