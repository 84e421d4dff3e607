import { errorMessage } from '../core/errors.js';
import { padSequence, type RawRecord } from '../core/model/RawRecord.js';
import { fromStreamRecord, type StreamRecordLike } from './fromStreamRecord.js';

export interface ConvertedRecords {
  readonly records: RawRecord[];
  /** Records capture could not convert; they are still written (with `captureError`) for process to quarantine. */
  readonly rejected: number;
}

const KNOWN_EVENTS = new Set(['INSERT', 'MODIFY', 'REMOVE']);

/**
 * Converts the records of one stream batch, in order. Conversion is deterministic, so a record that fails would
 * fail again on every retry: instead of blocking the shard it is kept whole, marked with `captureError`, and
 * process quarantines it with the reason. A record without a usable sequence number borrows its predecessor's
 * (it only orders the object key; process never loads such a record).
 *
 * @example
 * const { records, rejected } = toRawRecords(event.Records, Date.now());
 */
export function toRawRecords(stream: readonly StreamRecordLike[], now: number): ConvertedRecords {
  const records: RawRecord[] = [];
  let rejected = 0;
  let previous = padSequence(0);
  for (const record of stream) {
    try {
      const raw = fromStreamRecord(record, now);
      records.push(raw);
      previous = raw.sequenceNumber;
    } catch (error) {
      rejected += 1;
      let sequenceNumber = previous;
      try {
        sequenceNumber = padSequence(record.dynamodb?.SequenceNumber ?? '');
      } catch {
        // keep the predecessor's
      }
      const eventName = KNOWN_EVENTS.has(record.eventName ?? '')
        ? (record.eventName as RawRecord['eventName'])
        : 'INSERT';
      records.push({
        eventName,
        eventID: record.eventID ?? sequenceNumber,
        sequenceNumber,
        approximateCreationTime: now,
        keys: null,
        newImage: record,
        userIdentity: null,
        captureError: errorMessage(error),
      });
      previous = sequenceNumber;
    }
  }
  return { records, rejected };
}
