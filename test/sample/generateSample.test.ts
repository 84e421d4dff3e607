import { describe, expect, it } from 'vitest';
import { generateSampleItems } from '../../src/sample/generateSample.js';

describe('generateSampleItems', () => {
  it('the same seed gives the same events', () => {
    // Act
    const a = [...generateSampleItems({ vehicles: 3, events: 300, seed: 5 })];
    const b = [...generateSampleItems({ vehicles: 3, events: 300, seed: 5 })];

    // Assess
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('re-delivers earlier events with a new delivery id, also far past the bound on the events kept for it', () => {
    // Prepare: 5% of events are kept for re-delivery, at most 2,000: the bound is reached near 40,000 events
    const seen = new Set<string>();
    const redelivered: { at: number; item: Record<string, unknown> }[] = [];
    let at = 0;

    // Act
    for (const item of generateSampleItems({ vehicles: 2, events: 60_000, seed: 9 })) {
      const id = String(item.event_id);
      if (seen.has(id)) redelivered.push({ at, item });
      seen.add(id);
      at += 1;
    }

    // Assess
    expect(redelivered.length).toBeGreaterThan(300);
    expect(redelivered.filter((r) => r.at > 50_000).length).toBeGreaterThan(50);
    for (const { item } of redelivered.slice(0, 20)) {
      expect(item.record_type).toBe('ALL');
      expect((item.meta as { deliveryId?: unknown }).deliveryId).toEqual(expect.any(String));
    }
  });
});
