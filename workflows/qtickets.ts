/**
 * Seats at an event, booked with qtickets. The seats are checked first; then one
 * ticket per seat is added as a hold until `reserved_to`, each with an external_id
 * derived from the bookingId, so a retried add never makes a second ticket. The
 * hold ends in payment (every ticket paid, barcodes issued), a cancel, or its
 * deadline; a failure, a cancel or the deadline removes every ticket taken,
 * newest first.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { AddedTicket, QticketsActivities, SeatCheck, SeatOffer, WantedSeat } from '../activities/qtickets/activities';
import type { ShowRef } from '../activities/qtickets/contract';
import type { SeatBookingRequest } from '../activities/qtickets/request';
import {
  type BookingError,
  type BookingStart,
  type BookingView,
  type Waiting,
  statusQuery,
} from './booking';
import { handleCancel } from './answers';
import { BookingRecord } from './booking-record';
import { PROVIDER_CALL } from './provider-call';
import { CompensationStack } from './compensations';
import { describeFailure, failureOfSteps } from './failures';

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
export const confirmPaymentSignal = defineSignal('confirmPayment');
export const confirmPaymentUpdate = defineUpdate<BookingView>('confirmBookingPayment');
/** The client needs more time: the hold's deadline moves, within the configured maximum. */
export const extendHoldSignal = defineSignal<[ExtendHoldRequest?]>('extendHold');
export const extendHoldUpdate = defineUpdate<BookingView, [ExtendHoldRequest?]>('extendBookingHold');

/** One ticket the booking adds, in order; its external_id is the bookingId and its position. */
export interface PlannedTicket {
  position: number;
  seat_id: string;
  external_id: string;
}

/** Numbered seats first, then each admission seat as many times as its quantity. */
export function planTickets(bookingId: string, request: SeatBookingRequest): PlannedTicket[] {
  const seats = [
    ...(request.seats ?? []),
    ...(request.admission ?? []).flatMap((a) => Array.from({ length: a.quantity }, () => a.seat_id)),
  ];
  return seats.map((seat_id, i) => ({ position: i + 1, seat_id, external_id: `${bookingId}-${i + 1}` }));
}

/** Tickets per seat, as the seat check counts them. */
function wantedFor(planned: PlannedTicket[]): WantedSeat[] {
  const counts = new Map<string, number>();
  for (const { seat_id } of planned) counts.set(seat_id, (counts.get(seat_id) ?? 0) + 1);
  return [...counts].map(([seat_id, quantity]) => ({ seat_id, quantity }));
}

interface HeldTicket extends PlannedTicket {
  id: string;
  paid: 0 | 1;
  reserved_to: string | null;
  barcode: string | null;
}

/** An extension asked for, and how it went (the update's caller waits for it). */
interface Extension {
  until: number;
  outcome?: { extended: true } | { refusal: string };
}

/** qtickets takes `reserved_to` to the second: holds end on whole seconds. */
const toWholeSecond = (ms: number): number => Math.ceil(ms / SECOND_MS) * SECOND_MS;
const iso = (ms: number): string => new Date(ms).toISOString();
const duration = (ms: number): string => (ms % MINUTE_MS === 0 ? `${ms / MINUTE_MS} minutes` : `${ms / SECOND_MS} seconds`);
const count = (n: number): string => (n === 1 ? '1 ticket' : `${n} tickets`);
const providerAtWork = (actions: string[]): Waiting => ({ on: 'provider', actions, deadline: null, atDeadline: '' });

export async function qticketsSeatBooking(input: QticketsBookingStart): Promise<BookingView> {
  const timing: QticketsTiming = { ...defaultQticketsTiming, ...input.timing };
  const { request } = input;
  const show: ShowRef = request.show_id === undefined ? { event_id: request.event_id } : { event_id: request.event_id, show_id: request.show_id };
  const paid = request.paid === true;
  const holdMs = request.holdMinutes === undefined ? timing.holdMs : request.holdMinutes * MINUTE_MS;
  const plan = planTickets(input.bookingId, request);

  const booking = new BookingRecord(input.bookingId, 'qtickets', input.client);
  const qtickets = proxyActivities<QticketsActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.callDeadlineMs });
  const releaseCalls = proxyActivities<QticketsActivities>({ ...PROVIDER_CALL, scheduleToCloseTimeout: timing.releaseEscalationMs });
  const releases = new CompensationStack(booking, { activities: releaseCalls, pauseBetweenRoundsMs: timing.releasePauseMs });

  const tickets: HeldTicket[] = [];
  const offers = new Map<string, SeatOffer>();
  let checked: SeatCheck | undefined;
  let holdUntil = 0;
  let holdLimit = 0;
  /** The add whose outcome is unknown while it runs: if it fails unclearly, its ticket may exist. */
  let adding: PlannedTicket | undefined;

  let paymentRequested = false;
  let extension: Extension | undefined;

  setHandler(statusQuery, () => booking.view);

  // Cancel: any time until the payment is confirmed.
  const cancel = handleCancel(booking, () => {
    if (booking.isTerminal) return `the booking is ${booking.status}: there is nothing to cancel`;
    if (paymentRequested) return 'the payment is being confirmed: the tickets can no longer be cancelled';
    return undefined;
  });

  // Payment and extension: only while the seats are held and nothing else is under way.
  const refuseUnlessHeld = (what: string): string | undefined => {
    if (cancel.requested) return `the booking is being cancelled: ${what} is no longer possible`;
    if (paymentRequested) return `the payment is being confirmed: ${what} is no longer possible`;
    if (extension) return `the hold is being extended: try ${what} again in a moment`;
    if (booking.status !== 'held' || booking.stage !== 'reserved') return `${what} needs held seats; the booking is ${booking.status} (${booking.stage})`;
    return undefined;
  };
  const acceptPayment = (): void => {
    paymentRequested = true;
  };
  setHandler(
    confirmPaymentUpdate,
    async () => {
      acceptPayment();
      await condition(() => booking.isTerminal);
      return booking.view;
    },
    {
      validator: () => {
        const refusal = refuseUnlessHeld('payment');
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(confirmPaymentSignal, () => {
    const refusal = refuseUnlessHeld('payment');
    if (refusal) booking.note(`confirmPayment signal ignored: ${refusal}`);
    else acceptPayment();
  });

  const extendedUntil = (ask: ExtendHoldRequest = {}): number =>
    toWholeSecond(holdUntil + (ask.byMinutes === undefined ? timing.extendByMs : ask.byMinutes * MINUTE_MS));
  const refuseExtension = (ask: ExtendHoldRequest = {}): string | undefined => {
    const notHeld = refuseUnlessHeld('an extension');
    if (notHeld) return notHeld;
    if (ask.byMinutes !== undefined && !(Number.isInteger(ask.byMinutes) && ask.byMinutes > 0)) return 'byMinutes is a whole number of minutes, at least 1';
    const until = extendedUntil(ask);
    if (until > holdLimit) {
      return `a hold lasts at most ${duration(timing.maxHoldMs)}: this one can end at ${iso(holdLimit)} at the latest, not ${iso(until)}`;
    }
    return undefined;
  };
  setHandler(
    extendHoldUpdate,
    async (ask) => {
      const pending: Extension = { until: extendedUntil(ask) };
      extension = pending;
      await condition(() => pending.outcome !== undefined);
      if (pending.outcome && 'refusal' in pending.outcome) throw ApplicationFailure.create({ message: pending.outcome.refusal, nonRetryable: true });
      return booking.view;
    },
    {
      validator: (ask?: ExtendHoldRequest) => {
        const refusal = refuseExtension(ask);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(extendHoldSignal, (ask) => {
    const refusal = refuseExtension(ask);
    if (refusal) booking.note(`extendHold signal ignored: ${refusal}`);
    else extension = { until: extendedUntil(ask) };
  });

  const finish = async (): Promise<BookingView> => {
    await condition(allHandlersFinished);
    return booking.view;
  };

  const publishResult = (): void => {
    const total: Record<string, number> = {};
    const seats = tickets.map((t) => {
      const offer = offers.get(t.seat_id);
      if (offer) total[offer.currency_id] = (total[offer.currency_id] ?? 0) + offer.price;
      return {
        id: t.id,
        external_id: t.external_id,
        seat_id: t.seat_id,
        zone: offer?.zone ?? null,
        row: offer?.row ?? null,
        place: offer?.place ?? null,
        price: offer?.price ?? null,
        currency_id: offer?.currency_id ?? null,
        paid: t.paid,
        reserved_to: t.reserved_to,
        barcode: t.barcode,
      };
    });
    booking.setResult({
      event_id: request.event_id,
      show_id: checked?.show_id ?? request.show_id ?? null,
      event_name: checked?.event_name ?? null,
      start_date: checked?.start_date ?? null,
      reserved_to: paid ? null : iso(holdUntil),
      tickets: seats,
      total,
    });
  };

  const remember = (check: SeatCheck): void => {
    checked = check;
    for (const offer of check.offers) offers.set(offer.seat_id, offer);
  };

  /** A ticket is held: its removal goes on the stack before anything else happens. */
  const hold = (planned: PlannedTicket, added: AddedTicket): void => {
    const { id, paid: isPaid, reserved_to, barcode } = added.ticket;
    tickets.push({ ...planned, id, paid: isPaid, reserved_to, barcode });
    releases.push(`remove ticket ${id} (seat ${planned.seat_id})`, (activities) => activities.removeQticketsTicket(show, { id }));
    booking.addReferences({ [`ticket_${planned.position}`]: id });
    if (added.foundExisting) booking.note(`ticket ${id} was found by its external_id: an earlier add had made it`);
    publishResult();
  };

  const seatsUnavailable = (check: SeatCheck): BookingError => ({
    code: 'seats_unavailable',
    message: check.unavailable.map((p) => p.message).join('; '),
    providerDetails: { unavailable: check.unavailable },
  });

  const fail = async (error: BookingError): Promise<void> => {
    const stage = booking.stage;
    booking.setError(error);
    if (releases.size > 0) {
      booking.moveTo(booking.status, 'releasing', `removing the ${count(releases.size)} taken`, providerAtWork([]));
      await releases.unwind();
    }
    booking.moveTo('failed', stage, `failed: ${error.message}`);
  };

  const releaseAndEnd = async (status: 'cancelled' | 'expired', note: string): Promise<void> => {
    booking.moveTo(booking.status, 'releasing', `removing the ${count(releases.size)} taken`, providerAtWork([]));
    await releases.unwind();
    booking.moveTo(status, status, note);
  };

  const payAll = async (): Promise<void> => {
    booking.setCancellable(false, 'the payment is confirmed: the tickets can no longer be cancelled');
    booking.moveTo('confirmed', 'paying', `marking ${count(tickets.length)} paid`, providerAtWork([]));
    for (const ticket of tickets) {
      const paidTicket = await qtickets.payQticketsTicket(show, ticket.id);
      ticket.paid = paidTicket.paid;
      ticket.barcode = paidTicket.barcode;
      publishResult();
    }
    booking.moveTo('completed', 'paid', `every ticket is paid; ${count(tickets.length)} with barcodes`);
  };

  const extendAll = async (pending: Extension): Promise<void> => {
    booking.moveTo('held', 'extending', `extending the hold until ${iso(pending.until)}`, providerAtWork([]));
    try {
      for (const ticket of tickets) {
        ticket.reserved_to = (await qtickets.extendQticketsTicket(show, ticket.id, iso(pending.until))).reserved_to;
      }
      holdUntil = pending.until;
      pending.outcome = { extended: true };
      publishResult();
    } catch (err) {
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      const refusal = `qtickets did not extend the hold: ${describeFailure(err).message}; it still ends at ${iso(holdUntil)}`;
      pending.outcome = { refusal };
      booking.note(refusal);
    } finally {
      extension = undefined;
    }
  };

  const invalidInput = (): string | undefined => {
    if (plan.length === 0) return 'name at least one seat in seats or admission';
    if (!paid && holdMs > timing.maxHoldMs) return `a hold lasts at most ${duration(timing.maxHoldMs)}; ${duration(holdMs)} was asked for`;
    return undefined;
  };

  try {
    const invalid = invalidInput();
    if (invalid) {
      booking.setError({ code: 'invalid_request', message: invalid });
      booking.moveTo('failed', 'received', `failed: ${invalid}`);
      return await finish();
    }

    // 1. Every seat is checked first: the booking fails fast, naming each seat that cannot be had.
    booking.moveTo('processing', 'checking_seats', `checking the seats of ${count(plan.length)}`, providerAtWork(['cancel']));
    const firstCheck = await qtickets.checkQticketsSeats(show, wantedFor(plan));
    if (firstCheck.unavailable.length > 0) {
      await fail(seatsUnavailable(firstCheck));
      return await finish();
    }
    remember(firstCheck);
    booking.addReferences({ event_id: request.event_id, show_id: firstCheck.show_id });
    if (cancel.requested) {
      booking.moveTo('cancelled', 'cancelled', 'cancelled before any seat was held');
      return await finish();
    }

    // 2. One ticket per seat; each one's removal is pushed before the next add.
    const heldSince = Date.now();
    holdUntil = toWholeSecond(heldSince + holdMs);
    holdLimit = toWholeSecond(heldSince + timing.maxHoldMs);
    const reserved_to = paid ? undefined : iso(holdUntil);
    booking.moveTo('processing', 'adding_tickets', `adding ${count(plan.length)}${paid ? ', paid' : `, held until ${reserved_to}`}`, providerAtWork(['cancel']));
    let knownHash = firstCheck.lastUpdateHash;
    for (const [index, planned] of plan.entries()) {
      if (cancel.requested) break;
      // Adds are shielded from cancellation (their outcome must be known); an operator's cancel is honoured between them.
      if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('cancelled by an operator');
      adding = planned;
      const added = await CancellationScope.nonCancellable(() =>
        qtickets.addQticketsTicket({ show, seat_id: planned.seat_id, external_id: planned.external_id, paid: paid ? 1 : 0, reserved_to }),
      );
      adding = undefined;
      hold(planned, added);

      // The show changed since it was checked (seats sold elsewhere, quotas, prices): check again, do not add blindly.
      const rest = plan.slice(index + 1);
      if (added.lastUpdateHash !== knownHash && rest.length > 0) {
        booking.note(`the show changed at qtickets (last_update_hash ${knownHash} -> ${added.lastUpdateHash}); re-checking the ${rest.length} seats still to add`);
        const recheck = await qtickets.checkQticketsSeats(show, wantedFor(rest));
        if (recheck.unavailable.length > 0) {
          await fail(seatsUnavailable(recheck));
          return await finish();
        }
        remember(recheck);
        knownHash = recheck.lastUpdateHash;
      }
    }
    if (cancel.requested) {
      await releaseAndEnd('cancelled', 'cancelled while tickets were being added; every ticket taken was removed');
      return await finish();
    }
    if (paid) {
      booking.moveTo('completed', 'paid', `${count(tickets.length)} added paid, with barcodes`);
      return await finish();
    }

    // 3. Held until the client pays or cancels, or the deadline passes; an extension moves the deadline.
    for (;;) {
      booking.moveTo('held', 'reserved', `${count(tickets.length)} held until ${iso(holdUntil)}`, {
        on: 'client',
        actions: ['confirmPayment', 'extendHold', 'cancel'],
        deadline: iso(holdUntil),
        atDeadline: 'every ticket is removed and the booking expires',
      });
      const answered = await condition(() => paymentRequested || extension !== undefined || cancel.requested !== undefined, holdUntil - Date.now());
      if (!answered) {
        await releaseAndEnd('expired', 'the hold reached its deadline; every ticket was removed');
        break;
      }
      if (cancel.requested) {
        await releaseAndEnd('cancelled', 'cancelled; every ticket was removed');
        break;
      }
      if (paymentRequested) {
        await payAll();
        break;
      }
      if (extension) await extendAll(extension);
    }
    return await finish();
  } catch (err) {
    const error = await failureOfSteps(err, booking, () => releaseAndEnd('cancelled', 'cancelled by an operator; every ticket taken was removed'));
    if (adding && error.code !== 'provider_refused' && error.code !== 'provider_auth_rejected') {
      // The add may have made its ticket before its answer was lost: remove it by its external_id as well.
      const { external_id, seat_id } = adding;
      releases.push(`remove the ticket for seat ${seat_id} if it was made (${external_id})`, (activities) =>
        activities.removeQticketsTicket(show, { external_id }),
      );
    }
    await fail(error);
    return await finish();
  }
}
