import { SignalCatalog, type SignalDefinition } from '../core/catalog/SignalCatalog.js';

export interface SampleOptions {
  readonly vehicles?: number;
  readonly events?: number;
  readonly seed?: number;
  /** Epoch ms of the first event (default 2025-11-25T00:00:00Z, so output is reproducible). */
  readonly start?: number;
}

/** mulberry32: small, fast, seedable; the same seed gives the same sample everywhere. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = [
  { make: 'TESLA', model: 'Model 3', year: 2023, ev: true, unit: 'km' },
  { make: 'POLESTAR', model: 'Polestar 2', year: 2024, ev: true, unit: 'km' },
  { make: 'VOLKSWAGEN', model: 'ID.4', year: 2021, ev: true, unit: 'km' },
  { make: 'BYD', model: 'Seal', year: 2024, ev: true, unit: 'kilometers' },
  { make: 'FORD', model: 'F-150 Lightning', year: 2023, ev: true, unit: 'miles' },
  { make: 'BMW', model: '118i', year: 2025, ev: false, unit: 'km' },
] as const;

const TIMEZONES = [
  'America/Los_Angeles',
  'Europe/Helsinki',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Shanghai',
];

const ENUMS: Record<string, readonly string[]> = {
  'charge-detailedchargingstatus.value': ['CHARGING', 'NOT_CHARGING', 'FULLY_CHARGED'],
  'transmission-gearstate.value': ['PARK', 'DRIVE', 'REVERSE', 'NEUTRAL'],
  'location-preciselocation.direction': ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'],
  'location-preciselocation.locationType': ['LAST_PARKED', 'CURRENT'],
  'lowvoltagebattery-status.value': ['GOOD', 'WARN', 'BAD'],
};

/** Undocumented signals that real fleets send now and then: they must become new columns on their own. */
const UNKNOWN_SIGNALS = [
  {
    code: 'charge-batterytemperature',
    group: 'Charge',
    name: 'BatteryTemperature',
    body: () => ({ value: 21.5, unit: 'celsius' }),
  },
  {
    code: 'x-oem-ota',
    group: 'OemExtras',
    name: 'OtaUpdate-Status',
    body: () => ({ value: 'PENDING', 'release-notes': null }),
  },
];

interface VehicleState {
  readonly id: string;
  readonly userId: string;
  readonly spec: (typeof MODELS)[number];
  readonly timezone: string;
  readonly signals: SignalDefinition[];
  soc: number;
  charging: boolean;
  odometer: number;
  lat: number;
  lon: number;
}

function uuid(r: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function sqlTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** A plausible value for a documented field, given the vehicle's evolving state. */
function fieldValue(def: SignalDefinition, path: string, v: VehicleState, r: () => number): unknown {
  const key = `${def.code}.${path}`;
  const e = ENUMS[key];
  if (e) return e[Math.floor(r() * e.length)];
  switch (key) {
    case 'tractionbattery-stateofcharge.value':
      return Math.round(v.soc);
    case 'charge-ischarging.value':
      return v.charging;
    case 'charge-ischargingcableconnected.value':
      return v.charging || r() < 0.2;
    case 'charge-wattage.value':
      return v.charging ? Math.round(3000 + r() * 8000) : 0;
    case 'odometer-traveleddistance.value':
      return Math.round(v.odometer * 10) / 10;
    case 'odometer-traveleddistance.unit':
      return v.spec.unit;
    case 'location-preciselocation.latitude':
      return v.lat;
    case 'location-preciselocation.longitude':
      return v.lon;
  }
  const kind = def.fields[path];
  if (path === 'unit') return 'percent';
  switch (kind) {
    case 'boolean':
      return r() < 0.5;
    case 'integer':
      return Math.floor(r() * 10);
    case 'number':
      return Math.round(r() * 10000) / 100;
    case 'string':
      return r() < 0.5 ? 'OK' : 'ALERT';
    default:
      return null;
  }
}

function grid(rows: number, cols: number, item: (row: number, column: number) => Record<string, unknown>) {
  const values = [];
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < cols; column++) values.push({ row, column, ...item(row, column) });
  return { values, rowCount: rows, columnCount: cols };
}

function body(def: SignalDefinition, v: VehicleState, r: () => number): Record<string, unknown> {
  switch (def.code) {
    case 'closure-doors':
      return grid(2, 2, () => ({ isOpen: r() < 0.05, isLocked: r() < 0.9 }));
    case 'closure-windows':
      return grid(2, 2, () => ({ isOpen: r() < 0.1 }));
    case 'wheel-tires':
      return { ...grid(2, 2, () => ({ tirePressure: Math.round(2200 + r() * 400) / 10 })), unit: 'kPa' };
    case 'charge-chargelimits':
      return { values: [{ type: 'GLOBAL', limit: 80, condition: null }], activeLimit: 80, unit: 'percent' };
    case 'vehicleidentification-packages':
      return { values: ['Performance', 'Pilot'] };
    case 'tractionbattery-range':
      return { value: Math.round(v.soc * 4.2), unit: v.spec.unit, type: 'DEFAULT', additionalValues: [] };
  }
  const out: Record<string, unknown> = {};
  for (const path of Object.keys(def.fields)) {
    if (path.includes('.') || path.includes('[')) continue;
    if (def.fields[path] === 'array') out[path] = [];
    else out[path] = r() < 0.03 ? null : fieldValue(def, path, v, r); // nulls occur inside SUCCESS bodies
  }
  return out;
}

/**
 * Events kept for re-delivery (as JSON text, ~10 KB each): 5% of the first ~40,000 events, then a random one makes
 * room for each newly kept one, so memory stays flat for millions of events (the pool used to grow without bound:
 * `telemetry sample --events 1000000` ran out of heap near 800,000).
 */
const MAX_EARLIER = 2_000;

/**
 * Realistic sample events in the DynamoDB item shape (signal bodies as JSON strings), built from the catalog:
 * several makes, charging sessions that evolve over time, signal errors, nulls, grids and lists, a few unknown
 * signals, and some events re-delivered later with new content (latest wins).
 *
 * @example
 * for (const item of generateSampleItems({ vehicles: 5, events: 100, seed: 1 })) console.log(JSON.stringify(item));
 */
export function* generateSampleItems(options: SampleOptions = {}): Generator<Record<string, unknown>> {
  const r = rng(options.seed ?? 1);
  const vehicleCount = Math.max(1, options.vehicles ?? 20);
  const events = Math.max(0, options.events ?? 1000);
  const start = options.start ?? Date.UTC(2025, 10, 25);
  const all = [...SignalCatalog.default().all()];
  const vehicles: VehicleState[] = Array.from({ length: vehicleCount }, (_, i) => {
    const spec = MODELS[i % MODELS.length] as (typeof MODELS)[number];
    const pool = all.filter((d) =>
      spec.ev
        ? !d.code.startsWith('internalcombustionengine')
        : !d.group.startsWith('Charge') && !d.group.startsWith('TractionBattery'),
    );
    const count = Math.min(pool.length, 20 + Math.floor(r() * 70));
    const signals = pool.filter(() => r() < count / pool.length);
    return {
      id: uuid(r),
      userId: uuid(r),
      spec,
      timezone: TIMEZONES[i % TIMEZONES.length] as string,
      signals,
      soc: 20 + r() * 70,
      charging: false,
      odometer: 1000 + r() * 80000,
      lat: 37 + r() * 25,
      lon: -122 + r() * 140,
    };
  });
  const earlier: string[] = [];
  for (let n = 0; n < events; n++) {
    const v = vehicles[n % vehicleCount] as VehicleState;
    const t = start + n * 60_000 + Math.floor(r() * 30_000);
    // A charging session: plug in when low, charge towards 80-90%, then drive it down again.
    if (!v.charging && v.soc < 30 && r() < 0.5) v.charging = true;
    if (v.charging) v.soc = Math.min(100, v.soc + 2 + r() * 3);
    else {
      v.soc = Math.max(3, v.soc - r() * 2);
      v.odometer += r() * 8;
      v.lat += (r() - 0.5) / 100;
      v.lon += (r() - 0.5) / 100;
    }
    if (v.charging && v.soc >= 80 + r() * 10) v.charging = false;

    // Re-deliver an earlier event with corrected content now and then: the newer version must win.
    if (earlier.length > 0 && r() < 0.01) {
      const old = JSON.parse(earlier[Math.floor(r() * earlier.length)] as string) as Record<string, unknown>;
      yield { ...old, record_type: 'ALL', meta: { ...(old.meta as object), deliveryId: uuid(r) } };
      continue;
    }
    const signals: Record<string, unknown>[] = v.signals.map((def) => {
      if (r() < 0.02) {
        return {
          code: def.code,
          name: def.name,
          group: def.group,
          status: { value: 'ERROR', error: { type: 'COMPATIBILITY', code: 'VEHICLE_NOT_CAPABLE' } },
        };
      }
      const oem = def.kind === 'attribute' ? 0 : t - Math.floor(r() * 600_000);
      return {
        code: def.code,
        name: def.name,
        group: def.group,
        body: JSON.stringify(body(def, v, r)),
        meta: { oemUpdatedAt: oem, retrievedAt: t },
      };
    });
    if (r() < 0.05) {
      const u = UNKNOWN_SIGNALS[Math.floor(r() * UNKNOWN_SIGNALS.length)] as (typeof UNKNOWN_SIGNALS)[number];
      signals.push({
        code: u.code,
        name: u.name,
        group: u.group,
        body: JSON.stringify(u.body()),
        meta: { oemUpdatedAt: t, retrievedAt: t },
      });
    }
    const item = {
      event_id: uuid(r),
      recorded_at: sqlTimestamp(t),
      record_type: 'ALL',
      smartcar_user_id: v.userId,
      car_timezone: v.timezone,
      meta: {
        mode: 'LIVE',
        deliveryId: uuid(r),
        webhookId: 'sample-webhook',
        signalCount: signals.length,
        webhookName: 'ChargeMinder',
        version: '4.0',
        deliveredAt: t + 400,
      },
      user: { id: v.userId },
      vehicle: { id: v.id, make: v.spec.make, model: v.spec.model, year: v.spec.year },
      signals,
      triggers: [
        {
          type: 'SIGNAL_UPDATED',
          signal: { code: 'tractionbattery-stateofcharge', name: 'StateOfCharge', group: 'TractionBattery' },
        },
      ],
    };
    if (r() < 0.05) {
      const text = JSON.stringify(item);
      if (earlier.length < MAX_EARLIER) earlier.push(text);
      else earlier[Math.floor(r() * MAX_EARLIER)] = text;
    }
    yield item;
  }
}
