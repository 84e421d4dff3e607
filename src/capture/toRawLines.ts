import { errorMessage } from '../core/errors.js';
import { padSequence, type RawRecord } from '../core/model/RawRecord.js';
import type { RawLine } from './captureBatch.js';
import { type StreamRecordLike, streamRecordLine } from './fromStreamRecord.js';

/** A line of a stream batch; `rejected` when capture could not convert the record (kept whole for quarantine). */
export interface StreamLine extends RawLine {
  readonly rejected: boolean;
}

const KNOWN_EVENTS = new Set(['INSERT', 'MODIFY', 'REMOVE']);

/**
 * Converts the records of one stream batch, in order, one line at a time (so a batch's lines never have to be held
 * at once). Conversion is deterministic, so a record that fails would fail again on every retry: instead of
 * blocking the shard it is kept whole, marked with `captureError`, and process quarantines it with the reason.
 * A record without a usable sequence number borrows its predecessor's (it only orders the object key; process
 * never loads such a record).
 *
 * @example
 * for (const line of toRawLines(event.Records, Date.now())) await writer.add(line);
 */
export function* toRawLines(stream: readonly StreamRecordLike[], now: number): Generator<StreamLine> {
  let previous = padSequence(0);
  for (const record of stream) {
    let line: RawLine;
    try {
      line = streamRecordLine(record, now);
    } catch (error) {
      let sequenceNumber = previous;
      try {
        sequenceNumber = padSequence(record.dynamodb?.SequenceNumber ?? '');
      } catch {
        // keep the predecessor's
      }
      const eventName = KNOWN_EVENTS.has(record.eventName ?? '')
        ? (record.eventName as RawRecord['eventName'])
        : 'INSERT';
      const kept: RawRecord = {
        eventName,
        eventID: record.eventID ?? sequenceNumber,
        sequenceNumber,
        approximateCreationTime: now,
        keys: null,
        newImage: record,
        userIdentity: null,
        captureError: errorMessage(error),
      };
      previous = sequenceNumber;
      yield {
        eventName,
        sequenceNumber,
        approximateCreationTime: now,
        text: JSON.stringify(kept),
        rejected: true,
      };
      continue;
    }
    previous = line.sequenceNumber;
    yield { ...line, rejected: false };
  }
}
