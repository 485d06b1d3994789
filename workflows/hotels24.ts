/**
 * Hotel rooms booked with hotels24's staged method. hotels24 checks the rooms
 * and shows the actual conditions (postConditions), takes the booker's
 * requisites (preRequisites), shows them for confirmation (postRequisites) and
 * books (complete). The booking stops where a person must look: conditions
 * that differ from the requested ones, missing requisites, and the final
 * confirmation unless it was started with `autoConfirm`. Nothing is held at
 * the hotel before `complete`, so a booking that ends half-way releases
 * nothing; and `complete` cannot be undone (hotels24 offers no cancellation):
 * the hotel is the pivot of any saga it is part of.
 */
import { ActivityFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { BookingChanges, Hotels24Activities } from '../activities/hotels24/activities';
import type { HotelStop } from '../activities/hotels24/contract';
import { type Checked, checkAccept, checkBookingFields, checkReject, checkRequisites } from '../activities/hotels24/checks';
import type { AcceptAnswer, Hotels24BookingRequest, RejectAnswer, Requisites } from '../activities/hotels24/request';
import { releaseUnknown } from '../common/release';
import type { BookingStart, BookingView } from './booking';
import { describeFailure } from './failures';
import { type Progress, type StepSummaries, type Wait, cancel, defineAnswer, isAnswer, openBooking, takes } from './kit';
import type { TripRole } from './trip-role';

const HOUR_MS = 60 * 60 * 1000;

/** Assumed where the seed is silent (activities/hotels24/contract.ts): a staged request_id lives a day after its last use. */
const REQUEST_LIFETIME_MS = 24 * HOUR_MS;

export interface Hotels24Timing {
  /** How long the approver has to accept or reject conditions that differ from the requested ones. */
  conditionsDecisionMs: number;
  /** How long the client has to supply missing requisites. */
  requisitesWaitMs: number;
  /** How long the approver has for the final confirmation. */
  confirmationWaitMs: number;
  /** First pause after hotels24 answered `error` or was unreachable; doubles up to the maximum. */
  retryInitialMs: number;
  retryMaxMs: number;
  /** How long one step is retried before the booking fails as unanswered. */
  retryGiveUpMs: number;
}

const defaultHotels24Timing: Hotels24Timing = {
  // Half the request_id's lifetime: an answer given at the deadline still finds the request at hotels24.
  conditionsDecisionMs: REQUEST_LIFETIME_MS / 2,
  requisitesWaitMs: REQUEST_LIFETIME_MS / 2,
  confirmationWaitMs: REQUEST_LIFETIME_MS / 2,
  retryInitialMs: 1_000,
  retryMaxMs: 60_000,
  retryGiveUpMs: 30 * 60_000,
};

export type Hotels24BookingStart = BookingStart<Hotels24BookingRequest, Hotels24Timing>;

/** The approver takes what hotels24 shows (optionally with corrected data); at postRequisites this books the rooms. */
export const accept = defineAnswer<[AcceptAnswer?]>('accept', 'acceptBooking');
export const reject = defineAnswer<[RejectAnswer?]>('reject', 'rejectBooking');
/** The client supplies the booker's requisites hotels24 asks for. */
export const requisites = defineAnswer<[Requisites]>('requisites', 'supplyRequisites');

const PIVOT = 'a completed hotel booking cannot be cancelled: hotels24 offers no cancellation (the hotel is the pivot of the booking)';
const COMPLETING = 'hotels24 is booking the rooms, which cannot be undone; the booking can no longer be cancelled';
const NOTHING_HELD = 'nothing is held at the hotel before complete';

/** hotels24's steps as the Temporal UI's timeline says them. */
export const hotels24Steps: StepSummaries<Hotels24Activities> = {
  requestHotelConditions: (booking) => `ask conditions for ${booking.blocks.length} block(s), ${booking.arrival_date} to ${booking.departure_date}`,
  continueHotelBooking: (step) => `continue hotel request ${step.request_id}${step.changes ? ' with the answer' : ''}`,
  supplyHotelRequisites: (requestId) => `send the booker's requisites for request ${requestId}`,
  completeHotelBooking: (step) => `book the rooms of request ${step.request_id}`,
};


export async function hotels24HotelBooking(input: Hotels24BookingStart): Promise<BookingView> {
  const timing: Hotels24Timing = { ...defaultHotels24Timing, ...input.timing };
  const { autoConfirm, ...fields } = input.request;
  const hotels24 = proxyActivities<Hotels24Activities>({
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: timing.retryGiveUpMs,
    retry: { initialInterval: timing.retryInitialMs, backoffCoefficient: 2, maximumInterval: timing.retryMaxMs },
  });
  /** The booking's fields as last sent, so corrections are checked as the whole they make. */
  let sent = fields;
  const b = openBooking(input, {
    provider: 'hotels24',
    answers: [
      takes(accept, (payload = {}) => {
        const checked = checkAccept(payload);
        if (!checked.ok) return `invalid corrections: ${checked.problems}`;
        const { note: _note, ...changes } = checked.value;
        const whole = checkBookingFields({ ...sent, ...changes });
        return whole.ok ? undefined : `the corrected booking is invalid: ${whole.problems}`;
      }),
      takes(reject, (payload = {}) => {
        const checked = checkReject(payload);
        return checked.ok ? undefined : `invalid rejection: ${checked.problems}`;
      }),
      takes(requisites, (payload) => {
        const checked = checkRequisites(payload);
        return checked.ok ? undefined : `invalid requisites: ${checked.problems}`;
      }),
    ],
    // Nothing is held before complete, and hotels24 cancels nothing: the one release (the rooms) flags them for an operator.
    releases: hotels24,
    releasePauseMs: timing.retryMaxMs,
    answeredAtOnceBefore: [accept, reject, requisites, cancel],
  });

  const onHotels24 = (stage: string, note: string): Progress => ({
    stage,
    note,
    deadline: new Date(Date.now() + timing.retryGiveUpMs).toISOString(),
    atDeadline: 'the booking fails as unanswered',
  });

  /**
   * A step that stops before `complete`. A cancel interrupts it, as nothing is held at the hotel;
   * a failure ends the booking, holding nothing. Undefined: the booking ended.
   */
  const goOn = async (progress: Progress, call: () => Promise<HotelStop>): Promise<HotelStop | undefined> => {
    try {
      return await b.step(progress, call, { interruptible: true });
    } catch (err) {
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      const error = describeFailure(err);
      await b.fail(error, b.stage, `failed: ${error.message}; ${NOTHING_HELD}`);
      return undefined;
    }
  };

  /** Books the rooms. Once asked, the outcome must be known: an answer lost or unreadable leaves the rooms flagged for an operator. */
  const bookRooms = async (requestId: string, changes?: BookingChanges): Promise<HotelStop> => {
    b.progress({ ...onHotels24('complete', 'asking hotels24 to book the rooms'), cancellable: false, atDeadline: 'the booking fails, flagged for an operator: the rooms may be booked' });
    b.record.setCancellable(false, COMPLETING);
    const stay = `${sent.blocks.map((block) => `tariff ${block.tariff} x${block.quantity}`).join(', ')}, ${sent.arrival_date} to ${sent.departure_date}`;
    return b.hold(
      `hotel rooms of request_id ${requestId}: ${stay}`,
      () => hotels24.completeHotelBooking({ request_id: requestId, changes }),
      () =>
        Promise.resolve(
          releaseUnknown(
            `hotels24 gave no usable answer to the request to book the rooms, and documents no way to look a booking up or cancel it: they may be booked under request_id ${requestId}; check with hotels24 before booking again`,
          ),
        ),
      (done) => done.state === 'complete' && done.status === 'ok',
    );
  };

  return b.run(async () => {
    let at = await goOn(onHotels24('preConditions', 'asking hotels24 to check the rooms and show the actual conditions'), () => hotels24.requestHotelConditions(fields));
    while (at) {
      const requestId = at.requestId;
      b.record.addReferences({ request_id: requestId });

      if (at.state === 'complete' && at.status === 'ok') {
        b.record.setResult({ request_id: requestId, ...at.booking });
        b.end('completed', 'complete', 'hotels24 booked the rooms');
        b.record.setCancellable(false, PIVOT);
        return;
      }
      if (at.status === 'ok' && at.state !== 'postRequisites') {
        at = await goOn(onHotels24(at.state, 'the conditions are as requested; hotels24 takes the requisites'), () => hotels24.continueHotelBooking({ request_id: requestId }));
        continue;
      }
      if (at.status === 'ok' && autoConfirm) {
        at = await bookRooms(requestId);
        continue;
      }

      b.record.setCancellable(true);
      const given = await b.waitFor(stopAt(at, timing));
      if (!given) return void b.end('expired', at.state, `no answer by the deadline; ${NOTHING_HELD}, hotels24 lets request ${requestId} lapse`);
      if (isAnswer(given, cancel)) b.cancelNow(given.args[0], `cancelled${given.args[0]?.reason ? `: ${given.args[0].reason}` : ''}; ${NOTHING_HELD}`);
      if (isAnswer(given, reject)) {
        const message = `rejected by the approver${given.args[0]?.reason ? `: ${given.args[0].reason}` : ''}`;
        b.record.setError({ code: 'rejected_by_approver', message });
        return void b.end('cancelled', at.state, `${message}; ${NOTHING_HELD}`);
      }
      if (isAnswer(given, requisites)) {
        const supplied = checkedValue(checkRequisites(given.args[0]));
        sent = { ...sent, requisites: supplied };
        at = await goOn(onHotels24(at.state, 'requisites supplied; hotels24 checks them'), () => hotels24.supplyHotelRequisites(requestId, supplied));
        continue;
      }
      if (isAnswer(given, accept)) {
        const { note, ...corrected } = checkedValue(checkAccept(given.args[0] ?? {}));
        sent = { ...sent, ...corrected };
        const changes = Object.keys(corrected).length > 0 ? corrected : undefined;
        b.record.note(`accepted${changes ? ` with corrected ${Object.keys(changes).join(', ')}` : ''}${note ? `: ${note}` : ''}`);
        // From postRequisites on, `accepted` takes the request to `complete`.
        at = at.state === 'postRequisites' || at.state === 'complete'
          ? await bookRooms(requestId, changes)
          : await goOn(onHotels24(at.state, 'accepted; hotels24 goes on'), () => hotels24.continueHotelBooking({ request_id: requestId, changes }));
      }
    }
  });
}

/** An answer taken was checked by its handler already: a failing check here is a bug, failing the workflow task. */
function checkedValue<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new Error(`an answer taken fails its check: ${checked.problems}`);
  return checked.value;
}

/** Where a person must look: conditions that differ, missing requisites, or the final confirmation. */
function stopAt(at: HotelStop, timing: Hotels24Timing): Wait {
  const stops = {
    rejected: {
      note: `hotels24 rejected the requested conditions at ${at.state}; waiting for the approver`,
      on: 'approver',
      answers: [accept, reject, cancel],
      waitMs: timing.conditionsDecisionMs,
      what: `hotels24's actual conditions differ from the requested ones (${at.differences.map((d) => d.field).join(', ')}): accept them, optionally with corrected data, or reject the booking`,
    },
    requirements: {
      note: "hotels24 needs the booker's requisites; waiting for them",
      on: 'client',
      answers: [requisites, reject, cancel],
      waitMs: timing.requisitesWaitMs,
      what: `the booker's requisites are missing (${at.missing.join(', ')}): supply them`,
    },
    ok: {
      note: 'hotels24 shows the booking for the final confirmation; waiting for the approver',
      on: 'approver',
      answers: [accept, reject, cancel],
      waitMs: timing.confirmationWaitMs,
      what: 'final confirmation: accept to book the rooms (a completed hotel booking cannot be cancelled), or reject',
    },
  } as const;
  const { waitMs, ...stop } = stops[at.status];
  return {
    ...stop,
    status: 'awaiting_approval',
    stage: at.state,
    until: Date.now() + waitMs,
    atDeadline: `the booking expires; ${NOTHING_HELD}`,
    details: {
      request_id: at.requestId,
      stage: at.state,
      status: at.status,
      // What hotels24 shows at this stage: actual conditions, general_conditions, requisites, living.
      booking: at.booking,
      ...(at.differences.length ? { differences: at.differences } : {}),
      ...(at.missing.length ? { missing: at.missing } : {}),
    },
  };
}


/**
 * hotels24 in a trip: the pivot. Nothing is held at the hotel before its rooms
 * are booked, and booked rooms cannot be undone, so the leg runs last, once the
 * trip is confirmed, and is done when its booking completes.
 */
export const hotels24InTrip: TripRole<Hotels24BookingRequest> = {
  booked: (request) => `${request.blocks.reduce((n, b) => n + b.quantity, 0)} room(s), ${request.arrival_date} to ${request.departure_date}`,
  workflow: hotels24HotelBooking,
  pivotBecause: () => 'hotels24 offers no cancellation: booked rooms cannot be undone',
  holds: () => false,
};
