import { Aws } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';

/**
 * IAM statements for one bucket addressed by name (never by a reference to the bucket resource, so the
 * bucket can notify a function whose role is granted here without a dependency cycle).
 */
export class BucketAccess {
  readonly bucketArn: string;

  constructor(readonly bucketName: string) {
    this.bucketArn = `arn:${Aws.PARTITION}:s3:::${bucketName}`;
  }

  /** Objects under one prefix (`telemetry/` -> `arn:...:bucket/telemetry/*`). */
  objectsArn(prefix: string): string {
    return `${this.bucketArn}/${prefix}*`;
  }

  /** Object-level actions on the given prefixes only. */
  objects(actions: readonly string[], prefixes: readonly string[]): PolicyStatement {
    return new PolicyStatement({
      effect: Effect.ALLOW,
      actions: [...actions],
      resources: prefixes.map((p) => this.objectsArn(p)),
    });
  }

  /** Object-level actions on one exact key (no wildcard). */
  object(actions: readonly string[], key: string): PolicyStatement {
    return new PolicyStatement({
      effect: Effect.ALLOW,
      actions: [...actions],
      resources: [`${this.bucketArn}/${key}`],
    });
  }

  /** ListBucket on this bucket (also turns a missing key into 404 instead of 403 for GetObject). */
  list(): PolicyStatement {
    return new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['s3:ListBucket'],
      resources: [this.bucketArn],
    });
  }
}
