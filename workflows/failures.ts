/**
 * Turns what an activity threw into the booking's error: the provider's words
 * stay verbatim, the failure type becomes a stable code. Error types are named
 * in failure-types.ts, shared with the activities' HTTP helper.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import type { BookingError } from './booking';
import { FailureType } from '../common/failure-types';

const codeFor: Record<string, string> = {
  [FailureType.ProviderRefused]: 'provider_refused',
  [FailureType.ProviderAuthRejected]: 'provider_auth_rejected',
  [FailureType.ProviderUnavailable]: 'provider_unavailable',
  [FailureType.ProviderContractViolation]: 'provider_contract_violation',
  [FailureType.ProviderOutcomeUnknown]: 'provider_outcome_unknown',
};

export function describeFailure(err: unknown): BookingError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    return {
      code: (cause.type && codeFor[cause.type]) ?? 'activity_failed',
      message: cause.message,
      ...(cause.details?.length ? { providerDetails: cause.details[0] } : {}),
    };
  }
  if (cause instanceof TimeoutFailure) {
    // Retries that never got through say why; a provider that simply never finished does not.
    const last = cause.cause instanceof ApplicationFailure ? cause.cause : undefined;
    return last
      ? { code: 'provider_unavailable', message: `gave up retrying: ${last.message}` }
      : { code: 'provider_timeout', message: 'the provider did not finish in time' };
  }
  return { code: 'internal_error', message: cause instanceof Error ? cause.message : String(cause) };
}
