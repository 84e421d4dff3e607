/**
 * Measured step 1, the floor: gunzip + JSON.parse of every raw line and of every signal body, nothing else.
 * No implementation can avoid this work.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';
import { listRawFiles } from '../lib/listRawFiles.js';

const args = childArgs(process.argv.slice(2));
const { files } = listRawFiles(required(args, 'raw-dir'));

const started = performance.now();
let records = 0;
let bodies = 0;
let uncompressed = 0;
for (const file of files) {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  uncompressed += text.length;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const record = JSON.parse(line) as { newImage?: { signals?: { body?: unknown }[] } };
    records += 1;
    for (const s of record.newImage?.signals ?? []) {
      if (typeof s.body === 'string') {
        JSON.parse(s.body);
        bodies += 1;
      }
    }
  }
}
const seconds = (performance.now() - started) / 1000;
report({ seconds, records, peakRssMb: peakRssMb(), extra: { bodies, uncompressedChars: uncompressed } });
