import { describe, expect, it } from 'vitest';
import { DEFAULT_SQL_FILE_PATH, deployPlan } from '../../../src/adapters/databricks/deployPlan.js';
import { sqlString } from '../../../src/adapters/databricks/jobSql.js';

const input = {
  table: 'main.telemetry.car_telemetry_flattened',
  warehouseId: 'wh-1',
  jobName: 'telemetry-load',
  stagedUrl: 's3://telemetry-bucket/staged/',
  sqlFilePath: DEFAULT_SQL_FILE_PATH,
  trigger: 'schedule' as const,
};

describe('deploy plan', () => {
  it('the job SQL file loads every pending batch (golden)', async () => {
    await expect(deployPlan(input).sqlFile.content).toMatchFileSnapshot('__golden__/job-load-pending.sql');
  });

  it('job settings: one SQL file task, queueing, one run at a time, an hourly safety schedule (the warehouse can stop) or file arrival', () => {
    const scheduled = deployPlan(input).jobSettings;
    expect(scheduled).toMatchObject({
      name: 'telemetry-load',
      max_concurrent_runs: 1,
      queue: { enabled: true },
      schedule: { quartz_cron_expression: '0 0 * * * ?', timezone_id: 'UTC' },
      tasks: [
        { sql_task: { warehouse_id: 'wh-1', file: { path: DEFAULT_SQL_FILE_PATH, source: 'WORKSPACE' } } },
      ],
    });
    expect(scheduled.trigger).toBeUndefined();
    expect(scheduled.run_as).toBeUndefined();
    const arrival = deployPlan({ ...input, trigger: 'file-arrival' }).jobSettings;
    expect(arrival.schedule).toBeUndefined();
    expect(arrival.trigger).toMatchObject({ file_arrival: { url: 's3://telemetry-bucket/staged/' } });
    const none = deployPlan({ ...input, trigger: 'none' }).jobSettings;
    expect(none.schedule).toBeUndefined();
    expect(none.trigger).toBeUndefined();
  });

  it('refuses a table name that is not catalog.schema.table', () => {
    expect(() => deployPlan({ ...input, table: 'telemetry.t' })).toThrow(/catalog\.schema\.table/);
    expect(() => deployPlan({ ...input, table: 'main.tele`metry.t' })).toThrow(/catalog\.schema\.table/);
  });

  it('escapes configuration baked into SQL literals', () => {
    expect(sqlString("s3://b/it's\\x/")).toBe("'s3://b/it\\'s\\\\x/'");
  });
});
