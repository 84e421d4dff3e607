import { describe, expect, it } from 'vitest';
import {
  credentialsFromSecret,
  resolveCredentials,
} from '../../../src/adapters/databricks/databricksCredentials.js';
import { ConfigError } from '../../../src/core/errors.js';

describe('Databricks credentials', () => {
  it('reads a service principal or a token from the secret JSON', () => {
    expect(credentialsFromSecret('{"client_id":"id","client_secret":"s3cr3t"}')).toEqual({
      kind: 'oauth-m2m',
      clientId: 'id',
      clientSecret: 's3cr3t',
    });
    expect(credentialsFromSecret('{"token":"dapi1"}')).toEqual({ kind: 'pat', token: 'dapi1' });
  });

  it.each([
    ['not json', 'dapi-raw-value'],
    ['wrong shape', '{"password":"hunter2-value"}'],
    ['empty secret', '{"client_id":"id","client_secret":""}'],
  ])('rejects a secret that is %s without echoing it', (_, text) => {
    const error = (() => {
      try {
        credentialsFromSecret(text);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).not.toMatch(/dapi-raw-value|hunter2-value/);
  });

  it('prefers the secret ARN; locally falls back to DATABRICKS_* variables', async () => {
    const read = async (arn: string) => (arn === 'arn:s' ? '{"token":"from-secret"}' : '');
    expect(
      await resolveCredentials({ TELEMETRY_DATABRICKS_SECRET_ARN: 'arn:s', DATABRICKS_TOKEN: 'env' }, read),
    ).toEqual({ kind: 'pat', token: 'from-secret' });
    expect(await resolveCredentials({ DATABRICKS_CLIENT_ID: 'id', DATABRICKS_CLIENT_SECRET: 'sec' })).toEqual(
      {
        kind: 'oauth-m2m',
        clientId: 'id',
        clientSecret: 'sec',
      },
    );
    expect(await resolveCredentials({ DATABRICKS_TOKEN: 't' })).toEqual({ kind: 'pat', token: 't' });
    await expect(resolveCredentials({})).rejects.toThrow(/no Databricks credentials/);
  });

  it('two methods at once are refused, as the Databricks SDKs do, unless DATABRICKS_AUTH_TYPE picks one', async () => {
    const both = { DATABRICKS_CLIENT_ID: 'id', DATABRICKS_CLIENT_SECRET: 'sec', DATABRICKS_TOKEN: 't' };
    await expect(resolveCredentials(both)).rejects.toThrow(/more than one Databricks authorization method/);
    expect(await resolveCredentials({ ...both, DATABRICKS_AUTH_TYPE: 'pat' })).toEqual({
      kind: 'pat',
      token: 't',
    });
    expect(await resolveCredentials({ ...both, DATABRICKS_AUTH_TYPE: 'oauth-m2m' })).toMatchObject({
      kind: 'oauth-m2m',
    });
    await expect(
      resolveCredentials({ DATABRICKS_TOKEN: 't', DATABRICKS_AUTH_TYPE: 'oauth-m2m' }),
    ).rejects.toThrow(/DATABRICKS_CLIENT_ID \+ DATABRICKS_CLIENT_SECRET are not set/);
  });

  it('refuses plain environment credentials inside Lambda', async () => {
    await expect(
      resolveCredentials({ AWS_LAMBDA_FUNCTION_NAME: 'f', DATABRICKS_TOKEN: 't' }),
    ).rejects.toThrow(/come from Secrets Manager/);
  });
});
