/** A booking's workflow id is derived from its bookingId alone, so every caller finds the workflow from the bookingId. */
export const workflowIdFor = (bookingId: string): string => `booking-${bookingId}`;
export const bookingIdFromWorkflowId = (workflowId: string): string | undefined =>
  workflowId.startsWith('booking-') ? workflowId.slice('booking-'.length) : undefined;
/** A trip's workflow id, likewise from its tripId alone. */
export const tripWorkflowIdFor = (tripId: string): string => `trip-${tripId}`;
