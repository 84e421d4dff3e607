import { ConfigError } from '../../core/errors.js';
import type { DatabricksHttp } from './DatabricksHttp.js';

interface JobSummary {
  job_id: number;
  settings?: { name?: string };
}

export interface RunState {
  readonly runId: number;
  readonly lifeCycleState: string;
  readonly resultState?: string;
  readonly message?: string;
}

/**
 * Jobs API 2.2: find a job by name, create or reset it idempotently, start runs with an idempotency token, read run
 * state; plus the workspace file the SQL task runs.
 *
 * @example
 * const jobs = new DatabricksJobs(http);
 * const { jobId } = await jobs.deploy(settings);
 * const runId = await jobs.runNow(jobId, token);
 */
export class DatabricksJobs {
  constructor(private readonly http: DatabricksHttp) {}

  /** The id of the one job with this name; undefined when there is none; an error when several share it. */
  async findByName(name: string): Promise<number | undefined> {
    const found: number[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.http.request<{
        jobs?: JobSummary[];
        has_more?: boolean;
        next_page_token?: string;
      }>('GET', '/api/2.2/jobs/list', undefined, { query: { name, limit: 100, page_token: pageToken } });
      for (const j of page.jobs ?? []) if (j.settings?.name === name) found.push(j.job_id);
      pageToken = page.has_more ? page.next_page_token : undefined;
    } while (pageToken);
    if (found.length > 1) {
      throw new ConfigError(
        `${found.length} Databricks jobs are named '${name}' (${found.join(', ')}): delete all but one`,
      );
    }
    return found[0];
  }

  /** Creates the job, or resets the existing one with the same name to exactly these settings. */
  async deploy(settings: Record<string, unknown>): Promise<{ jobId: number; action: 'created' | 'updated' }> {
    const name = String(settings.name);
    const existing = await this.findByName(name);
    if (existing !== undefined) {
      await this.http.request('POST', '/api/2.2/jobs/reset', { job_id: existing, new_settings: settings });
      return { jobId: existing, action: 'updated' };
    }
    const created = await this.http.request<{ job_id: number }>('POST', '/api/2.2/jobs/create', settings);
    return { jobId: created.job_id, action: 'created' };
  }

  /**
   * Lets a service principal start runs of the job (`CAN_MANAGE_RUN`), keeping every other grant: Permissions API
   * `PATCH /api/2.0/permissions/jobs/{job_id}` adds or updates the entries it is given.
   */
  async grantRuns(jobId: number, servicePrincipal: string): Promise<void> {
    await this.http.request('PATCH', `/api/2.0/permissions/jobs/${jobId}`, {
      access_control_list: [{ service_principal_name: servicePrincipal, permission_level: 'CAN_MANAGE_RUN' }],
    });
  }

  /** Starts a run with these job parameters; the same idempotency token (at most 64 characters) returns the same run. */
  async runNow(
    jobId: number,
    idempotencyToken: string,
    jobParameters: Readonly<Record<string, string>> = {},
  ): Promise<number> {
    const out = await this.http.request<{ run_id: number }>('POST', '/api/2.2/jobs/run-now', {
      job_id: jobId,
      idempotency_token: idempotencyToken,
      ...(Object.keys(jobParameters).length > 0 ? { job_parameters: jobParameters } : {}),
    });
    return out.run_id;
  }

  async getRun(runId: number): Promise<RunState> {
    const out = await this.http.request<{
      state?: { life_cycle_state?: string; result_state?: string; state_message?: string };
    }>('GET', '/api/2.2/jobs/runs/get', undefined, { query: { run_id: runId } });
    return {
      runId,
      lifeCycleState: out.state?.life_cycle_state ?? 'UNKNOWN',
      ...(out.state?.result_state ? { resultState: out.state.result_state } : {}),
      ...(out.state?.state_message ? { message: out.state.state_message } : {}),
    };
  }

  /** Writes a workspace file (not a notebook), creating its folder; overwrites. */
  async putWorkspaceFile(path: string, content: string): Promise<void> {
    const folder = path.slice(0, path.lastIndexOf('/')) || '/';
    await this.http.request('POST', '/api/2.0/workspace/mkdirs', { path: folder });
    await this.http.request('POST', '/api/2.0/workspace/import', {
      path,
      format: 'AUTO',
      content: Buffer.from(content, 'utf8').toString('base64'),
      overwrite: true,
    });
  }
}
