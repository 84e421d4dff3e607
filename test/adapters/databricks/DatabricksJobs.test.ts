import { afterEach, describe, expect, it } from 'vitest';
import { DatabricksError } from '../../../src/adapters/databricks/DatabricksError.js';
import { DatabricksJobs } from '../../../src/adapters/databricks/DatabricksJobs.js';
import { ConfigError } from '../../../src/core/errors.js';
import { type DatabricksWorld, databricksWorld } from '../../support/databricksHarness.js';

let world: DatabricksWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('DatabricksJobs against the fake', () => {
  it('finds a job by name across pages and refuses ambiguous names', async () => {
    world = await databricksWorld();
    const jobs = new DatabricksJobs(world.http);
    for (let i = 0; i < 120; i++)
      world.fake.jobs.set(i + 1, { job_id: i + 1, created_time: 0, settings: { name: 'other' } });
    world.fake.jobs.set(500, { job_id: 500, created_time: 0, settings: { name: 'telemetry-load' } });
    expect(await jobs.findByName('telemetry-load')).toBe(500);
    expect(await jobs.findByName('nope')).toBeUndefined();
    await expect(jobs.findByName('other')).rejects.toBeInstanceOf(ConfigError);
    expect(world.fake.calls(/jobs\/list$/).length).toBeGreaterThan(3);
  });

  it('run-now with the same idempotency token returns the same run; runs move to TERMINATED', async () => {
    world = await databricksWorld();
    const jobs = new DatabricksJobs(world.http);
    const { jobId, action } = await jobs.deploy({ name: 'telemetry-load', tasks: [] });
    expect(action).toBe('created');
    const token = 'a'.repeat(64);
    const run = await jobs.runNow(jobId, token);
    expect(await jobs.runNow(jobId, token)).toBe(run);
    expect(await jobs.runNow(jobId, 'b'.repeat(64))).not.toBe(run);
    const states = [];
    for (let i = 0; i < 3; i++) states.push((await jobs.getRun(run)).lifeCycleState);
    expect(states).toEqual(['PENDING', 'RUNNING', 'TERMINATED']);
    expect(await jobs.getRun(run)).toMatchObject({ resultState: 'SUCCESS' });
  });

  it('rejects an idempotency token over 64 characters as a terminal error', async () => {
    world = await databricksWorld();
    const jobs = new DatabricksJobs(world.http);
    const { jobId } = await jobs.deploy({ name: 'j' });
    const error = await jobs.runNow(jobId, 'x'.repeat(65)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksError);
    expect((error as DatabricksError).terminal).toBe(true);
    expect(String(error)).toMatch(/INVALID_PARAMETER_VALUE/);
  });
});
