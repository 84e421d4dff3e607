import { SIGNAL_CATALOG_DATA } from './signalCatalog.data.js';

/** Field kinds as documented by Smartcar (nullability dropped: every field may arrive null). */
export type FieldKind = 'boolean' | 'number' | 'integer' | 'string' | 'object' | 'array';

/** One documented signal: its identity and the body fields with their kinds, keyed by path (`values[].isOpen`). */
export interface CatalogEntry {
  readonly code: string;
  readonly group: string;
  readonly name: string;
  readonly kind: string;
  readonly fields: Readonly<Record<string, FieldKind>>;
}

/** A catalog entry with the facts flattening needs precomputed. */
export interface SignalDefinition extends CatalogEntry {
  /** The documented body is only `value`: the value goes to the base column. */
  readonly valueOnly: boolean;
  /** Array fields whose items are documented with `row` and `column` (doors, windows, tires). */
  readonly gridArrays: ReadonlySet<string>;
}

function define(entry: CatalogEntry): SignalDefinition {
  const paths = Object.keys(entry.fields);
  const topLevel = paths.filter((p) => !p.includes('.') && !p.includes('['));
  const gridArrays = new Set(
    topLevel.filter(
      (p) => entry.fields[p] === 'array' && `${p}[].row` in entry.fields && `${p}[].column` in entry.fields,
    ),
  );
  return { ...entry, valueOnly: topLevel.length === 1 && topLevel[0] === 'value', gridArrays };
}

/**
 * The documented Smartcar signals, looked up by code or by group and name.
 *
 * @example
 * const catalog = SignalCatalog.default();
 * catalog.lookup({ code: 'charge-ischarging' })?.valueOnly; // true
 */
export class SignalCatalog {
  readonly #byCode = new Map<string, SignalDefinition>();
  readonly #byGroupName = new Map<string, SignalDefinition>();

  constructor(entries: readonly CatalogEntry[]) {
    for (const entry of entries) {
      const def = define(entry);
      this.#byCode.set(def.code, def);
      this.#byGroupName.set(`${def.group}.${def.name}`, def);
    }
  }

  static #default: SignalCatalog | undefined;
  static default(): SignalCatalog {
    SignalCatalog.#default ??= new SignalCatalog(SIGNAL_CATALOG_DATA);
    return SignalCatalog.#default;
  }

  get size(): number {
    return this.#byCode.size;
  }

  all(): IterableIterator<SignalDefinition> {
    return this.#byCode.values();
  }

  byCode(code: string): SignalDefinition | undefined {
    return this.#byCode.get(code);
  }

  byGroupName(group: string, name: string): SignalDefinition | undefined {
    return this.#byGroupName.get(`${group}.${name}`);
  }

  /** Code first (it is the stable identifier), then group and name. */
  lookup(signal: { code?: unknown; group?: unknown; name?: unknown }): SignalDefinition | undefined {
    if (typeof signal.code === 'string') {
      const def = this.#byCode.get(signal.code);
      if (def) return def;
    }
    if (typeof signal.group === 'string' && typeof signal.name === 'string') {
      return this.byGroupName(signal.group, signal.name);
    }
    return undefined;
  }
}
