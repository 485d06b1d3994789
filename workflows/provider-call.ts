import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Options of an activity that makes one HTTP call to a provider: transport
 * errors and 5xx retry with backoff (refusals are not retried: the HTTP helper
 * marks them non-retryable). Each workflow bounds the retries with a
 * scheduleToCloseTimeout from its timing.
 */
export const PROVIDER_CALL: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
