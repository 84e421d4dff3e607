/**
 * CDK feature flags the stack relies on. The app and the tests both pass them to `new App({ context })`, so a
 * template synthesized in a test is the template `npm run synth` produces.
 */
export const FEATURE_FLAGS: Readonly<Record<string, boolean>> = {
  // Access-log delivery through a bucket policy (works with bucket-owner-enforced ownership, no ACLs).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  // CloudFormation schema violations found by CDK's built-in template validation fail the synth.
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  '@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages': true,
};
