/**
 * The one data converter of the API's client, the worker and every tool that reads
 * bookings (tests, chaos, bench): JSON payloads, sealed by the payload codec, failures
 * with their messages sealed too.
 */
import type { DataConverter, PayloadCodec } from '@temporalio/common';

/** The workflow bundle needs the failure converter inside it: bundles are built with this path. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function bookingDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}
