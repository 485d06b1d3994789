/**
 * The payload keys of the tests: one random key per run (the global setup draws it, so every
 * test file's worker and client seal and open alike), and the fixed key the recorded histories
 * are sealed with (test/histories: fictitious data only, so the key may be public).
 */
import type { PayloadKey } from '../../common/payload-codec';
import { PayloadKeys } from '../../config/env';

export const RECORDING_PAYLOAD_KEYS = 'recording:bdUrovYYK9SyIbH/TRNgwEXcJMkEIvRP9MWyKtIGGDE=';

/** This run's keys (TEST_PAYLOAD_KEYS, set by test/global-setup.ts), then the recording key, so recorded histories open too. */
export function testPayloadKeys(): PayloadKey[] {
  const run = process.env.TEST_PAYLOAD_KEYS;
  if (!run) throw new Error('the jest global setup did not draw TEST_PAYLOAD_KEYS');
  return PayloadKeys.parse(`${run},${RECORDING_PAYLOAD_KEYS}`);
}
