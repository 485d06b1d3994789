/**
 * Recorded histories (scripts/record-histories.ts) replayed against today's
 * workflow code: a change that would break running bookings fails here, and
 * needs `patched()` to keep old histories valid.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { bookingDataConverter } from '../common/data-converter';
import { SealingCodec } from '../common/payload-codec';
import { testPayloadKeys } from './support/payload-keys';
import { quietTemporalRuntime } from './support/stack';

quietTemporalRuntime();

const dir = path.join(__dirname, 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
// Histories recorded before payloads were sealed pass through the codec as they are; later ones open with the recording key.
const dataConverter = bookingDataConverter(new SealingCodec(testPayloadKeys()));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history: unknown = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  await expect(
    Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! }, dataConverter }, history, file),
  ).resolves.toBeUndefined();
});
