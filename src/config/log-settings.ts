/**
 * [log]: where and how much the store logs. `level` is a pino level (default: F2KV_LOG_LEVEL or
 * "warn"); `destination` is "stderr" (default), "stdout" or a file path (relative to the
 * configuration file).
 */
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { ConfigTree } from './config-tree.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A pino log level: fatal, error, warn, info, debug, trace or silent. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where log lines go: stderr, stdout or a file (absolute path). */
export type LogDestination =
  | {
      /** Standard error. */
      kind: 'stderr';
    }
  | {
      /** Standard output. */
      kind: 'stdout';
    }
  | {
      /** A file, appended to. */
      kind: 'file';
      /** Absolute path of the file (a relative one in the configuration is resolved against the file's directory). */
      path: string;
    };

/** The [log] table of a configuration file: level and destination. */
export interface LogSettings {
  /** Log level (default F2KV_LOG_LEVEL or "warn"). */
  level: LogLevel;
  /** Destination (default stderr). */
  destination: LogDestination;
}

export function readLogSettings(section: ConfigTree | undefined, baseDir: string, envLevel: string | undefined): LogSettings {
  const level = section?.['level'] ?? envLevel ?? 'warn';
  if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('log.level', `must be one of ${LOG_LEVELS.join(', ')}, got ${String(level)}`);
  }
  const d = section?.['destination'] ?? 'stderr';
  if (typeof d !== 'string' || d.trim() === '') throw new ConfigError('log.destination', 'must be "stderr", "stdout" or a file path');
  const destination: LogDestination = d === 'stderr' || d === 'stdout' ? { kind: d } : { kind: 'file', path: resolve(baseDir, d) };
  return { level: level as LogLevel, destination };
}
