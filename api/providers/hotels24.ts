/** hotels24 in the API: hotel booking requests, the answers at its stops, durations from HOTELS24_* variables. */
import { z } from 'zod';
import { durationsFrom } from '../../config/env';
import { AcceptAnswer, Hotels24BookingRequest, RejectAnswer, Requisites } from '../../activities/hotels24/request';
import { type Hotels24Timing, accept, reject, hotels24HotelBooking, requisites } from '../../workflows/hotels24';
import { cancelAction, type ProviderBinding } from './binding';
import { NOT_BLANK } from '../openapi';

/**
 * What hotels24's contract checks beyond what zod tells the OpenAPI document, said
 * in it (metadata on the contract's own schemas; their checks are unchanged): dates
 * are days of the calendar, names and tariffs are not blank, a recovery's amount is
 * in its unit's range. Two rules JSON Schema cannot state stay in the descriptions:
 * departure after arrival, at most one living person per room.
 */
function documentHotels24Checks(): void {
  const shape = Hotels24BookingRequest.shape;
  // One schema serves both dates (and accept's corrections).
  z.globalRegistry.add(shape.arrival_date, { pattern: z.regexes.date.source, description: 'a day of the calendar, YYYY-MM-DD; departure_date after arrival_date' });
  const block = shape.blocks.element;
  z.globalRegistry.add(block, { description: 'at most one living person per room (living.length <= quantity)' });
  z.globalRegistry.add(block.shape.tariff, { pattern: NOT_BLANK });
  z.globalRegistry.add(block.shape.recovery.unwrap(), {
    oneOf: [
      { properties: { unit: { const: 'day' }, amount: { minimum: 1, maximum: 9 } } },
      { properties: { unit: { const: 'percent' }, amount: { minimum: 10, maximum: 100 } } },
    ],
  });
  const living = block.shape.living.unwrap().element;
  z.globalRegistry.add(living.shape.first_name, { pattern: NOT_BLANK });
  z.globalRegistry.add(living.shape.last_name.unwrap(), { pattern: NOT_BLANK });
  z.globalRegistry.add(Requisites.shape.first_name, { pattern: NOT_BLANK });
  z.globalRegistry.add(Requisites.shape.last_name, { pattern: NOT_BLANK });
}
documentHotels24Checks();

/** `HOTELS24_CONDITIONS_DECISION=2h` and the like: every hotels24 duration can be set. */
export const hotels24TimingFrom = (env: Record<string, string | undefined>): Partial<Hotels24Timing> =>
  durationsFrom(env, {
    conditionsDecisionMs: 'HOTELS24_CONDITIONS_DECISION',
    requisitesWaitMs: 'HOTELS24_REQUISITES_WAIT',
    confirmationWaitMs: 'HOTELS24_CONFIRMATION_WAIT',
    retryInitialMs: 'HOTELS24_RETRY_INITIAL',
    retryMaxMs: 'HOTELS24_RETRY_MAX',
    retryGiveUpMs: 'HOTELS24_RETRY_GIVE_UP',
  } satisfies Partial<Record<keyof Hotels24Timing, string>>);

export function hotels24Binding(timing: Partial<Hotels24Timing> = {}): ProviderBinding {
  return {
    provider: 'hotels24',
    workflow: hotels24HotelBooking,
    request: Hotels24BookingRequest,
    timing,
    actions: {
      cancel: {
        ...cancelAction,
        summary: 'Cancel the booking before hotels24 books the rooms; a completed hotel booking cannot be cancelled.',
      },
      accept: {
        update: accept.update.name,
        body: AcceptAnswer,
        roles: ['approver'],
        summary:
          "Accept what the booking waits for: hotels24's actual conditions, or the final confirmation. Corrected data (dates, blocks, requisites) may be sent with it and replace what was sent before.",
      },
      reject: {
        update: reject.update.name,
        body: RejectAnswer,
        roles: ['approver'],
        summary: 'Reject the booking at a stop; it ends cancelled, nothing being held at the hotel.',
      },
      requisites: {
        update: requisites.update.name,
        body: Requisites,
        roles: ['app', 'approver'],
        summary: "Supply the booker's requisites a booking waits for (first_name, last_name, email, phone).",
      },
    },
  };
}
