import { describe, expect, it } from 'vitest';
import { ObjectFeed } from '../../src/process/ObjectFeed.js';

async function take(feed: ObjectFeed): Promise<(readonly string[])[]> {
  const groups: (readonly string[])[] = [];
  for await (const group of feed) groups.push(group);
  return groups;
}

describe('ObjectFeed', () => {
  it('gives each reader turn everything announced since the last, and ends after the last group', async () => {
    // Prepare
    const feed = new ObjectFeed();
    feed.push('a');
    feed.push('b');

    // Act
    const taking = take(feed);
    await new Promise((resolve) => setTimeout(resolve, 5));
    feed.push('c');
    feed.end();

    // Assess
    expect(await taking).toEqual([['a', 'b'], ['c']]);
    expect(() => feed.push('d')).toThrow(/already ended/);
  });

  it('a failed feed hands out what was announced, then throws the failure', async () => {
    // Prepare
    const feed = new ObjectFeed();
    feed.push('a');
    feed.fail(new Error('capture failed'));
    const groups: (readonly string[])[] = [];

    // Act
    const outcome = await (async () => {
      for await (const group of feed) groups.push(group);
    })().catch((e: unknown) => e);

    // Assess
    expect(groups).toEqual([['a']]);
    expect((outcome as Error).message).toBe('capture failed');
  });
});
