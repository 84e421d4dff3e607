import { App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { errorMessage } from '../../src/core/errors.js';
import { FEATURE_FLAGS } from '../lib/featureFlags.js';
import { loadInfraConfig } from '../lib/loadInfraConfig.js';
import { TelemetryStack } from '../lib/TelemetryStack.js';

/**
 * The CDK app: `npm run synth` (example config, offline), `npm run deploy` / `npm run diff` (your config, via
 * TELEMETRY_DEPLOY_CONFIG). Context `telemetry:deploy=true` (set by those scripts) refuses the example config.
 */
const app = new App({ context: FEATURE_FLAGS });
let config: ReturnType<typeof loadInfraConfig>;
try {
  config = loadInfraConfig({ forDeploy: String(app.node.tryGetContext('telemetry:deploy')) === 'true' });
} catch (error) {
  process.stderr.write(`${errorMessage(error)}\n`);
  process.exit(1);
}
new TelemetryStack(app, config.stackName, {
  config,
  description: 'ChargeMinder telemetry pipeline: DynamoDB stream -> S3 -> Databricks',
  ...(config.account || config.region ? { env: { account: config.account, region: config.region } } : {}),
});
Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
