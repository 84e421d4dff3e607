/**
 * Capture's conversion as it was before the one-pass `unmarshallImage` (commit 2da77fe), kept as the oracle the one-pass encoder is
 * proven against: the SDK's `unmarshall` with numbers read by the original `exactNumber` rule, then sets and
 * binary made plain in place.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** `exactNumber` before its fast path. */
export function referenceExactNumber(text: string): number | string {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  const unsigned = text.replace(/^[-+]/, '');
  const e = unsigned.search(/[eE]/);
  const mantissa = e < 0 ? unsigned : unsigned.slice(0, e);
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
  if (n === 0) return digits === 0 ? n : text;
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return text;
  if (digits > 15 || Math.abs(n) < 2.2250738585072014e-308) return String(n) === text ? n : text;
  return n;
}

function plainLeaf(value: Set<unknown> | Uint8Array): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return [...value].map((v) => (v instanceof Set || v instanceof Uint8Array ? plainLeaf(v) : v));
}

function makePlainInPlace(value: object): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v !== 'object' || v === null) continue;
      if (v instanceof Set || v instanceof Uint8Array) value[i] = plainLeaf(v);
      else makePlainInPlace(v);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) {
    const v = record[k];
    if (typeof v !== 'object' || v === null) continue;
    if (v instanceof Set || v instanceof Uint8Array) record[k] = plainLeaf(v);
    else makePlainInPlace(v);
  }
}

export function referenceUnmarshallImage(image: Record<string, unknown>): Record<string, unknown> {
  const plain = unmarshall(image as Record<string, AttributeValue>, { wrapNumbers: referenceExactNumber });
  makePlainInPlace(plain);
  return plain;
}

/** The text `f` returns, or the error it throws (class and message): two paths must agree on either. */
export function outcome(f: () => string): string {
  try {
    return `ok ${f()}`;
  } catch (error) {
    return `throws ${(error as Error).constructor.name}: ${(error as Error).message}`;
  }
}
