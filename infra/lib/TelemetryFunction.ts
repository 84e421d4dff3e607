import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type IRole, type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IDestination, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { cfnText } from './cfnText.js';

/** Lambdas never import DuckDB (a native addon for the local CLI); it must not reach a bundle. */
export const BUNDLE_EXTERNALS = ['@duckdb/node-api'];

/** Bundled ESM still meets CommonJS dependencies that call `require`. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __telemetryRequire } from 'node:module'; const require = __telemetryRequire(import.meta.url);";

export interface TelemetryFunctionProps {
  readonly functionName: string;
  readonly description: string;
  /** TypeScript entry exporting `handler`. */
  readonly entry: string;
  readonly projectRoot: string;
  readonly environment: Record<string, string>;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly logRetention: RetentionDays;
  /** Everything the function may do besides writing its own logs. */
  readonly statements: readonly PolicyStatement[];
  readonly reservedConcurrency?: number;
  /** Asynchronous invocation settings (schedule, S3 notifications). */
  readonly retryAttempts?: number;
  readonly maxEventAge?: Duration;
  readonly onFailure?: IDestination;
}

/**
 * A pipeline Lambda: nodejs24.x on arm64, bundled by the locally installed esbuild (no Docker), with its own
 * role (inline statements only, no AWS managed policies) and its own log group with retention.
 */
export class TelemetryFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: IRole;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TelemetryFunctionProps) {
    super(scope, id);
    // Named where Lambda users look for it; deleted with the stack, so a redeploy can create it again.
    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}`,
    });
    this.logGroup.grantWrite(role);
    for (const statement of props.statements) role.addToPolicy(statement);
    this.role = role;
    acknowledgeScopedWildcards(role, props.statements);

    this.fn = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      role,
      logGroup: this.logGroup,
      environment: props.environment,
      reservedConcurrentExecutions: props.reservedConcurrency,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: props.onFailure,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        keepNames: true,
        sourceMap: false,
        bundleAwsSDK: true,
        externalModules: BUNDLE_EXTERNALS,
      },
    });
    // The function must not start logging before its role may write to the log group.
    this.fn.node.addDependency(role);
  }
}

/**
 * Every wildcard this project grants is a key pattern inside one named resource: objects under one prefix of
 * one bucket, or the streams of one table. cdk-nag's IAM5 flags each; acknowledge each with its reason.
 */
function acknowledgeScopedWildcards(role: Role, statements: readonly PolicyStatement[]): void {
  const stack = Stack.of(role);
  const seen = new Set<string>();
  for (const statement of statements) {
    for (const resource of statement.resources) {
      const flat = cfnText(stack.resolve(resource));
      if (!flat.includes('*') || seen.has(flat)) continue;
      seen.add(flat);
      const reason = flat.includes(':dynamodb:')
        ? 'dynamodb:ListStreams on the streams of the one source table (the stream label changes when the ' +
          'stream is re-enabled); the read actions name the exact stream ARN.'
        : 'Object-level S3 actions on keys under one prefix of one bucket: the keys are created at run time, ' +
          'so a policy can only name their prefix.';
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
    }
  }
}
