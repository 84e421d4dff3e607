import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Where a shard's reader stands: the last sequence number whose batch finished, and whether the shard is done. */
export interface ShardPosition {
  readonly sequenceNumber?: string;
  readonly finished?: boolean;
}

/**
 * The event source mapping's memory: per stream and shard, how far processing got. After a restart the poller
 * continues AFTER the saved sequence number, so a batch that was in flight when it died is delivered again.
 *
 * @example
 * const checkpoint = new FileShardCheckpoint('./data/dev/stream-checkpoint.json');
 * await checkpoint.save(streamArn, shardId, { sequenceNumber: '000...123' });
 */
export interface ShardCheckpoint {
  load(streamArn: string): Promise<Record<string, ShardPosition>>;
  save(streamArn: string, shardId: string, position: ShardPosition): Promise<void>;
}

export class MemoryShardCheckpoint implements ShardCheckpoint {
  readonly #streams = new Map<string, Record<string, ShardPosition>>();

  async load(streamArn: string): Promise<Record<string, ShardPosition>> {
    return { ...this.#streams.get(streamArn) };
  }

  async save(streamArn: string, shardId: string, position: ShardPosition): Promise<void> {
    this.#streams.set(streamArn, { ...this.#streams.get(streamArn), [shardId]: position });
  }
}

type CheckpointFile = Record<string, Record<string, ShardPosition>>;

/** A JSON file, replaced atomically on every save (write to a temporary file, then rename). */
export class FileShardCheckpoint implements ShardCheckpoint {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  async #read(): Promise<CheckpointFile> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.path, 'utf8'));
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as CheckpointFile)
        : {};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  async load(streamArn: string): Promise<Record<string, ShardPosition>> {
    return { ...(await this.#read())[streamArn] };
  }

  save(streamArn: string, shardId: string, position: ShardPosition): Promise<void> {
    // Saves of several shards are serialised: each one reads, updates and replaces the whole file.
    const next = this.#queue.then(async () => {
      const all = await this.#read();
      all[streamArn] = { ...all[streamArn], [shardId]: position };
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`);
      await rename(tmp, this.path);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
