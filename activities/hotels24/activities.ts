/**
 * hotels24 activities: one per kind of step of the staged booking, so the
 * history reads as the booking went. Only `completeHotelBooking` can book
 * the rooms; the others stop at a stage by `next_state` and hold nothing.
 */
import type { Logger } from 'pino';
import { activityLogger } from '../logging';
import type { Hotels24Client } from './client';
import type { HotelBookingFields, HotelStop, SentRequisites } from './contract';

export interface Hotels24Deps {
  hotels24: Hotels24Client;
  logger: Logger;
}

/** What a person changed at a stop: whole fields, replacing the ones hotels24 has. */
export type BookingChanges = Partial<HotelBookingFields>;

/** Going on from a stop with `accepted`: what hotels24 showed is taken (after `rejected`, its actual conditions). */
export interface ContinueStep {
  request_id: string;
  changes?: BookingChanges;
}

export function createHotels24Activities({ hotels24, logger }: Hotels24Deps) {
  return {
    /**
     * A new request, stopped at postConditions: hotels24 checks the rooms and shows the actual
     * conditions under a request_id. Nothing is held yet, so a retry that makes a second staged
     * request leaves nothing behind at the hotel.
     */
    async requestHotelConditions(booking: HotelBookingFields): Promise<HotelStop> {
      return hotels24.book({ ...booking, next_state: 'postConditions' }, activityLogger(logger));
    },

    /** Moves a staged request on, at most to postRequisites: the rooms are not booked yet. */
    async continueHotelBooking(step: ContinueStep): Promise<HotelStop> {
      return hotels24.book(
        { ...step.changes, request_id: step.request_id, accepted: 1, next_state: 'postRequisites' },
        activityLogger(logger),
      );
    },

    /** Supplies the booker's requisites to a request that stopped for them; stops at postRequisites. */
    async supplyHotelRequisites(request_id: string, requisites: SentRequisites): Promise<HotelStop> {
      return hotels24.book({ request_id, requisites, next_state: 'postRequisites' }, activityLogger(logger));
    },

    /**
     * Books the rooms: the request goes on to `complete`, which hotels24 offers no way to undo.
     * Safe to retry: a completed request_id answers its booking again and books nothing more.
     */
    async completeHotelBooking(step: ContinueStep): Promise<HotelStop> {
      return hotels24.book({ ...step.changes, request_id: step.request_id, accepted: 1 }, activityLogger(logger));
    },
  };
}

export type Hotels24Activities = ReturnType<typeof createHotels24Activities>;
