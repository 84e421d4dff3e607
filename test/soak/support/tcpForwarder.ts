import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

export interface TcpForwarder {
  /** Stable for the forwarder's life, whatever port the server behind it has now. */
  readonly endpoint: string;
  /** Points new connections at another port (the restarted server); open ones are cut, as a restart would. */
  retarget(port: number): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP forwarder: clients keep one endpoint while the server behind it restarts on a new port
 * (DynamoDB Local picks a free port at each start). While nothing listens, connections are refused-by-reset.
 */
export async function startTcpForwarder(port: number): Promise<TcpForwarder> {
  let target = port;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    open.add(client);
    client.on('close', () => open.delete(client));
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    retarget: (next) => {
      target = next;
      for (const s of open) s.destroy();
    },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
