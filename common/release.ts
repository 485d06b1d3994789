/**
 * What a release of something held at a provider found, as activities report
 * it and the booking kit reads it. A release counts as done only on positive
 * evidence; where the provider offers no way to find what may exist, the
 * booking is flagged for an operator with every id it has.
 */
export type ReleaseOutcome =
  /** The provider confirmed the release, or said there was nothing (left) to release. */
  | { released: true; evidence: string }
  /** Nothing can tell whether the thing exists: an operator must look. */
  | { released: false; unknown: string };

export const released = (evidence: string): ReleaseOutcome => ({ released: true, evidence });
export const releaseUnknown = (unknown: string): ReleaseOutcome => ({ released: false, unknown });

/** Whether an activity's result is a release that needs an operator (older results carry no verdict and count as done). */
export const needsOperator = (outcome: unknown): outcome is { released: false; unknown: string } =>
  typeof outcome === 'object' && outcome !== null && (outcome as { released?: unknown }).released === false;
