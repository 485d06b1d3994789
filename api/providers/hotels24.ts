/** hotels24 in the API: hotel booking requests, the answers at its stops, durations from HOTELS24_* variables. */
import { durationsFrom } from '../../config/env';
import {
  AcceptAnswer,
  Hotels24BookingRequest,
  type Hotels24Timing,
  RejectAnswer,
  Requisites,
  accept,
  reject,
  hotels24HotelBooking,
  requisites,
} from '../../workflows/hotels24';
import { cancelAction, type ProviderBinding } from './binding';

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
