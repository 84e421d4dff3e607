/** A stored lease version: its bytes and the ETag a conditional write names. */
export interface LeaseVersion {
  readonly body: Uint8Array;
  readonly etag: string;
}

/**
 * The port the lease needs: writes that succeed only if the key is absent (`If-None-Match: *`) or still at a
 * known version (`If-Match: <etag>`). S3 honours both on PutObject; `false` means the condition failed.
 */
export interface LeaseStore {
  putIf(
    key: string,
    body: Uint8Array,
    condition: { ifNoneMatch: '*' } | { ifMatch: string },
  ): Promise<string | false>;
  readVersion(key: string): Promise<LeaseVersion | undefined>;
  delete(key: string): Promise<void>;
}
