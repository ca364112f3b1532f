import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { ConfigError } from '../../src/core/errors.js';
import { makeRng, testSeed } from '../helpers/prng.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['1.5s', 1500],
    ['0s', 0],
    [' 2m 30s ', 150_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration('x', text)).toBe(ms);
  });

  it.each([
    ['30', 'cannot parse duration "30"'],
    ['', 'cannot parse duration ""'],
    ['5 minutes', 'cannot parse duration'],
    ['30m1h', 'largest first'],
    ['1s1s', 'largest first'],
    ['0.0001s', 'not a whole number of milliseconds'],
    ['-5s', 'cannot parse duration'],
  ])('refuses %j', (text, message) => {
    expect(() => parseDuration('checkpoint.interval', text)).toThrow(ConfigError);
    expect(() => parseDuration('checkpoint.interval', text)).toThrow(message);
  });

  it('refuses bare numbers, saying how to write them', () => {
    expect(() => parseDuration('object_store.s3.timeout', 30)).toThrow('object_store.s3.timeout: expected a duration string such as "250ms", "30s", "5m" or "1h30m", got the number 30 (write it with a unit, e.g. "30ms" or "30s")');
  });

  it('formatDuration gives the shortest text that reads back to the same milliseconds', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(0)).toBe('0s');
    const seed = testSeed('duration-roundtrip');
    const rng = makeRng(seed);
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(rng() ** 3 * 10 * 86_400_000);
      expect(parseDuration('x', formatDuration(ms)), `ms ${ms} (seed ${seed})`).toBe(ms);
    }
  });
});
