/**
 * Applies [log] settings to f2kv's root logger: its level (component loggers follow it) and its
 * destination (stderr, stdout or a file, appended to and created with its directory if missing).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type DestinationStream } from 'pino';
import { ConfigError } from '../core/errors.js';
import { logger, setLogDestination } from '../core/logger.js';
import type { LogSettings } from './log-settings.js';

/** The file destination this module opened last (closed when replaced). */
let openedFile: { path: string; stream: DestinationStream & { end?: () => void } } | undefined;

/** Applies [log] settings to f2kv's root logger: its level (component loggers follow it) and its destination (stderr, stdout or a file, appended to and created with its directory if missing). */
export function applyLogSettings(settings: LogSettings): void {
  const d = settings.destination;
  if (d.kind === 'file') {
    if (openedFile?.path !== d.path) {
      let stream: DestinationStream & { end?: () => void };
      try {
        // The directory is created here: sonic-boom's own mkdir option can spin on a path it cannot create.
        mkdirSync(dirname(d.path), { recursive: true });
        stream = pino.destination({ dest: d.path, sync: true, append: true });
      } catch (err) {
        throw new ConfigError('log.destination', `cannot open ${d.path} for logging (${(err as NodeJS.ErrnoException).code ?? String(err)}); check the path and its permissions`, { cause: err });
      }
      setLogDestination(stream);
      openedFile?.stream.end?.();
      openedFile = { path: d.path, stream };
    }
  } else {
    setLogDestination(pino.destination({ dest: d.kind === 'stdout' ? 1 : 2, sync: true }));
    openedFile?.stream.end?.();
    openedFile = undefined;
  }
  logger.level = settings.level;
}
