import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/progress.js';

function stream(isTTY: boolean) {
  const s = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  s.on('data', (d) => {
    text += d;
  });
  return { s, text: () => text };
}

describe('progressReporter', () => {
  it('off a TTY writes a plain line every few seconds with count and rate, and a last line when done', () => {
    // Prepare
    const out = stream(false);
    let clock = 0;
    const p = progressReporter(out.s, { label: 'processing', unit: 'records', now: () => clock });
    // Act
    clock = 1000;
    p.update(100);
    clock = 5000;
    p.update(500);
    clock = 6000;
    p.update(600);
    p.done();
    // Assess
    expect(out.text()).toBe(
      'processing: 500 records, 100 records/s\nprocessing: 600 records, 100 records/s (done)\n',
    );
  });

  it('on a TTY redraws one line with a bar, percentage and ETA when the total is known, and clears it', () => {
    // Prepare
    const out = stream(true);
    let clock = 0;
    const p = progressReporter(out.s, { label: 'backfill', unit: 'items', now: () => clock });
    // Act
    clock = 10_000;
    p.update(250, 1000);
    p.done();
    // Assess
    expect(out.text()).toBe(
      '\r\x1b[Kbackfill: [######..................] 250/1000 items (25%), 25 items/s, ETA 30s\r\x1b[K',
    );
  });

  it('writes nothing for a short run', () => {
    // Prepare
    const out = stream(false);
    const p = progressReporter(out.s, { label: 'x', now: () => 0 });
    // Act
    p.update(1);
    p.done();
    // Assess
    expect(out.text()).toBe('');
  });

  it('off a TTY keeps writing a line every few seconds while no count arrives, and stops when done', () => {
    // Prepare: a fake clock and a fake interval timer
    const out = stream(false);
    let clock = 0;
    let tick: (() => void) | undefined;
    let stopped = false;
    const p = progressReporter(out.s, {
      label: 'loading',
      unit: 'records',
      now: () => clock,
      every: (ms, fn) => {
        expect(ms).toBe(5000);
        tick = fn;
        return () => {
          stopped = true;
        };
      },
    });
    // Act
    clock = 1000;
    p.update(100, 400);
    clock = 5000;
    tick?.();
    clock = 10_000;
    tick?.();
    p.done();
    // Assess
    expect(out.text()).toBe(
      [
        'loading: 100/400 records (25%), 20 records/s, ETA 15s',
        'loading: 100/400 records (25%), 10 records/s, ETA 30s',
        'loading: 100/400 records (25%), 10 records/s, ETA 30s (done)',
        '',
      ].join('\n'),
    );
    expect(stopped).toBe(true);
  });
});
