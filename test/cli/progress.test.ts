/**
 * Progress output: plain lines every 10% when stderr is not a terminal, a cli-progress bar redrawn
 * in place on a terminal (a fake TTY stream here), and Activity's final line for steps without
 * progress of their own.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { captureIo, type Io } from '../../src/cli/io.js';
import { Activity, Progress } from '../../src/cli/progress.js';

/** A stream that says it is a terminal and records what is drawn on it. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & Record<string, unknown>;
  stream.on('data', (d: Buffer) => chunks.push(d.toString()));
  Object.assign(stream, {
    isTTY: true,
    columns: 120,
    cursorTo: (_x: number, _y?: number) => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    getWindowSize: () => [120, 40],
  });
  return { stream, text: () => chunks.join('') };
}

describe('progress', () => {
  it('prints plain lines every 10% and one final line when stderr is not a terminal', () => {
    const io = captureIo();
    const p = new Progress(io, 'load', 1000);
    for (let i = 1; i <= 1000; i++) p.update(i);
    p.finish();
    const lines = io.stderr().trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^load: 10%  100\/1,000  /);
    expect(lines.at(-1)).toMatch(/^load: 100%  1,000\/1,000/);
  });

  it('draws a cli-progress bar on a terminal and ends with the final line', async () => {
    const term = fakeTerminal();
    const lines: string[] = [];
    const io: Io = { out: () => undefined, err: (t) => void lines.push(t), errIsTTY: true, errStream: term.stream };
    const p = new Progress(io, 'verify', 500);
    for (let i = 1; i <= 500; i += 50) {
      p.update(i);
      await new Promise((r) => setTimeout(r, 20));
    }
    p.finish(500);
    await new Promise((r) => setImmediate(r));
    expect(term.text()).toContain('verify ');
    expect(term.text()).toMatch(/[█░]{10,}/);
    expect(lines.join('')).toMatch(/^verify: 100%  500\/500/);

    const activity = await Activity.run(io, 'checkpoint', async () => {
      await new Promise((r) => setTimeout(r, 30));
      return 'tok';
    }, (t) => `token ${t} durable`);
    expect(activity).toBe('tok');
    expect(term.text()).toContain('checkpoint …');
    expect(lines.join('')).toMatch(/checkpoint: token tok durable \(\d+ ms\)\n$/);
  });

  it('Activity reports nothing but stops cleanly when the step fails', async () => {
    const io = captureIo();
    await expect(Activity.run(io, 'compact', () => Promise.reject(new Error('boom')), () => 'never')).rejects.toThrow('boom');
    expect(io.stderr()).toBe('');
  });
});
