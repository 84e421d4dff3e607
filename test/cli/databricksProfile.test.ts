import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const CFG = join(tmp.path, 'databrickscfg');
writeFileSync(
  CFG,
  [
    '; as the Databricks CLI writes it',
    '[DEFAULT]',
    'host = https://dbc-default.cloud.databricks.com',
    'token = dapi-default-secret',
    '',
    '[staging]',
    'host = https://dbc-staging.cloud.databricks.com',
    'client_id = sp-id',
    'client_secret = sp-secret',
    'warehouse_id = wh-from-profile',
  ].join('\n'),
);

describe('Databricks configuration as the Databricks CLI reads it', () => {
  it('deploy --dry-run takes host and warehouse from --profile, and prints no credential', async () => {
    // Act
    const r = await cli(['deploy', 'databricks', '--dry-run', '--profile', 'staging'], {
      DATABRICKS_CONFIG_FILE: CFG,
    });
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Against https://dbc-staging.cloud.databricks.com');
    expect(r.stdout).toContain('warehouse wh-from-profile');
    expect(r.stdout + r.stderr).not.toMatch(/sp-secret|dapi-default-secret/);
  });

  it('DATABRICKS_HOST and DATABRICKS_WAREHOUSE_ID (environment) win over the DEFAULT profile', async () => {
    // Act
    const r = await cli(['deploy', 'databricks', '--dry-run'], {
      DATABRICKS_CONFIG_FILE: CFG,
      DATABRICKS_HOST: 'https://dbc-env.cloud.databricks.com',
      DATABRICKS_WAREHOUSE_ID: 'wh-env',
    });
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Against https://dbc-env.cloud.databricks.com');
    expect(r.stdout).toContain('warehouse wh-env');
  });

  it('a profile asked for by name that does not exist is a configuration error naming it, the file and the doc', async () => {
    // Act
    const r = await cli(['doctor', 'databricks'], {
      DATABRICKS_CONFIG_FILE: CFG,
      DATABRICKS_CONFIG_PROFILE: 'prod',
    });
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Databricks profile 'prod' not found in ${CFG}`);
    expect(r.stderr).toContain('docs/databricks.md');
  });
});
