/**
 * What a provider is in a trip, declared once beside its workflow: whether a
 * leg can be undone, when it holds what the trip needs, and what the trip's
 * confirm does to it. The trip reads these facts; it never asks which provider
 * a leg is.
 */
import type { BookingStart, BookingView } from './booking';
import type { Answer } from './kit';
import type { LegStatus } from './trip-leg';

export interface TripRole<Request = never> {
  /** The provider's own booking workflow: a leg is that same booking, started as the trip's child. */
  workflow: (input: BookingStart<Request, never>) => Promise<BookingView>;
  /** What a request books, in a few words and ids (never a person's data): the start of the booking's summary in the Temporal UI. */
  booked(request: Request): string;
  /**
   * Why a leg of this request cannot be undone once it has taken something
   * (the trip's pivot: run last, at most one per trip); undefined when a
   * cancel releases whatever it holds. (A method: each provider reads its own request.)
   */
  pivotBecause(request: Request): string | undefined;
  /** Whether the leg holds what the trip needs: an undoable leg that holds, a pivot that is booked. */
  holds(leg: LegStatus): boolean;
  /** The answer the trip's confirm gives a held leg (pays the tickets, completes the deal); none: the leg holds on by itself. */
  completion?: {
    answer: Answer<[]>;
    /** Whether a completed leg can still be released: if not, it is completed only once the pivot is booked. */
    undoable: boolean;
  };
}
