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
  const token = env.DATABRICKS_TOKEN?.trim();
  const oauth =
    clientId && clientSecret ? ({ kind: 'oauth-m2m', clientId, clientSecret } as const) : undefined;
  const pat = token ? ({ kind: 'pat', token } as const) : undefined;
  // As the Databricks SDKs (unified auth): DATABRICKS_AUTH_TYPE picks one; two methods without it are an error.
  const authType = env.DATABRICKS_AUTH_TYPE?.trim();
  if (authType === 'pat' || authType === 'oauth-m2m') {
    const chosen = authType === 'pat' ? pat : oauth;
    if (chosen) return chosen;
    throw new ConfigError(
      `DATABRICKS_AUTH_TYPE=${authType} but ${authType === 'pat' ? 'DATABRICKS_TOKEN is' : 'DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET are'} not set`,
    );
  }
  if (authType)
    throw new ConfigError(`DATABRICKS_AUTH_TYPE=${authType} is not supported here: use pat or oauth-m2m`);
  if (oauth && pat) {
    throw new ConfigError(
      'more than one Databricks authorization method is configured (DATABRICKS_TOKEN and DATABRICKS_CLIENT_ID + ' +
        'DATABRICKS_CLIENT_SECRET), which the Databricks SDKs refuse too: unset one, or set DATABRICKS_AUTH_TYPE=pat or oauth-m2m',
    );
  }
  if (oauth) return oauth;
  if (pat) return pat;
  throw new ConfigError(
    'no Databricks credentials: set TELEMETRY_DATABRICKS_SECRET_ARN (AWS) or, locally, ' +
      'DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET (service principal) or DATABRICKS_TOKEN',
  );
}
