import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { type LoopbackServer, loopbackServer } from './childProcess.js';

export interface DynamoDbLocalOptions {
  /** Keep tables in this folder across restarts; in memory when unset. */
  readonly dbPath?: string;
  /** The `java` executable (default: `java` on PATH). */
  readonly java?: string;
}

export type RunningDynamoDbLocal = LoopbackServer;

/**
 * DynamoDB Local's own command line has no bind address (Jetty listens on every interface) and no "any free
 * port". This launcher builds the server the same way, then binds its connector to 127.0.0.1 on port 0 before it
 * starts, and prints the port it got.
 */
const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';
const LAUNCHER_SOURCE = `
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class ${LAUNCHER_CLASS} {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector c : server.getConnectors()) {
      ((ServerConnector) c).setHost("127.0.0.1");
      ((ServerConnector) c).setPort(0);
    }
    proxy.start();
    // Exit when the parent goes away (its end of stdin closes), so a killed CLI or test never leaves us behind.
    Thread watchdog = new Thread(() -> {
      try { while (System.in.read() >= 0) { } } catch (Exception e) { }
      System.exit(0);
    });
    watchdog.setDaemon(true);
    watchdog.start();
    for (Connector c : server.getConnectors()) {
      System.out.println("DYNAMODB_LOCAL_LISTENING " + ((ServerConnector) c).getLocalPort());
    }
  }
}
`;

/** The DynamoDB Local distribution inside the npm package amplify-dynamodb-simulator. */
export function dynamoDbLocalHome(): string {
  const pkg = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  const home = join(dirname(pkg), 'emulator');
  if (!existsSync(join(home, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDBLocal.jar not found in ${home} (is amplify-dynamodb-simulator installed?)`);
  }
  return home;
}

/**
 * Where the compiled launcher is cached: node_modules/.cache beside the jar (owned by whoever installed the
 * project, unlike a shared temp folder where someone else could plant a class file).
 */
function cacheRoot(home: string): string | undefined {
  const root = join(home, '..', '..', '.cache', 'telemetry-dynamodb-local');
  try {
    mkdirSync(root, { recursive: true });
    return root;
  } catch {
    return undefined; // a read-only install: compile into a private temporary folder each time
  }
}

/** Compiles the launcher once per install (~3 s the first time). */
function compiledLauncher(java: string, home: string, classpath: string): string {
  const hash = createHash('sha256').update(LAUNCHER_SOURCE).update(classpath).digest('hex').slice(0, 12);
  const root = cacheRoot(home);
  const dir = root ? join(root, hash) : mkdtempSync(join(tmpdir(), 'telemetry-ddb-launcher-'));
  if (existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  const work = mkdtempSync(join(root ?? tmpdir(), 'build-'));
  try {
    writeFileSync(join(work, `${LAUNCHER_CLASS}.java`), LAUNCHER_SOURCE);
    const out = join(work, 'classes');
    mkdirSync(out);
    const result = spawnSync(
      java,
      [
        '-m',
        'jdk.compiler/com.sun.tools.javac.Main',
        '-nowarn',
        '-cp',
        classpath,
        '-d',
        out,
        join(work, `${LAUNCHER_CLASS}.java`),
      ],
      { encoding: 'utf8' },
    );
    if (result.error || result.status !== 0) {
      const why = result.error?.message ?? `${result.stderr}`.trim();
      throw new Error(
        `cannot build the DynamoDB Local launcher (needs Java 17 with the jdk.compiler module): ${why}`,
      );
    }
    try {
      if (!root) rmSync(dir, { recursive: true, force: true });
      renameSync(out, dir);
    } catch {
      // Another process compiled it at the same time: theirs is as good as ours.
    }
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Starts DynamoDB Local (Java 17) on 127.0.0.1 with a free port; streams are supported.
 *
 * @example
 * const ddb = await startDynamoDbLocal();
 * const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
 * await ddb.stop();
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningDynamoDbLocal> {
  const java = options.java ?? 'java';
  const home = dynamoDbLocalHome();
  const lib = join(home, 'DynamoDBLocal_lib');
  const classpath = [join(home, 'DynamoDBLocal.jar'), join(lib, '*')].join(delimiter);
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  // The port argument is required by DynamoDB Local's parser; the launcher replaces it with a free one.
  const serverArgs = ['-port', '8000', ...storage, '-sharedDb', '-disableTelemetry'];
  const launcher = compiledLauncher(java, home, classpath);
  const args = [
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Djava.library.path=${lib}`,
    '-cp',
    [launcher, classpath].join(delimiter),
    LAUNCHER_CLASS,
    ...serverArgs,
  ];
  // Own process group: Ctrl-C in a terminal reaches only `telemetry dev`, which then stops this in order.
  const child = spawn(java, args, { cwd: home, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  return loopbackServer(child, /^DYNAMODB_LOCAL_LISTENING (\d+)$/, 'DynamoDB Local');
}
