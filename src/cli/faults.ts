/**
 * Crash injection for tests: TELEMETRY_FAULT=STEP[:N] kills the process with SIGKILL the Nth time STEP is reached
 * (default the first). Steps: after-capture-object and the process checkpoints (after-read, after-quarantine,
 * after-load, after-archive-copy, after-archive). Unset in production: then this is a no-op.
 */
export function faultInjector(env: NodeJS.ProcessEnv): (step: string) => void {
  const spec = env.TELEMETRY_FAULT;
  if (!spec) return () => undefined;
  const [target, nth] = spec.split(':');
  let remaining = Number(nth ?? 1);
  return (step) => {
    if (step !== target) return;
    remaining -= 1;
    if (remaining <= 0) process.kill(process.pid, 'SIGKILL');
  };
}
