import { describe, expect, it } from 'vitest';
import { DEFAULT_SQL_FILE_PATH, deployPlan } from '../../../src/adapters/databricks/deployPlan.js';
import { sqlString } from '../../../src/adapters/databricks/jobSql.js';

const input = {
  table: 'main.telemetry.car_telemetry_flattened',
  warehouseId: 'wh-1',
  jobName: 'telemetry-load',
  sqlFilePath: DEFAULT_SQL_FILE_PATH,
};

describe('deploy plan', () => {
  it('the job SQL file is the one-batch load (test/adapters/databricks/loadSql.test.ts)', () => {
    expect(deployPlan(input).sqlFile.content).toContain('read_files(:rows_path');
  });

  it('job settings: one SQL file task taking the batch as job parameters, queueing, one run at a time, no schedule (the warehouse can stop)', () => {
    const settings = deployPlan(input).jobSettings;
    expect(settings).toMatchObject({
      name: 'telemetry-load',
      max_concurrent_runs: 1,
      queue: { enabled: true },
      parameters: [
        { name: 'batch_id', default: '' },
        { name: 'rows_path', default: '' },
        { name: 'deletes_path', default: '' },
        { name: 'manifest_path', default: '' },
      ],
      tasks: [
        { sql_task: { warehouse_id: 'wh-1', file: { path: DEFAULT_SQL_FILE_PATH, source: 'WORKSPACE' } } },
      ],
    });
    expect(settings.schedule).toBeUndefined();
    expect(settings.trigger).toBeUndefined();
    expect(settings.run_as).toBeUndefined();
  });

  it('refuses a table name that is not catalog.schema.table', () => {
    expect(() => deployPlan({ ...input, table: 'telemetry.t' })).toThrow(/catalog\.schema\.table/);
    expect(() => deployPlan({ ...input, table: 'main.tele`metry.t' })).toThrow(/catalog\.schema\.table/);
  });

  it('escapes configuration baked into SQL literals', () => {
    expect(sqlString("s3://b/it's\\x/")).toBe("'s3://b/it\\'s\\\\x/'");
  });
});
