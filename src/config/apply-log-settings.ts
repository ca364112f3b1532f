/** Applies [log] settings to f2kv's root logger (its component loggers follow its level). */
import { logger } from '../core/logger.js';
import type { LogSettings } from './log-settings.js';

export function applyLogSettings(settings: LogSettings): void {
  logger.level = settings.level;
}
