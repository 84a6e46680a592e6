// src/progress.ts: what a terminal, a log and a --json run see while go mod tidy and go build run.
import { describe, expect, it } from 'vitest';
import { createProgress, formatElapsed } from '../src/progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, write: (text: string) => writes.push(text) > 0 }, writes };
}

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('progress', () => {
  it('in a terminal, redraws one line with a spinner, the phase and the elapsed time, and leaves each finished phase', async () => {
    const { stream, writes } = sink(true);
    const time = clock();
    const progress = createProgress({ stream, silent: false, now: time.now, interval: 5 });
    progress.step('go mod tidy');
    time.advance(12_300);
    const redrawn = () => writes.filter((w) => w.startsWith('\r\u001b[2K') && w.includes('go mod tidy 12.3 s'));
    // The timer draws every 5 ms; on a loaded machine give it up to 2 s to draw twice with the spinner turned.
    for (let waited = 0; waited < 2000 && new Set(redrawn().map((w) => w.slice(7, 8))).size < 2; waited += 10) await new Promise((r) => setTimeout(r, 10));
    const redraws = redrawn();
    expect(redraws.length).toBeGreaterThan(1);
    expect(new Set(redraws.map((w) => w.slice(7, 8))).size).toBeGreaterThan(1); // the spinner turns
    progress.step('go build (v0.1.0, linux/amd64)');
    time.advance(65_000);
    progress.stop(true);
    const finished = writes.filter((w) => w.endsWith('\n'));
    expect(finished).toEqual(['\r\u001b[2K  ✓ go mod tidy 12.3 s\n', '\r\u001b[2K  ✓ go build (v0.1.0, linux/amd64) 1 min 5 s\n']);
    const count = writes.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(writes.length).toBe(count); // nothing drawn after the end
  });

  it('in a terminal, marks a phase that failed or was interrupted', () => {
    const { stream, writes } = sink(true);
    const progress = createProgress({ stream, silent: false, now: clock().now });
    progress.step('go build');
    progress.stop(false);
    expect(writes.at(-1)).toBe('\r\u001b[2K  ✗ go build 0.0 s\n');
  });

  it('without a terminal, writes plain lines: each phase as it starts and as it ends, no control characters', () => {
    const { stream, writes } = sink(false);
    const time = clock();
    const progress = createProgress({ stream, silent: false, now: time.now });
    progress.step('go mod tidy');
    time.advance(2_000);
    progress.step('go build');
    time.advance(500);
    progress.stop(true);
    expect(writes).toEqual(['  … go mod tidy\n', '  … go mod tidy: done after 2.0 s\n', '  … go build\n', '  … go build: done after 0.5 s\n']);
    expect(writes.join('')).not.toMatch(/[\r\u001b]/);
  });

  it('under --json or --quiet, writes nothing at all', () => {
    for (const isTTY of [true, false]) {
      const { stream, writes } = sink(isTTY);
      const progress = createProgress({ stream, silent: true });
      progress.step('go mod tidy');
      progress.stop(true);
      expect(writes).toEqual([]);
    }
  });

  it('says minutes past the first minute', () => {
    expect(formatElapsed(59_900)).toBe('59.9 s');
    expect(formatElapsed(60_000)).toBe('1 min 0 s');
    expect(formatElapsed(61_000)).toBe('1 min 1 s');
  });
});
