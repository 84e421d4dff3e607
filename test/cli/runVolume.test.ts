import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.js';

// README, "From a laptop: stage to a volume": the choice is explicit and checked before any work.
// The load through a volume runs on the local Spark + Delta engine: test/cli/runVolume.spark.test.ts.
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const workspace = {
  DATABRICKS_CONFIG_FILE: `${tmp.path}/no-databrickscfg`,
  DATABRICKS_HOST: 'https://dbc-1234abcd-5678.cloud.databricks.com',
  DATABRICKS_WAREHOUSE_ID: 'wh-1',
  DATABRICKS_TOKEN: 'dapi-never-sent',
};

describe('telemetry run --sink databricks --stage-volume', () => {
  it('stops before doing any work on a volume path that is not one, naming the variable, an example and the doc', async () => {
    // Prepare
    const data = `${tmp.path}/bad-volume`;
    const args = ['run', '--sink', 'databricks', '--events', '20', '--data-dir', data];
    // Act
    const fromEnv = await cli(args, { ...workspace, TELEMETRY_DATABRICKS_VOLUME: '/Volumes/main/telemetry' });
    const fromFlag = await cli([...args, '--stage-volume', 's3://bucket/staging'], workspace);
    // Assess
    for (const r of [fromEnv, fromFlag]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--sink databricks cannot work yet (nothing was done)');
      expect(r.stderr).toMatch(
        /TELEMETRY_DATABRICKS_VOLUME: not a volume path \/Volumes\/<catalog>\/<schema>\/<volume>/,
      );
      expect(r.stderr).toContain('docs/databricks.md#from-a-laptop-stage-to-a-volume');
      expect(r.stderr).not.toContain('dapi-never-sent');
    }
    expect(fromFlag.stderr).toContain("'s3://bucket/staging'");
    expect(existsSync(`${data}/raw`)).toBe(false);
  });

  it('offers the volume next to the bucket when a real workspace has neither', async () => {
    // Act
    const r = await cli(['run', '--sink', 'databricks', '--data-dir', `${tmp.path}/neither`], workspace);
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TELEMETRY_BUCKET: not set: the workspace at https:\/\/dbc-/);
    expect(r.stderr).toMatch(
      /TELEMETRY_DATABRICKS_VOLUME: not set either .*export TELEMETRY_DATABRICKS_VOLUME=\/Volumes\/<catalog>\/<schema>\/<volume>/,
    );
  });

  it('is refused without --sink databricks', async () => {
    // Act
    const r = await cli(['run', '--stage-volume', '/Volumes/main/t/v', '--data-dir', `${tmp.path}/duck`]);
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--stage-volume is for --sink databricks');
  });
});
