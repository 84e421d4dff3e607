import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { quoteIdent, quoteLiteral } from './duckDbSql.js';

/** How the local warehouse's DuckDB is opened: the bound on what its loads may hold. */
export interface WarehouseOptions {
  /**
   * DuckDB `memory_limit` (default {@link DUCKDB_MEMORY_LIMIT}, {@link DUCKDB_MEMORY_LIMIT_LARGE_BLOCKS} for a file
   * with larger blocks); past it DuckDB spills to `<file>.tmp`.
   */
  readonly memoryLimit?: string;
}

/**
 * DuckDB's `memory_limit` for a warehouse file with {@link BLOCK_SIZE} blocks. A load appends a batch into the table
 * and its COMMIT pins a block of every column (~300), so what a load needs scales with the block size: at 256 KiB
 * blocks 128-192 MB failed in COMMIT, at 64 KiB 96 MB carries 10,000-event batches (128 MB reached 556 MB peak RSS
 * by 360,000 events, docs/performance.md). Without a limit the buffer pool kept blocks of the growing table.
 */
export const DUCKDB_MEMORY_LIMIT = '96MB';

/**
 * The limit while a load only reads (its checks and counts, before it appends). Those queries join the batch's keys
 * with the whole table, and the blocks they read stayed cached up to the full limit, on top of what the append then
 * needs: +64 MB per load by 1,000,000 rows. Lowered before the transaction (nothing is pinned then, so the cache is
 * evicted down to it) and raised back before the append (raising cannot fail). A load whose reads need more (a
 * second backfill of every item did) runs out of memory, is rolled back and run again under the full limit.
 */
export const DUCKDB_READ_MEMORY_LIMIT = '32MB';

/** The limit for a warehouse created before {@link BLOCK_SIZE} (256 KiB blocks: four times the pinned bytes). */
export const DUCKDB_MEMORY_LIMIT_LARGE_BLOCKS = '512MB';

/** Block size of a new warehouse file (DuckDB's default is 256 KiB); an existing file keeps its own. */
export const BLOCK_SIZE = 65_536;

/**
 * Engine settings. RSS: one thread (loads are appends; each thread holds its own buffers), and memory DuckDB's
 * allocator frees is returned to the system after each task above 16 MB, not kept for later. Time: no vacuum in
 * checkpoints. Each load commits fewer rows than a row group holds, and the checkpoint's vacuum merged those
 * under-filled row groups again and again, at a cost growing with the table: at 100,000 bench events (10 loads of
 * 10,000) COMMIT took 10.0 s in total, without vacuum 2.6 s, and the file shrank from 102 to 81 MB. The price: rows
 * a newer version replaced are not compacted away (their row groups keep the deletion marks).
 */
const ENGINE_SETTINGS = {
  threads: '1',
  allocator_flush_threshold: '16MB',
  allocator_background_threads: 'true',
  max_vacuum_tasks: '0',
} as const;

/** The catalog name the database file is attached under (and made the default with USE). */
export const CATALOG = 'warehouse';

/**
 * Rows per DuckDB row group (DuckDB's default is 122,880). Every COMMIT checkpoints, and a checkpoint rewrites the
 * table's last, partly filled row group: on a table with hundreds of columns that rewrite costs time and memory
 * in proportion to the row group. Measured at 100,000 bench events (288 columns, batches of 20,000): COMMIT time
 * 11.5 s -> 2.7 s in total and peak RSS 991 -> 686 MB; 8,192 was not better.
 */
export const ROW_GROUP_SIZE = 16_384;

export interface Warehouse {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  /** Whether loads read under {@link DUCKDB_READ_MEMORY_LIMIT} (the default limit on a small-block file). */
  readonly readLimited: boolean;
}

/**
 * A DuckDB instance with the warehouse file attached as {@link CATALOG}, under the memory settings above.
 *
 * @example
 * const { instance, connection } = await openWarehouse('./data/warehouse.duckdb', {});
 */
export async function openWarehouse(path: string, options: WarehouseOptions): Promise<Warehouse> {
  // The file is attached (rather than opened) so that its row group size can be set; spills go next to it.
  // An in-memory warehouse keeps the whole table in DuckDB's buffer pool: no file to spill to, so no tight limit
  // (DuckDB's default applies); the limit bounds what a file-backed load holds on to.
  const limit = options.memoryLimit ?? (path === ':memory:' ? undefined : DUCKDB_MEMORY_LIMIT);
  const instance = await DuckDBInstance.create(':memory:', {
    ...ENGINE_SETTINGS,
    ...(limit === undefined ? {} : { memory_limit: limit }),
    default_block_size: String(BLOCK_SIZE),
    ...(path === ':memory:' ? {} : { temp_directory: `${path}.tmp` }),
  });
  const connection = await instance.connect();
  let readLimited = false;
  try {
    await connection.run(
      `ATTACH ${quoteLiteral(path)} AS ${quoteIdent(CATALOG)} (ROW_GROUP_SIZE ${ROW_GROUP_SIZE})`,
    );
    await connection.run(`USE ${quoteIdent(CATALOG)}`);
    if (
      limit !== undefined &&
      options.memoryLimit === undefined &&
      (await blockSize(connection)) > BLOCK_SIZE
    ) {
      await connection.run(`SET memory_limit = ${quoteLiteral(DUCKDB_MEMORY_LIMIT_LARGE_BLOCKS)}`);
    } else {
      readLimited = limit === DUCKDB_MEMORY_LIMIT && options.memoryLimit === undefined;
    }
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  return { instance, connection, readLimited };
}

/** DuckDB's error when a query cannot get the memory it needs under `memory_limit`. */
export function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && /Out of Memory Error/.test(error.message);
}

/** Block size of the attached warehouse file (0 in memory). */
async function blockSize(connection: DuckDBConnection): Promise<number> {
  const reader = await connection.runAndReadAll(
    'SELECT block_size FROM pragma_database_size() WHERE database_name = $1',
    [CATALOG],
  );
  return Number(reader.getRows()[0]?.[0] ?? 0);
}
