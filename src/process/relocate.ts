/** The same object under another role's prefix: `raw/telemetry/2025/...` -> `archive/telemetry/2025/...`. */
export function relocate(key: string, fromPrefix: string, toPrefix: string): string {
  return toPrefix + (key.startsWith(fromPrefix) ? key.slice(fromPrefix.length) : key);
}
