/**
 * hotels24 activities: one per kind of step of the staged booking, so the
 * history reads as the booking went. Only `completeHotelBooking` can book
 * the rooms; the others stop at a stage by `next_state` and hold nothing.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { FailureType } from '../../common/failure-types';
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
     * An answer that cannot be read is asked again, never taken for a failure: the rooms may be
     * booked. A retry first reads where the request stands (moving nothing on), so a booking an
     * earlier attempt made is answered again, and a stop hotels24 made at complete (its conditions
     * changed) is shown to the approver rather than accepted unseen by a second `accepted`.
     */
    async completeHotelBooking(step: ContinueStep): Promise<HotelStop> {
      const log = activityLogger(logger);
      const retry = Context.current().info.attempt > 1;
      try {
        if (retry) {
          const standing = await hotels24.whereIs(step.request_id, 'postRequisites', log);
          if (standing) return standing;
        }
        return await hotels24.book({ ...step.changes, request_id: step.request_id, accepted: 1 }, log);
      } catch (err) {
        throw outcomeOfComplete(err, step.request_id, retry);
      }
    },
  };
}

export type Hotels24Activities = ReturnType<typeof createHotels24Activities>;

/**
 * What a failed `complete` call means for the rooms. An unreadable answer is asked again (retryable).
 * After an answer was lost, hotels24 refusing to say where the request stands is no evidence that
 * nothing was booked: the failure is not a refusal, so the booking keeps the rooms' release (and
 * flags them for an operator). A refusal to a first attempt is a refusal: nothing was booked.
 */
function outcomeOfComplete(err: unknown, requestId: string, retry: boolean): unknown {
  if (!(err instanceof ApplicationFailure)) return err;
  if (err.type === FailureType.ProviderContractViolation) {
    return ApplicationFailure.retryable(
      `hotels24's answer to the request to book the rooms (request_id ${requestId}) could not be read: ${err.message}; asking where the request stands`,
      FailureType.ProviderUnavailable,
    );
  }
  if (retry && err.type === FailureType.ProviderRefused) {
    return ApplicationFailure.create({
      message: `an earlier answer to the request to book the rooms (request_id ${requestId}) was lost, and hotels24 now refuses it: ${err.message}`,
      type: FailureType.ProviderOutcomeUnknown,
      nonRetryable: true,
      details: err.details ?? undefined,
    });
  }
  return err;
}

