import { createHash } from 'node:crypto';

/**
 * The columns every implementation's rows are compared on: fixed columns, scalar and value-only signals, a grid
 * cell, a per-signal timestamp, an undocumented signal, and meta_delivery_id (which tells re-delivered versions
 * apart, so "latest wins" is checked too). TIMESTAMP columns are compared as epoch milliseconds.
 */
export const SAMPLE_COLUMNS: readonly { readonly name: string; readonly timestamp?: boolean }[] = [
  { name: 'event_id' },
  { name: 'recorded_at', timestamp: true },
  { name: 'vehicle_id' },
  { name: 'meta_delivery_id' },
  { name: 'TractionBattery_StateOfCharge_value' },
  { name: 'TractionBattery_StateOfCharge__oem_updated_at', timestamp: true },
  { name: 'Charge_IsCharging' },
  { name: 'Charge_DetailedChargingStatus' },
  { name: 'Odometer_TraveledDistance_value' },
  { name: 'Odometer_TraveledDistance_unit' },
  { name: 'Location_PreciseLocation_latitude' },
  { name: 'Closure_Doors_r0c1_isLocked' },
  { name: 'Wheel_Tires_r1c0_tirePressure' },
  { name: 'Charge_BatteryTemperature_value' },
];

function canonical(value: unknown): string {
  if (value === null || value === undefined) return '\u2400';
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `s${String(value)}`;
}

/** Order-independent checksum of rows (each row: the sample columns' values, in SAMPLE_COLUMNS order). */
export class RowChecksum {
  #sum = 0n;
  #rows = 0;

  add(values: readonly unknown[]): void {
    const digest = createHash('sha1').update(values.map(canonical).join('\u001f')).digest();
    this.#sum = (this.#sum + digest.readBigUInt64BE(0)) & 0xffffffffffffffffn;
    this.#rows += 1;
  }

  get rows(): number {
    return this.#rows;
  }

  hex(): string {
    return this.#sum.toString(16).padStart(16, '0');
  }
}
