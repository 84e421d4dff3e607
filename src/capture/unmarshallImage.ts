import { exactNumber } from '../core/ndjson/parseJson.js';

/**
 * DynamoDB JSON (typed attribute values such as `{"S": "..."}`) -> plain JSON without losing number precision: an
 * `N` that a double cannot hold exactly stays the string of its digits ({@link exactNumber}); sets (`SS`/`NS`/`BS`,
 * duplicates dropped) become arrays and binary (a `Uint8Array` from the SDK; Lambda's JSON has base64 text already)
 * base64. Throws on malformed DynamoDB JSON (e.g. `{"Q": "1"}`).
 *
 * One pass, ~4x faster than the SDK: the same steps as `@aws-sdk/util-dynamodb`'s `unmarshall` (and its errors),
 * with sets and binary made plain where they are read instead of in a second walk. Lambda delivers the image as
 * JSON objects; anything else is walked as `unmarshall` does (`Object.entries`), so that the result is the same for
 * any input (`test/capture/unmarshallImage.property.test.ts` proves the JSON text equal, errors included).
 *
 * @example
 * unmarshallImage({ id: { S: 'a' }, soc: { N: '42.5' }, big: { N: '12345678901234567890' } });
 * // { id: 'a', soc: 42.5, big: '12345678901234567890' }
 */
export function unmarshallImage(image: Record<string, unknown>): Record<string, unknown> {
  const unmarshaller = new Unmarshaller();
  const plain = unmarshaller.map(image);
  if (unmarshaller.sawProto) failOnInheritedLeaves(plain);
  return plain;
}

/** The walk over a value's own entries that `Object.entries` does (and fails like it on null). */
function entriesOf(value: unknown): Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null ? value : Object.fromEntries(Object.entries(value as object))
  ) as Record<string, unknown>;
}

class Unmarshaller {
  /** Whether a map had a key `__proto__` (see {@link failOnInheritedLeaves}). */
  sawProto = false;

  map(map: unknown): Record<string, unknown> {
    const entries = entriesOf(map);
    const out: Record<string, unknown> = {};
    for (const key in entries) {
      if (key === '__proto__') {
        // Assigned like any key, it sets the prototype; unmarshall put its Set or bytes there, unconverted.
        this.sawProto = true;
        out[key] = this.attribute(entries[key], true);
      } else {
        out[key] = this.attribute(entries[key], false);
      }
    }
    return out;
  }

  private attribute(attribute: unknown, raw: boolean): unknown {
    const entries = entriesOf(attribute);
    for (const tag in entries) {
      const value = entries[tag];
      if (value !== undefined) return this.typed(tag, value, raw);
    }
    throw new Error(`No value defined: ${JSON.stringify(attribute)}`);
  }

  /** `raw`: the value as unmarshall returns it (Set, bytes), for a prototype. */
  private typed(tag: string, value: unknown, raw: boolean): unknown {
    switch (tag) {
      case 'S':
        return value;
      case 'N':
        return exactNumber(value as string);
      case 'M':
        return this.map(value);
      case 'L':
        return this.list(value);
      case 'BOOL':
        return Boolean(value);
      case 'NULL':
        return null;
      case 'B':
        return raw ? value : plainLeaf(value);
      // unmarshall makes a Set of the items (`value.map`: a non-array fails with its message).
      case 'SS':
        return plainSet(new Set((value as unknown[]).map((s) => s)), raw);
      case 'NS':
        return plainSet(new Set((value as string[]).map(exactNumber)), raw);
      case 'BS':
        return plainSet(new Set((value as unknown[]).map((b) => b)), raw);
      default:
        throw new Error(`Unsupported type passed: ${tag}`);
    }
  }

  private list(list: unknown): unknown[] {
    // unmarshall calls `list.map`: anything but an array fails with its message.
    const items = Array.isArray(list) ? list : (list as unknown[]).map((item) => item);
    const out = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i++) out[i] = this.attribute(items[i], false);
    return out;
  }
}

function plainLeaf(value: unknown): unknown {
  return value instanceof Uint8Array
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
    : value;
}

function plainSet(set: Set<unknown>, raw: boolean): unknown {
  return raw ? set : Array.from(set, plainLeaf);
}

/**
 * The walk that used to follow `unmarshall` (making sets and bytes plain) failed on an object inheriting from a Set
 * or from bytes: a map with such an attribute named `__proto__`. Repeated for images with that key only, so that
 * they fail as before (with V8's own message).
 */
function failOnInheritedLeaves(value: object): void {
  const values = Array.isArray(value) ? value : Object.values(value);
  for (const v of values) {
    if (typeof v !== 'object' || v === null) continue;
    if (v instanceof Set)
      Array.from(v as Set<unknown>); // throws: v only inherits from a Set
    else if (v instanceof Uint8Array)
      Buffer.from(v); // throws likewise
    else failOnInheritedLeaves(v);
  }
}
