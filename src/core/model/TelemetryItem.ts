import { InvalidRecordError } from '../errors.js';

/**
 * An event in the shape the DynamoDB table stores it (test/fixtures/seed/dynamodb-item-example.json).
 * Webhook deliveries are mapped to this shape first, so flattening knows one shape only.
 */
export interface TelemetryItem {
  readonly event_id: string;
  readonly event_type?: unknown;
  readonly recorded_at?: unknown;
  readonly record_type?: unknown;
  readonly smartcar_user_id?: unknown;
  readonly car_timezone?: unknown;
  readonly meta?: unknown;
  readonly user?: unknown;
  readonly vehicle?: unknown;
  readonly signals: readonly unknown[];
  readonly triggers?: unknown;
  /** VEHICLE_ERROR deliveries: the delivery's `data.errors`, kept verbatim. */
  readonly errors?: unknown;
  /** A webhook delivery's fields the item shape has no place for, by path (`firmware`, `data.extra`): kept. */
  readonly extras?: Readonly<Record<string, unknown>>;
}

const DELIVERY_FIELDS = new Set(['eventId', 'eventType', 'data', 'meta', 'triggers']);
const DATA_FIELDS = new Set(['user', 'vehicle', 'signals', 'errors', 'triggers']);

function deliveryExtras(
  payload: Record<string, unknown>,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const extras: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) if (!DELIVERY_FIELDS.has(k) && v !== undefined) extras[k] = v;
  for (const [k, v] of Object.entries(data))
    if (!DATA_FIELDS.has(k) && v !== undefined) extras[`data.${k}`] = v;
  if (payload.data !== undefined && !isPlainObject(payload.data)) extras.data = payload.data;
  return extras;
}

/** What an input payload turned out to be. */
export type ItemOrSkip =
  | { readonly kind: 'item'; readonly item: TelemetryItem }
  | { readonly kind: 'skip'; readonly reason: string };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWebhookDelivery(payload: Record<string, unknown>): boolean {
  return 'eventType' in payload || ('eventId' in payload && 'data' in payload);
}

/** Maps a Smartcar v4 webhook delivery to the item shape; VERIFY deliveries carry no vehicle data. */
function fromWebhook(payload: Record<string, unknown>): ItemOrSkip {
  const eventType = payload.eventType;
  if (eventType === 'VERIFY') return { kind: 'skip', reason: 'verify delivery (no vehicle data)' };
  const data = isPlainObject(payload.data) ? payload.data : {};
  const meta = isPlainObject(payload.meta) ? payload.meta : undefined;
  const user = isPlainObject(data.user) ? data.user : undefined;
  const signals = data.signals === undefined && eventType === 'VEHICLE_ERROR' ? [] : data.signals;
  const item = {
    event_id: payload.eventId,
    event_type: eventType ?? null,
    recorded_at: meta?.deliveredAt ?? null,
    record_type: null,
    smartcar_user_id: user?.id ?? null,
    car_timezone: null,
    meta,
    user,
    vehicle: data.vehicle,
    signals,
    triggers: payload.triggers ?? data.triggers ?? [],
    errors: data.errors,
    extras: deliveryExtras(payload, data),
  };
  return { kind: 'item', item: validateItem(item) };
}

/** Checks what a row cannot do without; everything else is optional and typed later, field by field. */
export function validateItem(candidate: Record<string, unknown>): TelemetryItem {
  const id = candidate.event_id;
  if (id === undefined || id === null) throw new InvalidRecordError('event_id is missing');
  if (typeof id !== 'string' || id.trim() === '') {
    throw new InvalidRecordError(`event_id must be a non-empty string, got ${JSON.stringify(id)}`);
  }
  if (candidate.signals === undefined) throw new InvalidRecordError('signals is missing');
  if (!Array.isArray(candidate.signals)) {
    throw new InvalidRecordError(`signals must be an array, got ${typeof candidate.signals}`);
  }
  return candidate as unknown as TelemetryItem;
}

/**
 * Auto-detects an event payload (an item as stored, or a webhook delivery) and returns the item shape.
 * Throws {@link InvalidRecordError} for a payload that cannot become a row.
 */
export function toTelemetryItem(payload: unknown): ItemOrSkip {
  if (!isPlainObject(payload)) {
    throw new InvalidRecordError(
      `event must be a JSON object, got ${Array.isArray(payload) ? 'array' : typeof payload}`,
    );
  }
  if (isWebhookDelivery(payload)) return fromWebhook(payload);
  if ('event_id' in payload || 'signals' in payload) return { kind: 'item', item: validateItem(payload) };
  throw new InvalidRecordError(
    'not a telemetry event: neither event_id (stored item) nor eventId/eventType (webhook)',
  );
}
