/**
 * Seats at an event, booked with qtickets. The seats are checked first; then one
 * ticket per seat is added as a hold until `reserved_to`, each with an external_id
 * derived from the bookingId, so a retried add never makes a second ticket and a
 * ticket whose answer was lost is still found and removed. The hold ends in
 * payment (every ticket paid, barcodes issued), a cancel, or its deadline; a
 * failure, a cancel or the deadline removes every ticket taken, newest first.
 */
import { ActivityFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { QticketsActivities, SeatCheck } from '../activities/qtickets/activities';
import type { ShowRef } from '../activities/qtickets/contract';
import type { SeatBookingRequest } from '../activities/qtickets/request';
import { type HeldTicket, SeatsSeen, planTickets, wantedFor } from '../activities/qtickets/tickets';
import type { BookingError, BookingStart, BookingView } from './booking';
import { describeFailure } from './failures';
import { type StepSummaries, cancel, defineAnswer, isAnswer, openBooking, takes } from './kit';
import { PROVIDER_CALL } from './provider-call';
import type { TripRole } from './trip-role';

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;

export interface QticketsTiming {
  /** How long seats are held when the request does not say (`reserved_to` is then + this). */
  holdMs: number;
  /** The longest a hold may last from when it started, extensions included. */
  maxHoldMs: number;
  /** How much later an extension ends the hold when it does not say. */
  extendByMs: number;
  /** How long one call to qtickets may keep retrying (transport errors, 5xx) before the booking gives up. */
  callDeadlineMs: number;
  /** After this long a failing release flags the booking for an operator (and goes on retrying). */
  releaseEscalationMs: number;
  /** Pause between release rounds once a release was flagged. */
  releasePauseMs: number;
}

/** qtickets sets no hold length of its own: a quarter of an hour, extendable up to an hour. */
export const defaultQticketsTiming: QticketsTiming = {
  holdMs: 15 * MINUTE_MS,
  maxHoldMs: 60 * MINUTE_MS,
  extendByMs: 15 * MINUTE_MS,
  callDeadlineMs: 2 * MINUTE_MS,
  releaseEscalationMs: 10 * MINUTE_MS,
  releasePauseMs: 30 * SECOND_MS,
};

export type QticketsBookingStart = BookingStart<SeatBookingRequest, QticketsTiming>;

export interface ExtendHoldRequest {
  /** How much later the hold ends; the configured extension when absent. */
  byMinutes?: number;
}

/** The client paid: every ticket is marked paid, barcodes are issued, the booking completes. */
export const confirmPayment = defineAnswer('confirmPayment', 'confirmBookingPayment');
/** The client needs more time: the hold's deadline moves, within the configured maximum. */
export const extendHold = defineAnswer<[ExtendHoldRequest?]>('extendHold', 'extendBookingHold');
/** The answers' updates by their former names (scripts and tools that still use them). */

const showOf = (show: ShowRef): string => `event ${show.event_id}${show.show_id === undefined ? '' : `, show ${show.show_id}`}`;
const ticketOf = (ticket: { id: string } | { external_id: string }): string => ('id' in ticket ? `ticket ${ticket.id}` : `ticket ${ticket.external_id}`);

/** qtickets's steps as the Temporal UI's timeline says them. */
export const qticketsSteps: StepSummaries<QticketsActivities> = {
  checkQticketsSeats: (show, wanted) => `check ${wanted.length} seat(s) at ${showOf(show)}`,
  addQticketsTicket: (add) => `${add.paid ? 'buy' : 'hold'} seat ${add.seat_id} at ${showOf(add.show)}`,
  payQticketsTicket: (_show, id) => `pay ticket ${id}`,
  extendQticketsTicket: (_show, id, reservedTo) => `hold ticket ${id} until ${reservedTo}`,
  removeQticketsTicket: (_show, ticket) => `remove ${ticketOf(ticket)}`,
};


export async function qticketsSeatBooking(input: QticketsBookingStart): Promise<BookingView> {
  const timing: QticketsTiming = { ...defaultQticketsTiming, ...input.timing };
  const { request } = input;
  const show: ShowRef = request.show_id === undefined ? { event_id: request.event_id } : { event_id: request.event_id, show_id: request.show_id };
  const paid = request.paid === true;
  const holdMs = request.holdMinutes === undefined ? timing.holdMs : request.holdMinutes * MINUTE_MS;
  const plan = planTickets(input.bookingId, request);
  const qtickets = proxyActivities<QticketsActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.callDeadlineMs });

  let holdUntil = 0;
  let holdLimit = 0;
  const extendedUntil = (ask: ExtendHoldRequest = {}): number => toWholeSecond(holdUntil + (ask.byMinutes === undefined ? timing.extendByMs : ask.byMinutes * MINUTE_MS));
  const extensionRefusal = (ask: ExtendHoldRequest = {}): string | undefined => {
    if (ask.byMinutes !== undefined && !(Number.isInteger(ask.byMinutes) && ask.byMinutes > 0)) return 'byMinutes is a whole number of minutes, at least 1';
    const until = extendedUntil(ask);
    if (until > holdLimit) return `a hold lasts at most ${duration(timing.maxHoldMs)}: this one can end at ${iso(holdLimit)} at the latest, not ${iso(until)}`;
    return undefined;
  };

  const b = openBooking(input, {
    provider: 'qtickets',
    answers: [takes(confirmPayment), takes(extendHold, extensionRefusal)],
    releases: proxyActivities<QticketsActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.releaseEscalationMs }),
    releasePauseMs: timing.releasePauseMs,
    answeredAtOnceBefore: [cancel],
  });
  const tickets: HeldTicket[] = [];
  const seen = new SeatsSeen();
  const publish = (): void => b.record.setResult(seen.result(request, tickets, paid ? null : iso(holdUntil)));

  return b.run(async () => {
    if (plan.length === 0) return b.fail({ code: 'invalid_request', message: 'name at least one seat in seats or admission' }, 'received');
    if (!paid && holdMs > timing.maxHoldMs) {
      return b.fail({ code: 'invalid_request', message: `a hold lasts at most ${duration(timing.maxHoldMs)}; ${duration(holdMs)} was asked for` }, 'received');
    }

    // 1. Every seat is checked first: the booking fails fast, naming each seat that cannot be had.
    const check = await b.step({ stage: 'checking_seats', note: `checking the seats of ${count(plan.length)}` }, () => qtickets.checkQticketsSeats(show, wantedFor(plan)));
    if (check.unavailable.length > 0) return b.fail(seatsUnavailable(check));
    seen.remember(check);
    const showId = check.show_id ?? request.show_id;
    b.record.addReferences({ event_id: request.event_id, ...(showId == null ? {} : { show_id: showId }) });

    // 2. One ticket per seat, each a hold: its removal (by external_id until qtickets names the ticket) is registered before the add.
    holdUntil = toWholeSecond(Date.now() + holdMs);
    holdLimit = toWholeSecond(Date.now() + timing.maxHoldMs);
    const reserved_to = paid ? undefined : iso(holdUntil);
    b.progress({ stage: 'adding_tickets', note: `adding ${count(plan.length)}${paid ? ', paid' : `, held until ${reserved_to}`}` });
    let knownHash = check.lastUpdateHash;
    for (const [index, planned] of plan.entries()) {
      if (b.cancelRequested) break;
      const { seat_id, external_id } = planned;
      const added = await b.hold(
        (done) => (done ? `remove ticket ${done.ticket.id} (seat ${seat_id})` : `remove the ticket with external_id ${external_id} (seat ${seat_id}) if it exists`),
        () => qtickets.addQticketsTicket({ show, seat_id, external_id, paid: paid ? 1 : 0, reserved_to }),
        (releases, done) => releases.removeQticketsTicket(show, done ? { id: done.ticket.id } : { external_id }),
      );
      tickets.push({ ...planned, id: added.ticket.id, paid: added.ticket.paid, reserved_to: added.ticket.reserved_to, barcode: added.ticket.barcode });
      b.record.addReferences({ [`ticket_${planned.position}`]: added.ticket.id });
      if (added.foundExisting) b.record.note(`ticket ${added.ticket.id} was found by its external_id: an earlier add had made it`);
      publish();

      // The show changed since it was checked (seats sold elsewhere, quotas, prices): check again, do not add blindly.
      const rest = plan.slice(index + 1);
      knownHash ??= added.lastUpdateHash;
      if (rest.length > 0 && added.lastUpdateHash && added.lastUpdateHash !== knownHash) {
        b.record.note(`the show changed at qtickets (last_update_hash ${knownHash} -> ${added.lastUpdateHash}); re-checking the ${rest.length} seats still to add`);
        const recheck = await qtickets.checkQticketsSeats(show, wantedFor(rest));
        if (recheck.unavailable.length > 0) return b.fail(seatsUnavailable(recheck));
        seen.remember(recheck);
        knownHash = recheck.lastUpdateHash ?? added.lastUpdateHash;
      }
    }
    if (b.cancelRequested) return b.releaseAndEnd('cancelled', 'cancelled', 'cancelled while tickets were being added; every ticket taken was removed');
    if (paid) return b.end('completed', 'paid', `${count(tickets.length)} added paid, with barcodes`);

    // 3. Held until the client pays or cancels, or the deadline passes; an extension moves the deadline.
    for (;;) {
      const answer = await b.waitFor({
        status: 'held',
        stage: 'reserved',
        note: `${count(tickets.length)} held until ${iso(holdUntil)}`,
        on: 'client',
        answers: [confirmPayment, extendHold, cancel],
        until: holdUntil,
        atDeadline: 'every ticket is removed and the booking expires',
      });
      if (isAnswer(answer, cancel)) return b.releaseAndEnd('cancelled', 'cancelled', `cancelled${answer.args[0]?.reason ? `: ${answer.args[0].reason}` : ''}; every ticket was removed`);
      if (!answer) return b.releaseAndEnd('expired', 'expired', 'the hold reached its deadline; every ticket was removed');

      if (isAnswer(answer, confirmPayment)) {
        b.record.setCancellable(false, 'the payment is confirmed: the tickets can no longer be cancelled');
        await b.step({ status: 'confirmed', stage: 'paying', note: `marking ${count(tickets.length)} paid`, cancellable: false }, async () => {
          for (const ticket of tickets) {
            ({ paid: ticket.paid, barcode: ticket.barcode } = await qtickets.payQticketsTicket(show, ticket.id));
            publish();
          }
        });
        return b.end('completed', 'paid', `every ticket is paid; ${count(tickets.length)} with barcodes`);
      }

      if (isAnswer(answer, extendHold)) {
        const until = extendedUntil(answer.args[0]);
        try {
          await b.step({ status: 'held', stage: 'extending', note: `extending the hold until ${iso(until)}` }, async () => {
            for (const ticket of tickets) ticket.reserved_to = (await qtickets.extendQticketsTicket(show, ticket.id, iso(until))).reserved_to;
          });
          holdUntil = until;
          publish();
        } catch (err) {
          if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
          // qtickets said no: the extension's update fails with its words, the hold goes on as it was.
          const refusal = `qtickets did not extend the hold: ${describeFailure(err).message}; it still ends at ${iso(holdUntil)}`;
          b.record.note(refusal);
          b.refuseAnswer(refusal);
        }
      }
    }
  });
}

function seatsUnavailable(check: SeatCheck): BookingError {
  return { code: 'seats_unavailable', message: check.unavailable.map((p) => p.message).join('; '), providerDetails: { unavailable: check.unavailable } };
}

/** qtickets takes `reserved_to` to the second: holds end on whole seconds. */
const toWholeSecond = (ms: number): number => Math.ceil(ms / SECOND_MS) * SECOND_MS;
const iso = (ms: number): string => new Date(ms).toISOString();
const duration = (ms: number): string => (ms % MINUTE_MS === 0 ? `${ms / MINUTE_MS} minutes` : `${ms / SECOND_MS} seconds`);
const count = (n: number): string => (n === 1 ? '1 ticket' : `${n} tickets`);

/**
 * qtickets in a trip: held tickets are removed by a cancel; the trip's confirm
 * pays them, and paid tickets are sold (qtickets removes reservations, the
 * booking ends with nothing to release), so they are paid after the pivot.
 * Tickets asked for paid are sold at once: such a leg is the trip's pivot.
 */
export const qticketsInTrip: TripRole<SeatBookingRequest> = {
  booked: (request) => `${(request.seats ?? []).length + (request.admission ?? []).reduce((n, a) => n + a.quantity, 0)} ticket(s) at event ${request.event_id}${request.show_id === undefined ? '' : `, show ${request.show_id}`}${request.paid ? ', paid' : ''}`,
  workflow: qticketsSeatBooking,
  pivotBecause: (request) => (request.paid ? 'tickets added paid are sold at once and cannot be removed' : undefined),
  holds: (leg) => leg.status === 'held',
  completion: { answer: confirmPayment, undoable: false },
};
