/** The local AWS of `telemetry dev` and the tests. s3rver checks signatures against this fixed key pair; DynamoDB Local (-sharedDb) accepts any. No real secret. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';
export const DEV_TABLE = 'chargeminder-car-telemetry';
export const DEV_BUCKET = 'chargeminder-telemetry';
