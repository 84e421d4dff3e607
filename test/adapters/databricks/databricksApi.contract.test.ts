import { DatabricksHttp } from '../../../src/adapters/databricks/DatabricksHttp.js';
import { resolveCredentials } from '../../../src/adapters/databricks/databricksCredentials.js';
import { StatementClient } from '../../../src/adapters/databricks/StatementClient.js';
import { DatabricksFake } from '../../support/databricksFake.js';
import { databricksApiContract } from './databricksApiContract.js';

databricksApiContract('fake', async () => {
  const fake = await new DatabricksFake().start();
  const http = new DatabricksHttp({ host: fake.host, credentials: { kind: 'pat', token: fake.token } });
  return {
    http,
    sql: new StatementClient(http, { warehouseId: fake.warehouseId, pollMinMs: 1 }),
    close: () => fake.stop(),
  };
});

// The same contract against a real workspace runs only when one is configured (docs/databricks.md, "Tests"):
// DATABRICKS_HOST, DATABRICKS_WAREHOUSE_ID and DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET).
const host = process.env.DATABRICKS_HOST;
const warehouseId = process.env.DATABRICKS_WAREHOUSE_ID;
if (host && warehouseId) {
  databricksApiContract(`workspace ${host}`, async () => {
    const http = new DatabricksHttp({ host, credentials: await resolveCredentials(process.env) });
    return { http, sql: new StatementClient(http, { warehouseId }), close: async () => undefined };
  });
}
