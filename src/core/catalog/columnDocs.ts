import { columnNameFor } from '../flatten/columnName.js';
import { FIXED_COLUMN_NAMES, PIPELINE_COLUMNS } from '../schema/fixedColumns.js';
import { SignalCatalog, type SignalDefinition } from './SignalCatalog.js';
import { SIGNAL_UNITS_DATA } from './signalUnits.data.js';

/**
 * How sensitive a column is. `pii`: identifies a person or a car, or where it is (precise location, VIN, the
 * owner's nickname for the car, user and vehicle ids, and `_rescued_data`, which may hold any field); `internal`:
 * everything else (business data, not for the public either).
 */
export type Classification = 'pii' | 'internal';

/** What a column holds, for people: the same words in DuckDB comments, Unity Catalog comments and tags. */
export interface ColumnDoc {
  readonly name: string;
  /** fixed: every row has it; pipeline: bookkeeping; signal: from a catalog signal; undocumented: from data only. */
  readonly origin: 'fixed' | 'pipeline' | 'signal' | 'undocumented';
  readonly description: string;
  /** The documented unit; for a value whose unit arrives with the data, where to read it. */
  readonly unit?: string;
  /** The Smartcar signal code (`tractionbattery-stateofcharge`) and the body field (`value`, `values[].isOpen`). */
  readonly signal?: string;
  readonly field?: string;
  readonly classification: Classification;
}

export const TABLE_DESCRIPTION =
  'Smartcar vehicle-signal events from the ChargeMinder DynamoDB table, flattened: one row per event_id, its ' +
  'latest version; one column per signal field (named from the Smartcar signal catalog). Columns with ' +
  "'Classification: pii' identify a person or a car or where it is: keep them from analysts who must not see them.";

const FIXED: Readonly<Record<string, Omit<ColumnDoc, 'name' | 'origin'>>> = {
  event_id: { description: 'Event id (the key): one row per event', classification: 'internal' },
  event_type: {
    description: 'Webhook event type (VEHICLE_STATE, VEHICLE_ERROR, ...)',
    classification: 'internal',
  },
  recorded_at: {
    description: 'When the event was recorded (UTC)',
    unit: 'UTC timestamp',
    classification: 'internal',
  },
  record_type: { description: 'Record type as stored in DynamoDB', classification: 'internal' },
  smartcar_user_id: { description: 'Smartcar user id of the car owner', classification: 'pii' },
  car_timezone: { description: "The car's time zone (IANA name)", classification: 'internal' },
  vehicle_id: { description: 'Smartcar vehicle id', classification: 'pii' },
  vehicle_make: { description: 'Vehicle make (TESLA, POLESTAR, ...)', classification: 'internal' },
  vehicle_model: { description: 'Vehicle model', classification: 'internal' },
  vehicle_year: { description: 'Vehicle model year', unit: 'year', classification: 'internal' },
  meta_mode: { description: 'Webhook delivery mode (LIVE, TEST)', classification: 'internal' },
  meta_version: { description: 'Webhook payload version', classification: 'internal' },
  meta_delivery_id: { description: 'Webhook delivery id', classification: 'internal' },
  meta_delivered_at: {
    description: 'When Smartcar delivered the webhook (UTC)',
    unit: 'UTC timestamp',
    classification: 'internal',
  },
  meta_webhook_id: { description: 'Smartcar webhook id', classification: 'internal' },
  meta_webhook_name: { description: 'Smartcar webhook name', classification: 'internal' },
  meta_signal_count: { description: 'Signals in the delivery', unit: 'count', classification: 'internal' },
  triggers: { description: 'What triggered the delivery (JSON text)', classification: 'internal' },
  signal_errors: {
    description: 'Signals that came with status ERROR: signal code -> {type, code} (JSON text)',
    classification: 'internal',
  },
  vehicle_errors: {
    description: "A VEHICLE_ERROR delivery's errors, verbatim (JSON text)",
    classification: 'internal',
  },
  _rescued_data: {
    description:
      'Values that did not fit their column and unknown fields, by column or $.path (JSON text); may hold any field, location included',
    classification: 'pii',
  },
  pipeline_processed_at: {
    description: 'When the pipeline loaded this version (UTC)',
    unit: 'UTC timestamp',
    classification: 'internal',
  },
  pipeline_source_file: {
    description: 'The raw object this version was loaded from',
    classification: 'internal',
  },
  pipeline_sequence_number: {
    description: "This version's order key (stream sequence number or snapshot key; higher = newer)",
    classification: 'internal',
  },
  pipeline_content_hash: {
    description: "Hash of the row's content (pipeline columns excluded)",
    classification: 'internal',
  },
};

/** Signals that identify the car or its owner whatever their field; fields that locate it precisely. */
const PII_SIGNALS = new Set(['vehicleidentification-vin', 'vehicleidentification-nickname']);
const PII_FIELD = /(^|\.)(latitude|longitude|address)$/i;
const PII_UNDOCUMENTED = /(latitude|longitude|vin|address)/i;
const OEM_SUFFIX = '__oem_updated_at';
const GRID_CELL = /^r(\d+)c(\d+)$/;

interface Index {
  readonly exact: Map<string, { def: SignalDefinition; path: string }>;
  readonly bases: Map<string, SignalDefinition>;
}

const indexes = new WeakMap<SignalCatalog, Index>();

/** Each documented field's column, by the flattening rules (src/core/flatten/flattenEvent.ts). */
function indexOf(catalog: SignalCatalog): Index {
  let index = indexes.get(catalog);
  if (index) return index;
  index = { exact: new Map(), bases: new Map() };
  for (const def of catalog.all()) {
    index.bases.set(columnNameFor([def.group, def.name]), def);
    for (const path of Object.keys(def.fields)) {
      if (path.includes('[]')) continue; // array items: JSON text in the array's column, or grid cells
      const segments =
        def.valueOnly && path === 'value' ? [def.group, def.name] : [def.group, def.name, ...path.split('.')];
      index.exact.set(columnNameFor(segments), { def, path });
    }
  }
  indexes.set(catalog, index);
  return index;
}

function unitOf(def: SignalDefinition, path: string): string | undefined {
  const units = SIGNAL_UNITS_DATA[def.code] ?? {};
  if (path === 'value' && 'unit' in def.fields) {
    const carried = `given per row in ${columnNameFor([def.group, def.name, 'unit'])}`;
    return units.unit ? `${carried}; documented: ${units.unit}` : carried;
  }
  return units[path];
}

function classify(def: SignalDefinition, path: string): Classification {
  if (PII_SIGNALS.has(def.code)) return 'pii';
  // A column holds its field and, for an array kept as JSON text, every field of its items.
  const inside = Object.keys(def.fields).filter(
    (p) => p === path || p.startsWith(`${path}[]`) || p.startsWith(`${path}.`),
  );
  return inside.some((p) => PII_FIELD.test(p)) ? 'pii' : 'internal';
}

function signalDoc(name: string, def: SignalDefinition, path: string, what: string): ColumnDoc {
  const unit = unitOf(def, path);
  return {
    name,
    origin: 'signal',
    description: `Smartcar ${def.kind} ${def.group}.${def.name}: ${what}`,
    ...(unit ? { unit } : {}),
    signal: def.code,
    field: path,
    classification: classify(def, path),
  };
}

function fieldText(def: SignalDefinition, path: string): string {
  const kind = def.fields[path];
  if (path === 'unit') return `the unit of ${columnNameFor([def.group, def.name, 'value'])}`;
  if (def.valueOnly && path === 'value') return `its value (${kind})`;
  if (kind === 'array') return `${path}, the array as compact JSON text`;
  return `${path}${kind ? ` (${kind})` : ''}`;
}

/**
 * What a column of the table holds, from its name alone: fixed and pipeline columns from their list, signal
 * columns from the signal catalog by the same naming rules flattening uses (grid cells and `__oem_updated_at`
 * included), anything else as undocumented. Pure: DuckDB comments and Unity Catalog comments and tags use it alike.
 *
 * @example
 * describeColumn('TractionBattery_StateOfCharge_value').signal; // 'tractionbattery-stateofcharge'
 * describeColumn('Location_PreciseLocation_latitude').classification; // 'pii'
 */
export function describeColumn(name: string, catalog: SignalCatalog = SignalCatalog.default()): ColumnDoc {
  const fixed = FIXED[name];
  if (fixed && FIXED_COLUMN_NAMES.has(name)) {
    return { name, origin: PIPELINE_COLUMNS.has(name) ? 'pipeline' : 'fixed', ...fixed };
  }
  const index = indexOf(catalog);
  const exact = index.exact.get(name);
  if (exact) return signalDoc(name, exact.def, exact.path, fieldText(exact.def, exact.path));
  if (name.endsWith(OEM_SUFFIX)) {
    const def = index.bases.get(name.slice(0, -OEM_SUFFIX.length));
    if (def) {
      return {
        ...signalDoc(name, def, 'meta.oemUpdatedAt', 'when the car last updated it (meta.oemUpdatedAt, UTC)'),
        unit: 'UTC timestamp',
        classification: 'internal',
      };
    }
  }
  const [group = '', signalName = '', ...rest] = name.split('_');
  const def = index.bases.get(`${group}_${signalName}`);
  if (def && rest.length > 0 && !name.includes('__')) {
    const cell = rest.findIndex((s) => GRID_CELL.test(s));
    if (cell >= 0) {
      const array = cell === 0 ? 'values' : rest.slice(0, cell).join('.');
      const path = `${array}[].${rest.slice(cell + 1).join('.')}`;
      const [, row, column] = GRID_CELL.exec(rest[cell] ?? '') ?? [];
      const kind = def.fields[path];
      return signalDoc(
        name,
        def,
        path,
        `${path}${kind ? ` (${kind})` : ''} of the item at row ${row}, column ${column}`,
      );
    }
    const path = rest.join('.');
    if (path in def.fields) return signalDoc(name, def, path, fieldText(def, path));
    return {
      ...signalDoc(name, def, path, `${path}, a field the catalog does not document`),
      origin: 'undocumented',
    };
  }
  return {
    name,
    origin: 'undocumented',
    description: 'A field the signal catalog does not document, added when it first arrived (type inferred)',
    classification: PII_UNDOCUMENTED.test(name) ? 'pii' : 'internal',
  };
}

/** The comment text of a column: description, unit, signal and classification in one line. */
export function columnComment(doc: ColumnDoc): string {
  return [
    `${doc.description}.`,
    doc.unit ? `Unit: ${doc.unit}.` : '',
    doc.signal ? `Smartcar signal: ${doc.signal}${doc.field ? ` (${doc.field})` : ''}.` : '',
    `Classification: ${doc.classification}.`,
  ]
    .filter((s) => s !== '')
    .join(' ');
}

/** The view with each vehicle's latest known value of every signal column (DuckDB and Unity Catalog alike). */
export const LATEST_STATE_VIEW = 'car_latest_state';

/** Suffix of the column beside each value in the view: when that value was observed. */
export const OBSERVED_AT_SUFFIX = '__observed_at';

/** The columns whose latest value the view holds: make, model and year (fixed columns), then every signal column. */
export function latestStateColumns(columns: readonly string[]): string[] {
  return [
    'vehicle_make',
    'vehicle_model',
    'vehicle_year',
    ...columns.filter((c) => !FIXED_COLUMN_NAMES.has(c)),
  ];
}
