/** Failure types the activities raise and the workflows read; the HTTP helper is their main source. */
export const FailureType = {
  /** The provider said no (a business rule, validation): not retried. */
  ProviderRefused: 'ProviderRefused',
  /** The provider refused our credentials: a configuration problem, not retried. */
  ProviderAuthRejected: 'ProviderAuthRejected',
  /** Network error, timeout, 5xx: retried with backoff. */
  ProviderUnavailable: 'ProviderUnavailable',
  /** The provider answered something its contract does not allow: not retried. */
  ProviderContractViolation: 'ProviderContractViolation',
  /** Whether the provider acted cannot be told (an answer lost after a create): the booking must find out or flag it. */
  ProviderOutcomeUnknown: 'ProviderOutcomeUnknown',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

