/**
 * The tag that ties a chrono booking to ours: fillslot's body carries our
 * bookingId under this key, chrono keeps it in the booking's `extra_data`, and
 * the user's list shows it. The release finds a booking by it, so nobody else
 * may write it (a presence mark's extra data may not hold it). No zod here:
 * the workflow bundle reads it too.
 */
export const ORCHESTRATOR_KEY = 'orchestrator_booking_id';
