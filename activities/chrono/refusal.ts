/**
 * What a failed chrono activity carries for the workflow, read without zod so
 * the workflow bundle can use it: chrono's refusal (the client's ChronoRefusal)
 * or the `booking_id` salvaged from a fillslot answer that could not be read.
 */
import type { ChronoRefusal } from './contract';

/** The refusal the chrono client put in a failure's details, if it was one. */
export function chronoRefusalIn(details: unknown): ChronoRefusal | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const d = details as Partial<ChronoRefusal>;
  return typeof d.err_class === 'string' && typeof d.meaning === 'string' ? (d as ChronoRefusal) : undefined;
}

/** The booking_id an unreadable fillslot answer still carried, if any. */
export function bookingIdIn(details: unknown): number | undefined {
  const id = (details as { booking_id?: unknown } | undefined)?.booking_id;
  return typeof id === 'number' ? id : undefined;
}
