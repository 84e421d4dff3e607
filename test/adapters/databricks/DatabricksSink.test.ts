import { tableSinkContract } from '../../ports/tableSinkContract.js';
import { closingSink, type DatabricksWorld, databricksWorld } from '../../support/databricksHarness.js';

const worlds = new WeakMap<object, DatabricksWorld>();

tableSinkContract('DatabricksSink (direct mode, Databricks fake)', {
  open: async () => {
    const world = await databricksWorld();
    const sink = closingSink(world, world.sink('direct'));
    worlds.set(sink, world);
    return sink;
  },
  read: async (sink, columns) => {
    const world = worlds.get(sink);
    if (!world) throw new Error('unknown sink');
    return world.read(columns);
  },
});
