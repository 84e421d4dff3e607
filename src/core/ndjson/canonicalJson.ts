/**
 * JSON with object keys sorted (arrays keep their order). DynamoDB does not keep the key order of map attributes,
 * so the same content can arrive with its keys in another order; canonical text keeps JSON columns and content
 * hashes stable across such re-deliveries.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    let sorted = true;
    for (let i = 1; i < keys.length; i++) {
      if ((keys[i - 1] as string) > (keys[i] as string)) {
        sorted = false;
        break;
      }
    }
    if (sorted) return v;
    const out: Record<string, unknown> = {};
    for (const k of keys.sort()) out[k] = (v as Record<string, unknown>)[k];
    return out;
  });
}
