/**
 * Lambda events do not name the shard. Sequence numbers are unique within a stream, so the stream's label (the
 * last part of eventSourceARN) plus the first and last sequence numbers name a batch unambiguously.
 */
export function streamName(eventSourceARN: string | undefined): string {
  const label = eventSourceARN?.split('/stream/')[1];
  return label ? `stream-${label}` : 'stream';
}
