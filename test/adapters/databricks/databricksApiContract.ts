import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabricksError } from '../../../src/adapters/databricks/DatabricksError.js';
import type { DatabricksHttp } from '../../../src/adapters/databricks/DatabricksHttp.js';
import { DatabricksJobs } from '../../../src/adapters/databricks/DatabricksJobs.js';
import type { StatementClient } from '../../../src/adapters/databricks/StatementClient.js';

export interface ApiHarness {
  readonly http: DatabricksHttp;
  readonly sql: StatementClient;
  close(): Promise<void>;
}

/**
 * What our clients rely on from a workspace, run against the fake always and against a real workspace when
 * DATABRICKS_HOST etc. are set: named parameters, JSON_ARRAY strings, FAILED statements, the SCIM identity, and
 * job lookup by name. Nothing here creates lasting objects.
 */
export function databricksApiContract(name: string, open: () => Promise<ApiHarness>): void {
  describe(`Databricks REST contract: ${name}`, () => {
    let h: ApiHarness;
    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('binds named parameters as values and returns JSON_ARRAY strings', async () => {
      const r = await h.sql.execute({
        sql: 'SELECT :a AS a, CAST(:n AS BIGINT) + 1 AS n, :missing IS NULL AS isnull',
        parameters: [
          { name: 'a', value: "O'Brien `x`" },
          { name: 'n', value: '41' },
          { name: 'missing', value: null },
        ],
      });
      expect(r.columns).toEqual(['a', 'n', 'isnull']);
      expect(r.rows).toEqual([["O'Brien `x`", '42', 'true']]);
    });

    it('reports a failing statement as a terminal DatabricksError', async () => {
      const error = await h.sql
        .execute({ sql: 'SELECT * FROM `no_such_catalog_zz`.`s`.`t`', parameters: [] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabricksError);
      expect((error as DatabricksError).terminal).toBe(true);
      expect((error as Error).message).toMatch(/FAILED/);
    });

    it('answers who we are', async () => {
      const me = await h.http.request<{ userName?: string }>('GET', '/api/2.0/preview/scim/v2/Me');
      expect(typeof me.userName).toBe('string');
    });

    it('finds no job for an unused name', async () => {
      const jobs = new DatabricksJobs(h.http);
      expect(await jobs.findByName(`telemetry-contract-${Date.now()}-none`)).toBeUndefined();
    });
  });
}
