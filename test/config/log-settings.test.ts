import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { applyLogSettings, parseConfig } from '../../src/index.js';
import { componentLogger, logger } from '../../src/core/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'f2kv-log-settings-'));
const initialLevel = logger.level;
afterAll(() => {
  applyLogSettings({ level: initialLevel as 'warn', destination: { kind: 'stdout' } });
  rmSync(dir, { recursive: true, force: true });
});

it('[log] sets the level of every component logger and sends lines to the file (relative to the config)', () => {
  const c = parseConfig('[log]\nlevel = "debug"\ndestination = "logs/f2kv.log"', 'x.toml', { baseDir: dir });
  const component = componentLogger('log-settings-test');
  applyLogSettings(c.log);
  expect(component.level).toBe('debug');
  component.debug({ accountKey: 'should-not-appear' }, 'debug line for the file');
  const file = join(dir, 'logs', 'f2kv.log');
  expect(existsSync(file)).toBe(true);
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.at(-1)).toMatchObject({ component: 'log-settings-test', msg: 'debug line for the file', accountKey: '[redacted]' });

  applyLogSettings(parseConfig('[log]\nlevel = "error"\ndestination = "stderr"', 'y.toml').log);
  component.warn('not written: below error');
  expect(component.level).toBe('error');
  expect(readFileSync(file, 'utf8')).not.toContain('below error');
});

it('a log file that cannot be opened is a ConfigError naming log.destination', () => {
  const notADirectory = join(dir, 'logs', 'f2kv.log', 'nested.log'); // its "directory" is a file
  expect(() => applyLogSettings({ level: 'info', destination: { kind: 'file', path: notADirectory } })).toThrow(`log.destination: cannot open ${notADirectory} for logging (`);
});
