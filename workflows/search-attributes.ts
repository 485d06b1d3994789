/**
 * Search attributes operators filter on in the Temporal UI and CLI. Defined once:
 * workflows upsert them, the API lists by them, the dev server and tests register
 * them. Values are provider keys, booking statuses, client names (the API
 * token's owner) and trip ids, never personal data.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const BookingProvider = defineSearchAttributeKey('BookingProvider', SearchAttributeType.KEYWORD);
export const BookingStatus = defineSearchAttributeKey('BookingStatus', SearchAttributeType.KEYWORD);
export const BookingClient = defineSearchAttributeKey('BookingClient', SearchAttributeType.KEYWORD);
/** Provider-side references (`oks:shows_id:836603`), so a provider's id finds its booking. */
export const BookingReference = defineSearchAttributeKey('BookingReference', SearchAttributeType.KEYWORD_LIST);
/** Why an operator must look (`release_failing`, `outcome_unknown`, `check`); unset when nothing needs them. */
export const BookingAttention = defineSearchAttributeKey('BookingAttention', SearchAttributeType.KEYWORD);

/** Who the booking waits for now (`approver`, `client`, `operator`, `provider`); unset when it waits for nobody: the approvals inbox lists by it. */
export const BookingWaitingOn = defineSearchAttributeKey('BookingWaitingOn', SearchAttributeType.KEYWORD);
/** Until when it waits (the wait's deadline); unset with BookingWaitingOn. */
export const BookingDeadline = defineSearchAttributeKey('BookingDeadline', SearchAttributeType.DATETIME);
/** The trip a booking is a leg of (set on the trip too): `BookingTrip = "<tripId>"` finds a trip and its legs. */
export const BookingTrip = defineSearchAttributeKey('BookingTrip', SearchAttributeType.KEYWORD);

export const bookingSearchAttributeKeys = [BookingProvider, BookingStatus, BookingClient, BookingReference, BookingAttention, BookingWaitingOn, BookingDeadline, BookingTrip] as const;

const CLI_TYPE: Partial<Record<SearchAttributeType, string>> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

/** `--search-attribute` values for `temporal server start-dev` and `temporal operator search-attribute create`. */
export const bookingSearchAttributeCliArgs: string[] = bookingSearchAttributeKeys.map(
  (key) => `${key.name}=${CLI_TYPE[key.type]}`,
);
