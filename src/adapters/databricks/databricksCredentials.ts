import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';

/** How the pipeline authenticates: OAuth M2M (service principal, preferred) or a personal access token. */
export type DatabricksCredentials =
  | { readonly kind: 'oauth-m2m'; readonly clientId: string; readonly clientSecret: string }
  | { readonly kind: 'pat'; readonly token: string };

/** The Secrets Manager secret: a JSON object with `client_id` + `client_secret`, or `token`. */
const secretShape = z.union([
  z.object({ client_id: z.string().min(1), client_secret: z.string().min(1) }),
  z.object({ token: z.string().min(1) }),
]);

export function credentialsFromSecret(secretString: string): DatabricksCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new ConfigError(
      'Databricks secret is not JSON: expected {"client_id","client_secret"} or {"token"}',
    );
  }
  const result = secretShape.safeParse(parsed);
  if (!result.success) {
    throw new ConfigError(
      'Databricks secret must hold {"client_id","client_secret"} or {"token"} (non-empty)',
    );
  }
  const v = result.data;
  return 'token' in v
    ? { kind: 'pat', token: v.token }
    : { kind: 'oauth-m2m', clientId: v.client_id, clientSecret: v.client_secret };
}

/** Reads a secret's string value (injected: Secrets Manager in AWS, a stub in tests). */
export type SecretReader = (secretArn: string) => Promise<string>;

export const secretsManagerReader: SecretReader = async (secretArn) => {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!out.SecretString) throw new ConfigError(`secret ${secretArn} has no string value`);
    return out.SecretString;
  } finally {
    client.destroy();
  }
};

/**
 * Credentials from the secret named by `TELEMETRY_DATABRICKS_SECRET_ARN` (Lambda) or, for local use only, from
 * `DATABRICKS_CLIENT_ID`/`DATABRICKS_CLIENT_SECRET` or `DATABRICKS_TOKEN` (refused inside Lambda). Never logged.
 */
export async function resolveCredentials(
  env: NodeJS.ProcessEnv,
  readSecret: SecretReader = secretsManagerReader,
): Promise<DatabricksCredentials> {
  const arn = env.TELEMETRY_DATABRICKS_SECRET_ARN?.trim();
  if (arn) return credentialsFromSecret(await readSecret(arn));
  if (env.AWS_LAMBDA_FUNCTION_NAME) {
    throw new ConfigError(
      'in Lambda, Databricks credentials come from Secrets Manager: set TELEMETRY_DATABRICKS_SECRET_ARN',
    );
  }
  const clientId = env.DATABRICKS_CLIENT_ID?.trim();
  const clientSecret = env.DATABRICKS_CLIENT_SECRET?.trim();
  if (clientId && clientSecret) return { kind: 'oauth-m2m', clientId, clientSecret };
  const token = env.DATABRICKS_TOKEN?.trim();
  if (token) return { kind: 'pat', token };
  throw new ConfigError(
    'no Databricks credentials: set TELEMETRY_DATABRICKS_SECRET_ARN (AWS) or, locally, ' +
      'DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET (service principal) or DATABRICKS_TOKEN',
  );
}
