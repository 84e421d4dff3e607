import { PassThrough, type Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { errorMessage, TransientError } from '../../core/errors.js';
import type { LeaseStore, LeaseVersion } from '../../ports/LeaseStore.js';
import { type ObjectInfo, ObjectNotFoundError, type ObjectStore } from '../../ports/ObjectStore.js';

export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** Any S3-compatible server (the local S3 of `telemetry dev`); unset on AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Attempts per request, SDK retries included (default: the SDK's 3). */
  readonly maxAttempts?: number;
  /** A ready client (tests, shared clients); endpoint/region/maxAttempts are then ignored. */
  readonly client?: S3Client;
  /** Keys per listing page (S3's default and maximum: 1000). */
  readonly pageSize?: number;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** Everything except a missing key is infrastructure trouble: the caller retries the unit of work. */
function transient(action: string, key: string, error: unknown): TransientError {
  return new TransientError(`S3 ${action} ${key}: ${errorMessage(error)}`, error);
}

/**
 * The SDK client for a bucket; path-style addressing whenever a custom endpoint is used. Without a region the SDK's
 * own chain decides (AWS_REGION, the profile's region), as the AWS CLI does; a local S3 server accepts any region.
 */
export function createS3Client(options: Omit<S3ObjectStoreOptions, 'bucket' | 'client'>): S3Client {
  const region = options.region ?? (options.endpoint ? 'us-east-1' : undefined);
  const config: S3ClientConfig = region ? { region } : {};
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    config.forcePathStyle = true;
  }
  if (options.maxAttempts !== undefined) config.maxAttempts = options.maxAttempts;
  return new S3Client(config);
}

/**
 * S3 (or any S3-compatible server) as the object store. Keys are object keys in one bucket; `list` relies on
 * S3 returning keys in ascending UTF-8 order, page by page. A missing key is {@link ObjectNotFoundError}; every
 * other failure is a {@link TransientError} (retry the whole unit of work).
 *
 * @example
 * const store = new S3ObjectStore({ bucket: 'telemetry-raw', endpoint: 'http://127.0.0.1:4569' });
 * for await (const o of store.list('telemetry/')) console.log(o.key, o.size);
 */
export class S3ObjectStore implements ObjectStore, LeaseStore {
  readonly bucket: string;
  readonly client: S3Client;
  readonly #pageSize: number | undefined;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.#pageSize = options.pageSize;
    this.client = options.client ?? createS3Client(options);
  }

  async put(key: string, body: Uint8Array, options: { contentType?: string } = {}): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.byteLength,
          ...(options.contentType ? { ContentType: options.contentType } : {}),
        }),
      );
    } catch (error) {
      throw transient('put', key, error);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const stream = await this.getStream(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<Readable> {
    let body: unknown;
    try {
      body = (await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))).Body;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw transient('get', key, error);
    }
    const stream = body as Readable | undefined;
    if (!stream || typeof stream.pipe !== 'function')
      throw transient('get', key, 'response has no body stream');
    // A connection dropped mid-body is infrastructure trouble, not a corrupt object.
    const out = new PassThrough();
    stream.on('error', (error) => out.destroy(transient('read', key, error)));
    out.on('close', () => stream.destroy());
    return stream.pipe(out);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: r.ContentLength ?? 0, lastModified: r.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw transient('head', key, error);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            ...(this.#pageSize ? { MaxKeys: this.#pageSize } : {}),
          }),
        );
      } catch (error) {
        throw transient('list', prefix, error);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    // CopySource is "bucket/key", URL-encoded (slashes may stay).
    const source = `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`;
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: source }));
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(fromKey);
      throw transient('copy', fromKey, error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw transient('delete', key, error);
    }
  }

  /** Conditional PutObject; `false` on 412 Precondition Failed (or 409 for a concurrent conditional write). */
  async putIf(
    key: string,
    body: Uint8Array,
    condition: { ifNoneMatch: '*' } | { ifMatch: string },
  ): Promise<string | false> {
    try {
      const r = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: 'application/json',
          ...('ifNoneMatch' in condition ? { IfNoneMatch: '*' } : { IfMatch: condition.ifMatch }),
        }),
      );
      return r.ETag ?? '';
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw transient('conditional put', key, error);
    }
  }

  async readVersion(key: string): Promise<LeaseVersion | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        body: await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        etag: r.ETag ?? '',
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw transient('get', key, error);
    }
  }

  describe(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}
