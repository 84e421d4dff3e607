import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  applyOverrides,
  CONFIG_OVERRIDES,
  EXAMPLE_CONFIG_FILE,
  loadInfraConfig,
} from '../../infra/lib/loadInfraConfig.js';
import { ConfigError } from '../../src/core/errors.js';

const example = (): Record<string, unknown> => JSON.parse(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8'));
const REAL_SECRET = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:prod/databricks-Xy12Zw';

describe('loadInfraConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'telemetry-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (content: unknown): string => {
    const file = join(dir, 'config.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  test('the shipped example loads with defaults filled in, so `npm run synth` needs no editing', () => {
    const config = loadInfraConfig({ env: {} });
    expect(config.example).toBe(true);
    expect(config.table).toMatchObject({ mode: 'import', name: 'chargeminder-car-telemetry' });
    expect(config.bucket).toMatchObject({
      rawPrefix: 'telemetry/',
      archivePrefix: 'archive/telemetry/',
      quarantinePrefix: 'quarantine/telemetry/',
      stagedPrefix: 'staged/',
      noncurrentExpireAfterDays: 7,
    });
    expect(config.capture.parallelizationFactor).toBe(1);
    expect(config.process.schedule).toBe('rate(5 minutes)');
  });

  test('deploying refuses the example (its ARNs and hosts are placeholders)', () => {
    expect(() => loadInfraConfig({ env: {}, forDeploy: true })).toThrow(/example config/);
    const file = write({ ...example(), example: false });
    expect(loadInfraConfig({ file, env: {}, forDeploy: true }).example).toBe(false);
  });

  test('TELEMETRY_DEPLOY_CONFIG picks the file and TELEMETRY_DEPLOY_* variables override fields', () => {
    const file = write({ ...example(), example: false });
    const config = loadInfraConfig({
      env: {
        TELEMETRY_DEPLOY_CONFIG: file,
        TELEMETRY_DEPLOY_BUCKET: 'prod-telemetry-bucket',
        TELEMETRY_DEPLOY_DATABRICKS_SECRET_ARN: REAL_SECRET,
        TELEMETRY_DEPLOY_LOAD_MODE: 'direct',
        TELEMETRY_DEPLOY_SCHEDULE: 'rate(2 minutes)',
        TELEMETRY_DEPLOY_ALARM_EMAIL: '  ops@example.com ',
        TELEMETRY_DEPLOY_REGION: '',
      },
    });
    expect(config.bucket.name).toBe('prod-telemetry-bucket');
    expect(config.databricks.secretArn).toBe(REAL_SECRET);
    expect(config.databricks.loadMode).toBe('direct');
    expect(config.process.schedule).toBe('rate(2 minutes)');
    expect(config.alarms.email).toBe('ops@example.com');
    expect(config.region).toBeUndefined();
  });

  test('every override variable maps to a field the schema knows', () => {
    for (const [variable, path] of Object.entries(CONFIG_OVERRIDES)) {
      expect(variable).toMatch(/^TELEMETRY_DEPLOY_[A-Z_]+$/);
      const raw = applyOverrides({}, { [variable]: 'x' });
      let node: unknown = raw;
      for (const key of path) node = (node as Record<string, unknown>)[key];
      expect(node, variable).toBe('x');
    }
  });

  test('a fresh environment can create the table instead of importing it', () => {
    const file = write({ ...example(), table: { mode: 'create' } });
    expect(loadInfraConfig({ file, env: {} }).table).toEqual({
      mode: 'create',
      name: 'chargeminder-car-telemetry',
    });
  });

  test.each([
    ['import without a stream ARN', { table: { mode: 'import' } }, /table\.streamArn: is required/],
    [
      "another table's stream",
      {
        table: { mode: 'import', streamArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/other/stream/x' },
      },
      /table\.streamArn: is not a stream of table "chargeminder-car-telemetry"/,
    ],
    [
      'a partial secret ARN',
      {
        databricks: {
          ...(example().databricks as object),
          secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
        },
      },
      /databricks\.secretArn: must be the complete secret ARN/,
    ],
    [
      'an http Databricks host',
      { databricks: { ...(example().databricks as object), host: 'http://dbc.example.com' } },
      /databricks\.host: must be an https/,
    ],
    [
      'a prefix without "/"',
      { bucket: { rawPrefix: 'telemetry' } },
      /bucket\.rawPrefix: must be empty or end/,
    ],
    ['a batch size beyond 10000', { capture: { batchSize: 20_000 } }, /capture\.batchSize/],
    ['a malformed schedule', { process: { schedule: 'every 5 minutes' } }, /process\.schedule: must be rate/],
    ['an unsupported log retention', { logRetentionDays: 10 }, /logRetentionDays: must be one of/],
    [
      'an upper-case bucket name',
      { bucket: { name: 'My_Bucket' } },
      /bucket\.name: must be a valid S3 bucket name/,
    ],
  ])('rejects %s with a message naming the field', (_label, patch, message) => {
    const file = write({ ...example(), ...patch });
    expect(() => loadInfraConfig({ file, env: {} })).toThrow(message);
  });

  test('names every problem at once', () => {
    const file = write({ databricks: {}, capture: { batchSize: 0 } });
    const error = (() => {
      try {
        loadInfraConfig({ file, env: {} });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const path of [
      'databricks.host',
      'databricks.warehouseId',
      'databricks.secretArn',
      'table.streamArn',
      'capture.batchSize',
    ]) {
      expect(message).toContain(path);
    }
  });

  test('an unreadable or non-object file is a ConfigError naming the file', () => {
    expect(() => loadInfraConfig({ file: join(dir, 'missing.json'), env: {} })).toThrow(
      /cannot read .*missing\.json/,
    );
    expect(() => loadInfraConfig({ file: write('{ not json'), env: {} })).toThrow(ConfigError);
    expect(() => loadInfraConfig({ file: write('[1, 2]'), env: {} })).toThrow(/must hold a JSON object/);
  });
});
